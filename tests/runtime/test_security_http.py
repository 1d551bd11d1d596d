"""Sign-in, lock-out, CSRF, session expiry, the address allowlist and API tokens over real HTTP:
``banwen init --demo`` then ``banwen serve`` as processes, httpx as the client.

The server runs with short limits (set through the same ``BANWEN_*`` variables an operator uses)
so that lock-out and expiry happen within seconds.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import serving

from runtime.settings import Settings

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "Banwen@2026"
LIMITS = {"BANWEN_LOGIN_MAX_FAILURES": "3", "BANWEN_LOGIN_MAX_FAILURES_PER_ADDRESS": "6",
          "BANWEN_LOGIN_LOCK_SECONDS": "600", "BANWEN_SESSION_IDLE_SECONDS": "2", "BANWEN_SESSION_ABSOLUTE_SECONDS": "5"}


class City:
    def __init__(self, env: dict[str, str], cwd: Path, logins: dict[str, str]) -> None:
        self.env, self.cwd, self.logins = env, cwd, logins

    @contextmanager
    def serve(self, **extra: str) -> Iterator[str]:
        with serving.serve({**self.env, **extra}, self.cwd, self.cwd / f"serve-{len(extra)}.log") as url:
            yield url


@pytest.fixture
def city(settings: Settings, cli_env: dict[str, str], tmp_path: Path) -> City:
    env = {**os.environ, **cli_env, **LIMITS, "PYTHONUNBUFFERED": "1"}
    if not settings.queue_url:
        env.pop("BANWEN_QUEUE_URL", None)
    done = serving.init(env, tmp_path, "--demo", "--units", "3", "--users", "30", "--exchange-units", "1")
    logins = {}
    for line in done.stdout.splitlines():
        m = re.match(r"\s+(\S+)\s+.+·\s+(.+)$", line)
        if m:
            logins.setdefault(m.group(2).strip(), m.group(1))
    assert "系统管理员" in logins and "单位主要负责人" in logins, done.stdout
    return City(env, tmp_path, logins)


def csrf_of(client: httpx.Client) -> str:
    page = client.get("/login")
    m = CSRF_INPUT.search(page.text)
    assert m, page.text
    return m.group(1)


def post_login(client: httpx.Client, login: str, password: str) -> httpx.Response:
    return client.post("/login", data={"login": login, "password": password, "csrf_token": csrf_of(client)})


def test_sign_in_wrong_password_and_lock_out(city: City) -> None:
    admin, head = city.logins["系统管理员"], city.logins["单位主要负责人"]
    with city.serve() as url, httpx.Client(base_url=url) as client:
        r = post_login(client, admin, PASSWORD)
        assert r.status_code == 303 and r.headers["location"].endswith("/")
        home = client.get("/")
        assert home.status_code == 200 and "欢迎" in home.text
        for header in ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"):
            assert header in home.headers, header
        assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
        assert home.headers["x-content-type-options"] == "nosniff"
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie

    with city.serve() as url, httpx.Client(base_url=url) as client:
        for _ in range(2):
            assert post_login(client, head, "wrong-password").status_code == 401
        locked = post_login(client, head, "wrong-password")
        assert locked.status_code == 429 and "已暂时锁定" in locked.text and "分钟" in locked.text
        # locked even with the right password, and says until when
        again = post_login(client, head, PASSWORD)
        assert again.status_code == 429 and re.search(r"请于 \d\d:\d\d", again.text)
        # the address counts too: three more failures on other accounts lock the address out
        for who in ("nobody_1", "nobody_2", "nobody_3"):
            post_login(client, who, "wrong")
        blocked = post_login(client, admin, PASSWORD)
        assert blocked.status_code == 429 and "本机地址" in blocked.text


def test_csrf_session_expiry_and_password_change(city: City) -> None:
    admin = city.logins["系统管理员"]
    with city.serve() as url, httpx.Client(base_url=url) as client:
        forged = client.post("/login", data={"login": admin, "password": PASSWORD, "csrf_token": "forged"})
        assert forged.status_code == 403
        assert post_login(client, admin, PASSWORD).status_code == 303
        csrf = client.get("/api/me").json()["csrf_token"]
        assert client.post("/logout").status_code == 403  # no token
        assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
        assert client.post("/api/units/x/tokens", json={}).status_code in (403,)  # API with a cookie: header needed
        # idle expiry: 2 s without a request
        time.sleep(2.5)
        r = client.get("/")
        assert r.status_code == 303 and "expired=1" in r.headers["location"]
        assert "会话已超时" in client.get(r.headers["location"]).text
        # absolute expiry: active every second, still out after 5 s
        assert post_login(client, admin, PASSWORD).status_code == 303
        started = time.monotonic()
        while time.monotonic() - started < 4.0:
            assert client.get("/api/me").status_code == 200
            time.sleep(0.8)
        time.sleep(1.5)
        assert client.get("/api/me").status_code == 401
        # a password change ends the other sessions of the account
        with httpx.Client(base_url=url) as other:
            assert post_login(client, admin, PASSWORD).status_code == 303
            assert post_login(other, admin, PASSWORD).status_code == 303
            csrf = client.get("/api/me").json()["csrf_token"]
            weak = client.post("/password", data={"current": PASSWORD, "new": "short", "confirm": "short",
                                                  "csrf_token": csrf})
            assert weak.status_code == 422 and "至少 10 位" in weak.text
            new = "Xinyu-Office-2027"
            ok = client.post("/password", data={"current": PASSWORD, "new": new, "confirm": new, "csrf_token": csrf})
            assert ok.status_code == 303
            assert client.get("/api/me").status_code == 200
            assert other.get("/api/me").status_code == 401
            assert post_login(other, admin, PASSWORD).status_code == 401
            assert post_login(other, admin, new).status_code == 303


def test_api_tokens_are_scoped_and_revocable(city: City) -> None:
    admin = city.logins["系统管理员"]
    with city.serve() as url, httpx.Client(base_url=url) as client:
        assert post_login(client, admin, PASSWORD).status_code == 303
        me = client.get("/api/me").json()
        unit, csrf = me["unit"], me["csrf_token"]
        made = client.post(f"/api/units/{unit}/tokens", json={"name": "档案系统对接", "role": "staff"},
                           headers={"x-csrf-token": csrf})
        assert made.status_code == 201, made.text
        token, token_id = made.json()["token"], made.json()["id"]
        bad_role = client.post(f"/api/units/{unit}/tokens", json={"name": "x", "role": "no_such_role"},
                               headers={"x-csrf-token": csrf})
        assert bad_role.status_code == 400 and "role" in bad_role.json()["error"]["en"]
        units = client.get("/api/units")  # a unit admin may not list the city's units
        assert units.status_code == 404

    with city.serve() as url, httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}) as machine:
        me = machine.get("/api/me")
        assert me.status_code == 200 and me.json()["kind"] == "token" and me.json()["roles"] == ["staff"]
        assert machine.get(f"/api/units/{unit}/versions").status_code == 403  # staff may not read the bundle
        assert machine.get(f"/api/units/{unit}/audit/events").status_code == 403
        others = [u for u in ("xinyu_sw", "xinyu_szf", "nonexistent") if u != unit]
        for other in others:
            assert machine.get(f"/api/units/{other}/versions").status_code == 404
        assert machine.get("/").status_code in (401, 303)  # tokens are for the API only
        assert httpx.get(f"{url}/api/me", headers={"authorization": "Bearer bw_00000000_forged"}).status_code == 401
        with httpx.Client(base_url=url) as client:
            assert post_login(client, admin, PASSWORD).status_code == 303
            csrf = client.get("/api/me").json()["csrf_token"]
            listed = client.get(f"/api/units/{unit}/tokens").json()["tokens"]
            assert [t["id"] for t in listed if t["active"]] == [token_id] and token not in str(listed)
            revoked = client.post(f"/api/units/{unit}/tokens/{token_id}/revoke", headers={"x-csrf-token": csrf})
            assert revoked.status_code == 200 and revoked.json()["active"] is False
        assert machine.get("/api/me").status_code == 401


def test_addresses_outside_the_allowlist_get_403_before_anything_runs(city: City) -> None:
    with city.serve(BANWEN_ALLOWED_NETWORKS="10.255.0.0/16") as url:
        for path in ("/healthz", "/login", "/static/app.css", "/api/me", "/no/such/page"):
            r = httpx.get(url + path)
            assert r.status_code == 403 and "政务网" in r.text, (path, r.status_code)
    with city.serve(BANWEN_ALLOWED_NETWORKS="10.255.0.0/16, 127.0.0.1/32") as url:
        assert httpx.get(url + "/healthz").status_code == 200
        # without BANWEN_TRUSTED_PROXIES nobody may say who the client is
        assert httpx.get(url + "/healthz", headers={"x-forwarded-for": "8.8.8.8"}).status_code == 200
    with city.serve(BANWEN_ALLOWED_NETWORKS="10.255.0.0/16", BANWEN_TRUSTED_PROXIES="127.0.0.1/32") as url:
        assert httpx.get(url + "/healthz", headers={"x-forwarded-for": "10.255.1.2"}).status_code == 200
        assert httpx.get(url + "/healthz", headers={"x-forwarded-for": "8.8.8.8"}).status_code == 403
        assert httpx.get(url + "/healthz").status_code == 403  # the proxy itself is not on the list
