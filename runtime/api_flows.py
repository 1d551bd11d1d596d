"""The JSON API of the flow engine: start a record's flow, the inbox, tasks and their actions, progress.

Routes (all under ``/api/units/{unit}``, guarded in the unit's domain):

- ``POST …/forms/{form}/records/{id}/start`` ``{"flow"?, "data"?, "opinion"?}`` — the drafter starts the flow
- ``GET  …/tasks?box=todo|done|mine|circulate&q=&light=&flow=&limit=&offset=`` and ``GET …/tasks/counts``
- ``GET  …/tasks/{task}`` — the task page's data: form under the node's permissions, actions offered
- ``POST …/tasks/{task}/{action}`` — ``{"opinion", "data", "target", "to", "signers", "until", "message",
  "expected_version"}`` as the action needs
- ``GET  …/instances/{instance}``; ``POST …/instances/{instance}/terminate`` ``{"reason"}`` and ``/urge`` ``{"message"}``
- ``GET  …/notifications?unread=1``; ``POST …/notifications/{notification}/read``

Who may act is decided by the engine from the task (its assignee, the earlier actor who may
withdraw…); the guard only requires the ``inbox`` right of the unit. A task, instance or
notification of another unit, or one the caller has no part in, is a 404 like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime.api import BadRequest, _body
from runtime.api_records import _int
from runtime.flows import engine, inbox
from runtime.guard import Ctx, Denied, guarded, need
from tenants.models import FlowInstance
from tenants.scope import tenant_scope


def _is_admin(ctx: Ctx) -> bool:
    p = ctx.principal
    return ctx.authority.check(p.subject, ctx.domain, "instance", "manage", member=p.is_member_of(ctx.domain))


def _str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{key} 应为文字。", f"{key} must be a string.")
    return value


async def start(request: Request, ctx: Ctx) -> Response:
    body = await _body(request)
    data = body.get("data")
    if data is not None and not isinstance(data, dict):
        raise BadRequest("data 应为表单数据对象。", "data must be an object of form data.")
    await _same_form(ctx, request.path_params["form"], request.path_params["id"])
    inst = await engine.start(ctx.domain, request.path_params["id"], ctx.principal.subject, _str(body, "flow"),
                              data, _str(body, "opinion"))
    return JSONResponse(await inbox.progress(ctx.domain, inst.id), status_code=201)


async def _same_form(ctx: Ctx, form: str, record_id: Any) -> None:
    from runtime import records

    await records.get(ctx.domain, record_id, form)


async def task_list(request: Request, ctx: Ctx) -> Response:
    qp = request.query_params
    out = await inbox.box(ctx.domain, ctx.principal.subject, qp.get("box") or "todo", q=qp.get("q") or None,
                          light=qp.get("light") or None, flow=qp.get("flow") or None,
                          limit=_int(request, "limit", 50), offset=_int(request, "offset", 0))
    return JSONResponse(out)


async def task_counts(request: Request, ctx: Ctx) -> Response:
    return JSONResponse(await inbox.counts(ctx.domain, ctx.principal.subject))


async def task_get(request: Request, ctx: Ctx) -> Response:
    return JSONResponse(await inbox.task_view(ctx.domain, request.path_params["task"], ctx.principal.subject))


async def task_action(request: Request, ctx: Ctx) -> Response:
    action = request.path_params["action"]
    body = await _body(request)
    data = body.get("data")
    if data is not None and not isinstance(data, dict):
        raise BadRequest("data 应为表单数据对象。", "data must be an object of form data.")
    signers = body.get("signers")
    if signers is not None and (not isinstance(signers, list) or not all(isinstance(s, str) for s in signers)):
        raise BadRequest("signers 应为账号列表。", "signers must be a list of accounts.")
    expected = body.get("expected_version")
    if expected is not None and (not isinstance(expected, int) or isinstance(expected, bool)):
        raise BadRequest("expected_version 应为整数。", "expected_version must be a whole number.")
    out = await engine.act(ctx.domain, request.path_params["task"], ctx.principal.subject, action,
                           opinion=_str(body, "opinion"), data=data, target=_str(body, "target"), to=_str(body, "to"),
                           signers=signers, until=_str(body, "until"), message=_str(body, "message"),
                           expected_version=expected, admin=action == "terminate" and _is_admin(ctx))
    return JSONResponse(out)


async def _instance(ctx: Ctx, ident: Any) -> FlowInstance:
    with tenant_scope(ctx.domain):
        inst = await FlowInstance.get_or_none(id=int(ident)) if str(ident).isdigit() else None
    if inst is None:
        raise engine.NotFound(f"流程实例 #{ident} 不存在。", f"Flow instance #{ident} does not exist.")
    p = ctx.principal
    if not ctx.authority.check(p.subject, ctx.domain, f"record:{inst.form}", "read", member=p.is_member_of(ctx.domain)):
        raise Denied()
    return inst


async def instance_get(request: Request, ctx: Ctx) -> Response:
    inst = await _instance(ctx, request.path_params["instance"])
    return JSONResponse(await inbox.progress(ctx.domain, inst.id))


async def instance_terminate(request: Request, ctx: Ctx) -> Response:
    inst = await _instance(ctx, request.path_params["instance"])
    body = await _body(request)
    out = await engine.terminate(ctx.domain, inst.id, ctx.principal.subject, _str(body, "reason"), admin=_is_admin(ctx))
    return JSONResponse(out)


async def instance_urge(request: Request, ctx: Ctx) -> Response:
    inst = await _instance(ctx, request.path_params["instance"])
    body = await _body(request)
    return JSONResponse(await engine.urge(ctx.domain, inst.id, ctx.principal.subject, _str(body, "message")))


async def notification_list(request: Request, ctx: Ctx) -> Response:
    unread = request.query_params.get("unread") in ("1", "true")
    items = await inbox.notifications(ctx.domain, ctx.principal.subject, unread=unread, limit=_int(request, "limit", 50))
    return JSONResponse({"items": items})


async def notification_read(request: Request, ctx: Ctx) -> Response:
    await inbox.mark_read(ctx.domain, ctx.principal.subject, request.path_params["notification"])
    return JSONResponse({"ok": True})


def routes() -> list[Route]:
    u = "/api/units/{unit}"
    inbox_read = need("inbox", "read", "path")
    return [
        guarded(u + "/forms/{form}/records/{id:int}/start", start, need("record:{form}", "create", "path"),
                methods=("POST",), name="api_record_start"),
        guarded(u + "/tasks", task_list, inbox_read, name="api_tasks"),
        guarded(u + "/tasks/counts", task_counts, inbox_read, name="api_task_counts"),
        guarded(u + "/tasks/{task:int}", task_get, inbox_read, name="api_task"),
        guarded(u + "/tasks/{task:int}/{action}", task_action, inbox_read, methods=("POST",), name="api_task_action"),
        guarded(u + "/instances/{instance:int}", instance_get, inbox_read, name="api_instance"),
        guarded(u + "/instances/{instance:int}/terminate", instance_terminate, inbox_read, methods=("POST",),
                name="api_instance_terminate"),
        guarded(u + "/instances/{instance:int}/urge", instance_urge, inbox_read, methods=("POST",), name="api_instance_urge"),
        guarded(u + "/notifications", notification_list, inbox_read, name="api_notifications"),
        guarded(u + "/notifications/{notification:int}/read", notification_read, inbox_read, methods=("POST",),
                name="api_notification_read"),
    ]
