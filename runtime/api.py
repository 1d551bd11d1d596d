"""The JSON API of the identity layer: the principal, units, versions, users, audit events, API
tokens and appointments. Every unit-owned resource lives under ``/api/units/{unit}/…``: the path
names the Casbin domain, the guard checks it, and the handler runs in that unit's tenant scope,
so an id of another unit is simply not found.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise.expressions import Q

from rbac import appointments, tokens
from runtime.guard import PLATFORM, SIGNED_IN, Ctx, guarded, hidden, need
from runtime.security import CITY_TZ, csrf_token
from tenants import audit, store
from tenants.errors import BanwenError
from tenants.models import Unit, User
from tenants.scope import platform_scope

MAX_LIMIT = 200


class BadRequest(BanwenError):
    status = 422


def _limit(request: Request, default: int = 50) -> tuple[int, int]:
    q = request.query_params
    try:
        limit = int(q.get("limit", default))
        offset = int(q.get("offset", 0))
    except ValueError:
        raise BadRequest("limit/offset 必须是整数。", "limit/offset must be whole numbers.") from None
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise BadRequest(f"limit 须在 1–{MAX_LIMIT} 之间，offset 不能为负。",
                         f"limit must be 1–{MAX_LIMIT} and offset not negative.")
    return limit, offset


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        raise BadRequest("请求体不是有效的 JSON。", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("请求体必须是 JSON 对象。", "The request body must be a JSON object.")
    return data


def _day(request: Request, key: str, end: bool) -> datetime | None:
    value = request.query_params.get(key)
    if not value:
        return None
    try:
        d = date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{key}：“{value}” 不是日期（YYYY-MM-DD）。", f"{key}: '{value}' is not a date (YYYY-MM-DD).") from None
    return datetime.combine(d, time.max if end else time.min, tzinfo=CITY_TZ)


async def me(request: Request, ctx: Ctx) -> Response:
    p = ctx.principal
    roles = ctx.authority.roles_of(p.subject, p.unit, member=p.is_member_of(p.unit))
    body = {"login": p.login, "name": p.name, "kind": p.kind, "unit": p.unit,
            "roles": [r for r in roles if not r.startswith("post:")],
            "posts": [r.removeprefix("post:") for r in roles if r.startswith("post:")],
            "platform_roles": sorted(ctx.authority.platform_roles_of(p.login)) if p.kind == "user" else []}
    if p.kind == "user":
        body["csrf_token"] = csrf_token(request.session)
    return JSONResponse(body)


def _unit_json(u: Unit) -> dict[str, Any]:
    return {"id": u.id, "name": u.name, "short_name": u.short_name, "level": u.level, "category": u.category,
            "parent": u.parent_id, "office_code": u.office_code, "exchange_unit": u.exchange_unit,  # type: ignore[attr-defined]
            "published_version": u.published_version}


async def units(request: Request, ctx: Ctx) -> Response:
    limit, offset = _limit(request, 100)
    qs = Unit.all()
    if q := request.query_params.get("q"):
        qs = qs.filter(Q(name__icontains=q) | Q(id__icontains=q))
    total = await qs.count()
    rows = await qs.order_by("id").offset(offset).limit(limit)
    return JSONResponse({"total": total, "units": [_unit_json(u) for u in rows]})


async def unit(request: Request, ctx: Ctx) -> Response:
    u = await Unit.get_or_none(id=ctx.domain)
    if u is None:
        raise hidden()
    return JSONResponse(_unit_json(u))


async def versions(request: Request, ctx: Ctx) -> Response:
    return JSONResponse({"versions": [v.__dict__ for v in await store.list_versions(ctx.domain)]})


async def version(request: Request, ctx: Ctx) -> Response:
    v = await store.get_version(ctx.domain, request.path_params["number"])
    return JSONResponse({"number": v.number, "content_hash": v.content_hash, "author": v.author, "message": v.message,
                         "created_at": v.created_at.isoformat(timespec="seconds"), "files": sorted(v.files),
                         "resolved": v.resolved})


async def version_file(request: Request, ctx: Ctx) -> Response:
    v = await store.get_version(ctx.domain, request.path_params["number"])
    path = request.path_params["path"]
    if path not in v.files:
        raise hidden()
    name = path.rsplit("/", 1)[-1]
    media = "application/json" if name.endswith(".json") else "application/yaml"
    return Response(v.files[path], media_type=f"{media}; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


async def users(request: Request, ctx: Ctx) -> Response:
    limit, offset = _limit(request)
    qs = User.filter(is_active=True)
    if q := (request.query_params.get("q") or "").strip():
        qs = qs.filter(Q(login__icontains=q) | Q(name__icontains=q))
    if dept := request.query_params.get("department"):
        qs = qs.filter(department=dept)
    total = await qs.count()
    rows = await qs.order_by("login").offset(offset).limit(limit)
    return JSONResponse({"total": total, "users": [{"login": u.login, "name": u.name, "department": u.department,
                                                    "title": u.title} for u in rows]})


async def audit_events(request: Request, ctx: Ctx) -> Response:
    limit, offset = _limit(request)
    q = request.query_params
    events, total = await audit.query(ctx.domain, actor=q.get("actor") or None, action=q.get("action") or None,
                                      obj=q.get("object") or None, since=_day(request, "from", False),
                                      until=_day(request, "to", True), limit=limit, offset=offset)
    return JSONResponse({"total": total, "events": events})


async def audit_verify(request: Request, ctx: Ctx) -> Response:
    report = await audit.verify(ctx.domain)
    return JSONResponse(report.as_json())


async def token_list(request: Request, ctx: Ctx) -> Response:
    return JSONResponse({"tokens": await tokens.list_tokens(ctx.domain)})


async def token_create(request: Request, ctx: Ctx) -> Response:
    data = await _body(request)
    expires = data.get("expires_days")
    if expires is not None and not isinstance(expires, int):
        raise BadRequest("expires_days 必须是整数天数。", "expires_days must be a whole number of days.")
    issued = await tokens.issue(ctx.domain, str(data.get("name") or ""), str(data.get("role") or ""),
                                ctx.principal.subject, expires_days=expires)
    return JSONResponse({"token": issued.token, **tokens.describe(issued.row)}, status_code=201)


async def token_revoke(request: Request, ctx: Ctx) -> Response:
    row = await tokens.revoke(ctx.domain, request.path_params["id"], ctx.principal.subject)
    return JSONResponse(tokens.describe(row))


async def _actor(ctx: Ctx) -> appointments.Actor:
    """The principal as the appointment flow sees it: posts and roles in the home unit, platform roles."""
    p = ctx.principal
    held = ctx.authority.roles_of(p.subject, p.unit, member=p.is_member_of(p.unit))
    return appointments.Actor(login=p.subject, unit=p.unit,
                              posts=frozenset(r.removeprefix("post:") for r in held if r.startswith("post:")),
                              roles=frozenset(r.split("/", 1)[-1] for r in held if not r.startswith("post:")),
                              platform_roles=frozenset(ctx.authority.platform_roles_of(p.login))
                              if p.kind == "user" else frozenset())


def describe_appointment(a: Any) -> dict[str, Any]:
    def iso(d: datetime | None) -> str | None:
        return d.isoformat(timespec="seconds") if d else None

    return {"id": a.id, "unit": a.tenant_id, "post": a.post, "appointee": a.appointee, "data": a.data,
            "state": a.state, "node": a.node, "flow_version": a.flow_version, "submitted_by": a.submitted_by,
            "history": a.history, "version": a.lock_version, "created_at": iso(a.created_at),
            "filed_at": iso(a.filed_at), "ended_at": iso(a.ended_at)}


async def appointment_list(request: Request, ctx: Ctx) -> Response:
    state = request.query_params.get("state") or None
    rows = await appointments.list_for_unit(ctx.domain, state=state)
    return JSONResponse({"appointments": [describe_appointment(a) for a in rows]})


async def appointment_get(request: Request, ctx: Ctx) -> Response:
    return JSONResponse(describe_appointment(await appointments.get(ctx.domain, request.path_params["id"])))


async def appointment_submit(request: Request, ctx: Ctx) -> Response:
    data = await _body(request)
    row = await appointments.submit(ctx.domain, data, await _actor(ctx))
    return JSONResponse(describe_appointment(row), status_code=201)


async def appointment_act(request: Request, ctx: Ctx) -> Response:
    data = await _body(request)
    action = request.url.path.rsplit("/", 1)[-1]
    actor = await _actor(ctx)
    ident = request.path_params["id"]
    expected = data.get("expected_version")
    if expected is not None and not isinstance(expected, int):
        raise BadRequest("expected_version 必须是整数。", "expected_version must be a whole number.")
    opinion = str(data.get("opinion") or "")
    if action in ("approve", "terminate"):
        row = await appointments.act(ctx.domain, ident, action, actor, opinion=opinion, expected_version=expected)
    elif action == "withdraw":
        row = await appointments.withdraw(ctx.domain, ident, actor)
    elif action == "revoke":
        row = await appointments.revoke(ctx.domain, ident, actor, opinion)
    else:
        raise hidden()
    return JSONResponse(describe_appointment(row))


async def appointments_pending(request: Request, ctx: Ctx) -> Response:
    rows = await appointments.pending_for(await _actor(ctx))
    return JSONResponse({"appointments": [describe_appointment(a) for a in rows]})


def routes() -> list[Route]:
    u = "/api/units/{unit}"
    return [
        guarded("/api/me", me, SIGNED_IN, name="api_me"),
        guarded("/api/units", units, need("unit", "read", "platform"), name="api_units"),
        guarded(u, unit, need("bundle", "read", "path"), name="api_unit"),
        guarded(u + "/versions", versions, need("bundle", "read", "path"), name="api_versions"),
        guarded(u + "/versions/{number:int}", version, need("bundle", "read", "path"), name="api_version"),
        guarded(u + "/versions/{number:int}/files/{path:path}", version_file, need("bundle", "read", "path"),
                name="api_version_file"),
        guarded(u + "/users", users, need("user", "read", "path"), name="api_users"),
        guarded(u + "/audit/events", audit_events, need("audit", "read", "path"), name="api_audit_events"),
        guarded(u + "/audit/verify", audit_verify, need("audit", "read", "path"), name="api_audit_verify"),
        guarded(u + "/tokens", token_list, need("api_token", "read", "path"), name="api_tokens"),
        guarded(u + "/tokens", token_create, need("api_token", "create", "path"), methods=("POST",),
                name="api_token_create"),
        guarded(u + "/tokens/{id:int}/revoke", token_revoke, need("api_token", "delete", "path"), methods=("POST",),
                name="api_token_revoke"),
        guarded(u + "/appointments", appointment_list, need("appointment", "read", "path"), name="api_appointments"),
        guarded(u + "/appointments", appointment_submit, need("appointment", "create", "path"), methods=("POST",),
                name="api_appointment_submit"),
        guarded(u + "/appointments/{id:int}", appointment_get, need("appointment", "read", "path"),
                name="api_appointment"),
        *(guarded(u + f"/appointments/{{id:int}}/{action}", appointment_act, need("appointment", act, "path"),
                  methods=("POST",), name=f"api_appointment_{action}")
          for action, act in (("approve", "approve"), ("terminate", "approve"), ("withdraw", "update"),
                              ("revoke", "update"))),
        guarded("/api/appointments/pending", appointments_pending, need("appointment", "approve", "platform"),
                name="api_appointments_pending"),
    ]


_ = (PLATFORM, platform_scope)
