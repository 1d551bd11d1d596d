"""The web app over HTTP (httpx against ``create_app``, lifespan and all)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from webtools import login_csrf

from runtime.app import create_app
from runtime.settings import Settings
from tenants.bundle import BundleSource
from tenants.demo import plan_city
from tenants.store import NewUnit, create_units


@pytest.fixture
async def client(database: Settings) -> AsyncIterator[httpx.AsyncClient]:
    plan = plan_city(units=3, users=24)
    from runtime.auth import hash_password

    batch = [NewUnit(u.unit_doc(), BundleSource(u.id, u.files()), u.users) for u in plan.units]
    await create_units(batch, author="demo", message="v1", password_hash=hash_password(database.demo_password))
    from runtime import db

    await db.close()  # the app opens its own connection in its lifespan
    app = create_app(database, jobs_in_process=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_health_is_public(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


async def test_login_page_in_chinese_then_english(client: httpx.AsyncClient) -> None:
    r = await client.get("/login")
    assert r.status_code == 200 and "<h1>登录</h1>" in r.text
    assert 'for="login"' in r.text and 'id="login"' in r.text and 'name="viewport"' in r.text
    r = await client.get("/login?lang=en")
    assert "<h1>Sign in</h1>" in r.text
    assert "banwen_lang=en" in r.headers["set-cookie"]
    r = await client.get("/login")  # the cookie remembers the choice
    assert "<h1>Sign in</h1>" in r.text


async def test_wrong_password_is_refused(client: httpx.AsyncClient) -> None:
    token = await login_csrf(client)
    r = await client.post("/login", data={"login": "xinyu_swb_01", "password": "wrong", "csrf_token": token})
    assert r.status_code == 401 and "账号或密码不正确" in r.text
    r = await client.post("/login", data={"login": "", "password": "", "csrf_token": token})
    assert r.status_code == 400
    r = await client.post("/login", data={"login": "xinyu_swb_01", "password": "Banwen@2026"})
    assert r.status_code == 403  # no CSRF token: not even a sign-in is accepted


async def test_demo_login_reaches_home_and_logout_ends_it(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.status_code == 303 and r.headers["location"].endswith("/login?next=%2F")
    token = await login_csrf(client)
    r = await client.post("/login", data={"login": "XINYU_SWB_01", "password": "Banwen@2026", "csrf_token": token,
                                          "next": "/"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    r = await client.get("/")
    assert r.status_code == 200
    assert "欢迎" in r.text and "中共新余市委员会" in r.text
    assert "单位主要负责人" in r.text and "发文办理" in r.text and "v1" in r.text
    assert (await client.post("/logout")).status_code == 403  # without the CSRF token
    csrf = (await client.get("/api/me")).json()["csrf_token"]
    r = await client.post("/logout", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert (await client.get("/")).status_code == 303


async def test_unknown_page_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/no/such/page")).status_code == 404
    r = await client.get("/api/nothing")
    assert r.status_code == 404 and r.json()["error"]["en"] == "Not found."
