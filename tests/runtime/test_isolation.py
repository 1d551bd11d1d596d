"""Tenant isolation and route guards, walked over every registered route.

The leak matrix signs in as the system administrator of unit A and of unit B, and asks every
route for the other unit's things — by the unit in the path, by ids in the path, by search
filters, by ids in a JSON body — and checks the answers: 404 where the other unit is named, and
never a trace of the other unit's data in any answer. It enumerates ``app.routes``, so a new route
is walked as soon as it is registered (a route with a path parameter the matrix has no sample
for fails loudly). The directory of units (ids and names) is shared on purpose — documents are
addressed to other units through the unit picker — so the markers are the other unit's own
data: a person, a token, an appointment, a record. Two tests remove one guard and one tenant filter and show the matrix notices.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Mount, Route
from tortoise.timezone import localtime
from webtools import Web, sign_in

from rbac import appointments, tokens
from runtime.auth import hash_password
from runtime.guard import PUBLIC, Need, guarded, unguarded
from tenants import scope
from tenants.models import Appointment, Notification, Task, Unit, User
from tenants.scope import platform_scope, tenant_scope

PUBLIC_ROUTES = {"/login", "/healthz"}
PARAM = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass
class Side:
    """One unit of the matrix: who signs in, the ids to aim at it, and marker strings that only it has."""

    unit: str
    admin: str
    ids: dict[str, Any] = field(default_factory=dict)
    markers: list[str] = field(default_factory=list)
    search: list[str] = field(default_factory=list)
    csrf: str = ""


async def _side(unit: Unit) -> Side:
    tag = uuid.uuid4().hex[:8]
    with platform_scope():
        admin = await Appointment.get(tenant_id=unit.id, post="sys_admin", state="filed")
    with tenant_scope(unit.id):
        marker_user = User(login=f"leak_{tag}", name=f"泄漏探针{tag}", department="office",
                           password_hash=hash_password("Unused@Pass123"))
        await marker_user.save()
        issued = await tokens.issue(unit.id, f"探针令牌{tag}", "staff", admin.appointee)
        head = await User.filter(login__not=admin.appointee).order_by("login").first()
        assert head is not None
    actor = appointments.Actor(login=admin.appointee, unit=unit.id, posts=frozenset(), roles=frozenset({"unit_admin"}),
                               platform_roles=frozenset())
    running = await appointments.submit(unit.id, {"post": "doc_clerk", "holder": "A", "appointee": marker_user.login,
                                                  "phone": "0790-6221234", "appointment_doc": f"余探〔2026〕{tag}号",
                                                  "effective_date": "2026-11-25", "remarks": f"探针备注{tag}"}, actor)
    from runtime import records
    from runtime.forms import attachments
    att = await attachments.store_attachment(unit.id, f"探针附件{tag}.pdf", None, b"%PDF-1.7 probe", admin.appointee,
                                             data_dir=Path(tempfile.mkdtemp()))
    rec = await records.create(unit.id, "outgoing_doc", {"doc_type": "通知", "title": f"探针记录{tag}", "main_recipients": ["各科室"],
                                                         "body": "探针", "attachments": [str(att.id)]}, admin.appointee)
    # a running flow: its first task, the instance and a notification are the other unit's too
    from runtime.flows import engine
    flowing = await records.create(unit.id, "outgoing_doc", {"doc_type": "通知", "title": f"探针流程{tag}", "main_recipients": ["各科室"],
                                                             "body": "探针"}, admin.appointee)
    inst = await engine.start(unit.id, flowing.id, admin.appointee)
    with tenant_scope(unit.id):
        task = await Task.filter(instance_id=inst.id, state="open").first()
        assert task is not None
        note = await Notification.create(login=task.assignee, kind="urge", task_id=task.id, instance_id=inst.id,
                                         message=f"探针通知{tag}", created_at=localtime(datetime.now(UTC)))
    return Side(unit=unit.id, admin=admin.appointee,
                ids={"unit": unit.id, "number": unit.published_version, "path": "org.yaml",
                     "tokens": issued.row.id, "appointments": running.id,
                     "form": "outgoing_doc", "records": rec.id, "attachments": att.id,
                     "task": task.id, "instance": inst.id, "notification": note.id, "action": "approve"},
                markers=[marker_user.name, f"探针令牌{tag}", f"探针备注{tag}", issued.token,
                         f"探针记录{tag}", f"探针附件{tag}", f"探针流程{tag}", f"探针通知{tag}"],
                search=[marker_user.login, unit.id, tag])


@pytest.fixture
async def sides(web: Web) -> tuple[Side, Side]:
    with platform_scope():
        units = await Unit.all().order_by("id")
    a, b = units[0], units[-1]
    return await _side(a), await _side(b)


def _routes(app: Any) -> list[tuple[Route, str]]:
    out = []
    for route in app.routes:
        if isinstance(route, Mount):
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                out.append((route, method))
    return out


def _url(route: Route, own: Side, other: Side, aim_unit_at: Side) -> str:
    """The route's path with ``{unit}`` aimed at ``aim_unit_at`` and every other parameter at ``other``."""
    path = route.path

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "unit":
            return aim_unit_at.unit
        if name == "id":
            kind = _id_kind(path)
            if kind not in other.ids:
                raise AssertionError(f"the leak matrix has no sample id for {{id}} in {route.path}: add one to _side()")
            return str(other.ids[kind])
        if name not in other.ids:
            raise AssertionError(f"the leak matrix has no sample for {{{name}}} in {route.path}: add one to _side()")
        return str(other.ids[name])

    return PARAM.sub(fill, path)


def _id_kind(path: str) -> str:
    """The collection an ``{id}`` belongs to: the path segment before it (tokens, appointments…)."""
    return path.split("{id", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _body(other: Side) -> dict[str, Any]:
    """A JSON body that names the other unit's things in every field a handler might look up."""
    login = other.search[0]
    return {"name": f"越权{other.search[2]}", "role": "staff", "post": "sys_admin", "holder": "A",
            "appointee": login, "login": login, "unit": other.unit, "id": other.ids["appointments"],
            "token_id": other.ids["tokens"], "phone": "0790-6220000", "appointment_doc": "余〔2026〕1号",
            "effective_date": "2026-11-25", "opinion": "越权测试", "expected_version": 1,
            "current": "x", "new": "x", "confirm": "x"}


async def leak_matrix(web: Web, a: Side, b: Side) -> list[str]:
    """Every route, both directions; the problems found (empty when isolation holds)."""
    problems: list[str] = []
    for own, other in ((a, b), (b, a)):
        async with web.client() as client:
            own.csrf = await sign_in(client, own.admin)
            for route, method in _routes(web.app):
                if route.path in ("/logout", "/login"):
                    continue  # walked separately: they end or replace the session
                has_unit = "{unit}" in route.path
                aims = [other, own] if has_unit else [own]
                for aim in aims:
                    url = _url(route, own, other, aim)
                    params = {} if has_unit and aim is other else \
                        {"q": other.search[0], "unit": other.unit, "actor": other.search[0], "object": f"user:{other.search[0]}"}
                    headers = {"x-csrf-token": own.csrf}
                    kwargs: dict[str, Any] = {"params": params, "headers": headers}
                    if method == "POST":
                        kwargs["json"] = _body(other)
                    r = await client.request(method, url, **kwargs)
                    where = f"{method} {url} as {own.admin} ({own.unit})"
                    text = r.text
                    if r.status_code >= 500:
                        problems.append(f"{where}: server error {r.status_code}")
                    for marker in other.markers:
                        if marker in text:
                            problems.append(f"{where}: answer contains {other.unit}'s '{marker}' (status {r.status_code})")
                    if has_unit and aim is other and r.status_code != 404:
                        problems.append(f"{where}: another unit's resource answered {r.status_code}, not 404")
                    if has_unit and aim is own and "{id" in route.path:
                        # another unit's id must get exactly the answer an id that exists nowhere gets
                        sample = str(other.ids[_id_kind(route.path)])
                        nowhere = url.replace(f"/{sample}", "/987654321")
                        n = await client.request(method, nowhere, **kwargs)
                        same = n.status_code == r.status_code and n.text.replace("987654321", sample) == r.text
                        if r.status_code < 400 or not same:
                            problems.append(f"{where}: another unit's id answered {r.status_code} "
                                            f"({r.text[:80]!r}), unlike an id that exists nowhere ({n.status_code})")
    return problems


async def test_no_route_leaks_across_units(web: Web, sides: tuple[Side, Side]) -> None:
    problems = await leak_matrix(web, *sides)
    assert problems == [], "\n".join(problems)


async def test_every_route_declares_what_it_needs(web: Web) -> None:
    assert unguarded(web.app) == []
    public = {r.path for r in web.app.routes if getattr(r, "banwen_need", None) == PUBLIC}
    assert public == PUBLIC_ROUTES
    mounts = {r.name for r in web.app.routes if isinstance(r, Mount)}
    assert mounts == {"static"}


async def test_anonymous_and_forged_requests_are_refused_everywhere(web: Web, sides: tuple[Side, Side]) -> None:
    a, _b = sides
    async with web.client() as anon:
        for route, method in _routes(web.app):
            if route.path in PUBLIC_ROUTES:
                continue
            r = await anon.request(method, _url(route, a, a, a), json={} if method == "POST" else None)
            expected = 401 if route.path.startswith("/api/") else 303
            assert r.status_code == expected, f"{method} {route.path} answered {r.status_code} to nobody"
    async with web.client() as client:
        await sign_in(client, a.admin)
        for route, method in _routes(web.app):
            if method != "POST" or route.path in PUBLIC_ROUTES:
                continue
            r = await client.post(_url(route, a, a, a), json={})
            assert r.status_code == 403 and "CSRF" in r.text, f"POST {route.path} without CSRF: {r.status_code}"


async def test_auditor_reads_every_unit_and_writes_nothing(web: Web, sides: tuple[Side, Side]) -> None:
    from tenants import audit

    _a, b = sides
    with platform_scope():
        auditor = await _platform_person("city_auditor")
    before = await audit.verify(b.unit)
    async with web.client() as client:
        csrf = await sign_in(client, auditor)
        for path in ("/api/units/{u}/versions", "/api/units/{u}/audit/events", "/api/units/{u}/appointments",
                     "/audit?unit={u}"):
            r = await client.get(path.format(u=b.unit))
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
        assert (await client.get(f"/api/units/{b.unit}/users")).status_code == 404  # people are not configuration
        for route, method in _routes(web.app):
            if method != "POST" or "{unit}" not in route.path:
                continue
            r = await client.post(_url(route, b, b, b), json=_body(b), headers={"x-csrf-token": csrf})
            assert r.status_code in (403, 404), f"auditor POST {route.path}: {r.status_code} {r.text[:200]}"
    after = await audit.verify(b.unit)
    assert after.chains[0].events == before.chains[0].events


async def _platform_person(role: str) -> str:
    from tenants.models import PlatformGrant

    grant = await PlatformGrant.get(role=role)
    return grant.login


async def test_matrix_notices_a_missing_guard(web: Web, sides: tuple[Side, Side]) -> None:
    """Rebuild one route with a guard that checks nothing in the path's unit: the matrix must say so."""
    routes = web.app.router.routes
    i = next(i for i, r in enumerate(routes) if getattr(r, "name", "") == "api_users")
    original = routes[i]
    routes[i] = guarded(original.path, original.banwen_endpoint, Need(domain="path"), name="api_users")
    try:
        problems = await leak_matrix(web, *sides)
    finally:
        routes[i] = original
    assert any("/users" in p and "not 404" in p for p in problems), problems
    assert any("/users" in p and "泄漏探针" in p for p in problems), problems
    del routes[i].banwen_need
    try:
        assert unguarded(web.app) == [original.path]
    finally:
        original.banwen_need = Need("user", "read", "path")


async def test_matrix_notices_a_missing_tenant_filter(web: Web, sides: tuple[Side, Side],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the tenant scope filter nothing, as a forgotten filter would: the matrix must say so."""
    original = scope.TenantManager.get_queryset

    def unfiltered(self: scope.TenantManager) -> Any:
        token = scope._scope.set(scope.PLATFORM)
        try:
            return original(self)
        finally:
            scope._scope.reset(token)

    monkeypatch.setattr(scope.TenantManager, "get_queryset", unfiltered)
    problems = await leak_matrix(web, *sides)
    assert any("/appointments/" in p for p in problems), problems
    assert any("/users" in p and "泄漏探针" in p for p in problems), problems


async def test_a_json_body_naming_another_units_user_is_not_found(web: Web, sides: tuple[Side, Side]) -> None:
    a, b = sides
    async with web.client() as client:
        csrf = await sign_in(client, a.admin)
        body = {"post": "doc_clerk", "holder": "A", "appointee": b.search[0], "phone": "0790-6221234",
                "appointment_doc": "余〔2026〕9号", "effective_date": "2026-11-25"}
        other = await client.post(f"/api/units/{a.unit}/appointments", json=body, headers={"x-csrf-token": csrf})
        body["appointee"] = "no_such_person_at_all"
        nobody = await client.post(f"/api/units/{a.unit}/appointments", json=body, headers={"x-csrf-token": csrf})
    assert other.status_code == nobody.status_code == 422
    assert [e["field"] for e in other.json()["errors"]] == ["appointee"]
    assert other.json()["error"]["zh"].replace(b.search[0], "X") == nobody.json()["error"]["zh"].replace(
        "no_such_person_at_all", "X")


_ = httpx
