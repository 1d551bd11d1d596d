"""The flow screens: the inbox (待办 / 已办 / 我发起的 / 传阅), a task page, an instance's progress, notifications.

Every screen reads through runtime.flows.inbox and every action goes through runtime.flows.engine —
the services the JSON API (runtime/api_flows.py) uses — so who may do what is decided in one place.
An action is a plain HTML form carrying the session's CSRF token; on success the page redirects
back with a flash (``?ok=<action>``); a refused action re-renders the page with the message in the
page's language: 409 when the task was already handled ("已由 … 办理"), 422 for field problems
(shown at their fields, the input kept) or a missing reason.

The task page renders the record's form under the node's field permissions: ``edit`` fields with
the forms renderer's widgets (and its Alpine component running the form's rules), ``read`` fields
as values (with hidden inputs so that the rules still see them), ``hidden`` fields not at all —
inbox.task_view has already dropped their values. Routes are guarded like the API's: the unit's
``inbox`` right in the path's domain; a record's submit button needs ``record:{form}`` create.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime import records
from runtime.flows import engine, inbox
from runtime.forms.compiled import CompiledForm
from runtime.guard import Ctx, Denied, guarded, need
from runtime.pages_forms import (
    _files,
    _names,
    client_config,
    field_states,
    layout,
    parse_submission,
    pickers,
    shown_values,
    unit_tree,
)
from runtime.screens.i18n import translator
from runtime.security import CITY_TZ, csrf_token
from tenants import store
from tenants.errors import BanwenError, Conflict, FieldErrors, NotFound
from tenants.models import FlowInstance, Record, Task, User
from tenants.scope import tenant_scope

PAGE_SIZE = 50
PRIMARY = ("submit", "approve", "read")  # the one button under the form
SECONDARY = ("return_to", "transfer", "delegate", "add_signer", "remove_signer", "urge", "withdraw", "terminate")
# what an action cannot go without, checked here so the message names the box on the page
NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "return_to": (("opinion", "need_reason"),), "terminate": (("opinion", "need_reason"),),
    "transfer": (("to", "need_person"),), "delegate": (("to", "need_person"), ("until", "need_until")),
    "add_signer": (("signers", "need_person"),), "remove_signer": (("signers", "need_signer"),),
}
SEPARATORS = re.compile(r"[,，、;；\s]+")


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> Response:
    return request.app.state.render(request, name, status, **ctx)


def _lang(request: Request) -> str:
    from runtime.app import locale

    return locale(request)


def _when(iso: str | None) -> str:
    """2026-11-25T10:30+08:00 → 2026-11-25 10:30 (every time on these screens is the city's)."""
    return iso[:16].replace("T", " ") if iso else ""


def _text(posted: FormData, key: str) -> str | None:
    value = str(posted.get(key) or "").strip()
    return value or None


def _is_admin(ctx: Ctx) -> bool:
    p = ctx.principal
    return ctx.authority.check(p.subject, ctx.domain, "instance", "terminate", member=p.is_member_of(ctx.domain))


async def _people(unit: str) -> dict[str, dict[str, str]]:
    """The unit's people by login: name and department (for names on screens and the user picker)."""
    with tenant_scope(unit):
        rows = await User.all().order_by("login").values("login", "name", "department", "is_active")
    return {r["login"]: {"name": r["name"], "department": r["department"] or "", "active": r["is_active"]} for r in rows}


def _name(people: Mapping[str, Mapping[str, str]], login: str | None) -> str:
    if not login:
        return ""
    return str((people.get(login) or {}).get("name") or login)


def _login_of(people: Mapping[str, Mapping[str, Any]], typed: str | None) -> str | None:
    """The login someone typed or picked: an account as it is, or a name that only one person has."""
    if not typed or typed in people:
        return typed
    text = typed.split(" · ")[0].strip()
    named = [login for login, p in people.items() if p["name"] == text]
    return named[0] if len(named) == 1 else typed


def _light(t: Any, light: str) -> dict[str, str]:
    return {"light": light, "label": t(f"light_{light}")}


async def _flows(unit: str, lang: str) -> list[dict[str, str]]:
    """The flows of the unit's published version, for the inbox's flow filter."""
    try:
        resolved = (await store.get_version(unit)).resolved or {}
    except BanwenError:
        return []
    return [{"id": fid, "name": (f.get("name_en") or f.get("name") or fid) if lang == "en" else (f.get("name") or fid)}
            for fid, f in sorted((resolved.get("flows") or {}).items()) if isinstance(f, Mapping)]


def _outcome(t: Any, outcome: str | None, lang: str) -> str:
    if not outcome:
        return ""
    zh, en = inbox.OUTCOMES.get(outcome, (outcome, outcome))
    return en if lang == "en" else zh


# ---- the inbox ------------------------------------------------------------------------------

async def inbox_page(request: Request, ctx: Ctx) -> Response:
    lang = _lang(request)
    t = translator(lang)
    me = ctx.principal.subject
    qp = request.query_params
    which = qp.get("box") if qp.get("box") in inbox.BOXES else "todo"
    light = qp.get("light") if qp.get("light") in inbox.LIGHTS and which != "mine" else None
    flows = await _flows(ctx.domain, lang)
    flow = qp.get("flow") if qp.get("flow") in {f["id"] for f in flows} else None
    q = (qp.get("q") or "").strip()[:100]
    offset = int(qp["offset"]) if (qp.get("offset") or "").isdigit() else 0
    result = await inbox.box(ctx.domain, me, which, q=q or None, light=light, flow=flow, limit=PAGE_SIZE, offset=offset)
    people = await _people(ctx.domain)
    names = {f["id"]: f["name"] for f in flows}
    if which == "mine":
        items = _instance_items(request, ctx, result["items"], people, names, t, lang)
    else:
        items = await _task_items(request, ctx, result["items"], people, names, t, lang)
    base = str(request.url_for("inbox_page", unit=ctx.domain).path)

    def url(**change: Any) -> str:
        params = {"box": which, "q": q, "light": light, "flow": flow, "offset": offset, **change}
        return base + "?" + urlencode({k: v for k, v in params.items() if v not in ("", None, 0)})

    counts = result["counts"]
    tabs = [{"box": b, "label": t(f"box_{b}"), "count": counts.get(b, 0), "current": b == which,
             "url": f"{base}?box={b}"} for b in inbox.BOXES]
    return render(request, "flows/inbox.html", user=ctx.principal, unit=ctx.domain, counts=counts, tabs=tabs, box=which,
                  items=items, query={"q": q, "light": light or "", "flow": flow or ""}, flows=flows, lights=inbox.LIGHTS,
                  base=base, overdue_url=f"{base}?box=todo&light=red",
                  prev_url=url(offset=max(0, offset - PAGE_SIZE)) if offset > 0 else None,
                  next_url=url(offset=offset + PAGE_SIZE) if result["more"] else None,
                  first=offset + 1, last=offset + len(items))


async def _task_items(request: Request, ctx: Ctx, rows: list[dict[str, Any]], people: Mapping[str, Any],
                      flow_names: Mapping[str, str], t: Any, lang: str) -> list[dict[str, Any]]:
    """Task rows as the list shows them, with who sent each (the task that made it, else the drafter)."""
    with tenant_scope(ctx.domain):
        origin_of = dict(await Task.filter(id__in=[r["id"] for r in rows]).values_list("id", "origin_id")) if rows else {}
        origins = [o for o in origin_of.values() if o]
        sender_of = dict(await Task.filter(id__in=origins).values_list("id", "completed_by")) if origins else {}
        instances = list({r["instance"] for r in rows})
        starter_of = dict(await FlowInstance.filter(id__in=instances).values_list("id", "started_by")) if instances else {}
    out = []
    for r in rows:
        sender = sender_of.get(origin_of.get(r["id"])) or starter_of.get(r["instance"])
        out.append({
            "url": str(request.url_for("task_page", unit=ctx.domain, task=r["id"]).path),
            "title": r["title"] or t("untitled"), "node": r["node_name"], "flow": flow_names.get(r["flow"], r["flow"]),
            "sender": _name(people, sender), "received": _when(r["created_at"]), "deadline": _when(r["deadline"]),
            "completed": _when(r["completed_at"]), "light": _light(t, r["light"]),
            "acting_for": _name(people, r["acting_for"]) if r["acting_for"] and not r["held_for_me"] else "",
            "held_by": _name(people, r["assignee"]) if r["held_for_me"] else "",
            "state": t(f"task_state_{r['state']}"), "unread": r["kind"] == "circulate" and r["state"] == "open",
            "outcome": _outcome(t, r["outcome"], lang)})
    return out


def _instance_items(request: Request, ctx: Ctx, rows: list[dict[str, Any]], people: Mapping[str, Any],
                    flow_names: Mapping[str, str], t: Any, lang: str) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        current = r["current"]
        out.append({
            "url": str(request.url_for("instance_page", unit=ctx.domain, instance=r["id"]).path),
            "title": r["title"] or t("untitled"), "flow": flow_names.get(r["flow"], r["flow"]),
            "node": "、".join(dict.fromkeys(c["node_name"] for c in current)),
            "handlers": "、".join(_name(people, c["assignee"]) + (f"（{t('acting_for')} {_name(people, c['acting_for'])}）"
                                                               if c["acting_for"] else "") for c in current),
            "received": _when(r["started_at"]), "deadline": _when(r["deadline"]), "completed": _when(r["ended_at"]),
            "light": _light(t, r["light"]), "state": t(f"instance_state_{r['state']}")})
    return out


# ---- the task page --------------------------------------------------------------------------

async def task_page(request: Request, ctx: Ctx) -> Response:
    if request.method == "POST":
        return await _task_act(request, ctx)
    return await _task_screen(request, ctx)


def _readonly_inputs(value: Any) -> dict[str, Any]:
    """What the hidden inputs of a read-only field carry, so the browser's rules see its value."""
    if isinstance(value, bool):
        return {"checked": value, "raw": []}
    items = value if isinstance(value, list) else [value]
    return {"checked": False, "raw": [str(v) for v in items if v is not None and not isinstance(v, dict | list)]}


async def _task_screen(request: Request, ctx: Ctx, *, status: int = 200, failed: dict[str, Any] | None = None,
                       problems: list[dict[str, str]] | None = None, posted: FormData | None = None,
                       data: Mapping[str, Any] | None = None) -> Response:
    lang = _lang(request)
    t = translator(lang)
    me = ctx.principal.subject
    view = await inbox.task_view(ctx.domain, request.path_params["task"], me)
    task, inst, rec = view["task"], view["instance"], view["record"]
    cf = await records.form_of(ctx.domain, rec["form"], rec["form_version"])
    perms: dict[str, str] = view["fields"]
    actions: list[str] = view["actions"]
    primary = next((a for a in actions if a in PRIMARY), None)
    editing = primary in ("submit", "approve")
    values = dict(rec["data"] or {})
    for fid, v in (data or {}).items():  # a refused submission: show what was posted
        if v is None:
            values.pop(fid, None)
        else:
            values[fid] = v
    states, top = field_states(cf, values, problems or [], lang)
    resolved = (await store.get_version(ctx.domain, rec["form_version"])).resolved
    options = await pickers(cf, resolved)
    people = await _people(ctx.domain)
    if any(a in actions for a in ("transfer", "delegate", "add_signer")):
        options["user"] = [{"value": k, "label": " · ".join(x for x in (v["name"], v["department"]) if x)}
                           for k, v in people.items() if v["active"] and k != me]
    files = await _files(request, ctx, cf, values)
    shown = shown_values(cf, states, _names(options), files, t, lang)
    sections = []
    for s in layout(cf, lang):
        fields = []
        for f in s["fields"]:
            perm = perms.get(f["id"], "read")
            if perm == "hidden":
                continue  # never sent: not as a value, not as an input
            if not (editing and perm == "edit"):
                perm = "read"
                shown[f["id"]].update(_readonly_inputs(states[f["id"]]["value"]))
            fields.append({**f, "perm": perm})
        if fields:
            sections.append({**s, "fields": fields})
    client = _client(cf, lang, perms, editing)
    people_names = {k: v["name"] for k, v in people.items()}
    ok = request.query_params.get("ok")
    flash = t(f"done_{ok}") if ok in engine.ACTION_NAMES else None
    act_url = str(request.url_for("task_page", unit=ctx.domain, task=task["id"]).path)
    if failed is not None and failed.get("message") is None:
        failed = {**failed, "message": "；".join(top) or t("fix_fields")}
    boxes = [{"action": a, "label": t(f"act_{a}"), "open": bool(failed and failed.get("action") == a),
              "error": failed["message"] if failed and failed.get("action") == a and failed.get("inline") else None}
             for a in actions if a in SECONDARY]
    if failed and failed.get("inline") and not any(b["error"] for b in boxes):
        failed = {**failed, "inline": False}  # its box is gone (the task changed meanwhile): say it at the top
    steps = view["progress"]["steps"]
    history = [{"node": s["node_name"], "who": _name(people, s["assignee"]),
                "acting_for": _name(people, s["acting_for"]) if s["acting_for"] else "",
                "outcome": _outcome(t, s["outcome"], lang), "opinion": s["opinion"] or "",
                "when": _when(s["completed_at"])} for s in steps if s["state"] == "done" and s["outcome"]]
    signers = [{"login": s["assignee"], "name": _name(people, s["assignee"]), "state": t(f"task_state_{s['state']}"),
                "outcome": _outcome(t, s["outcome"], lang), "pending": s["state"] in ("open", "waiting")}
               for s in view["signers"]]
    counts = await inbox.counts(ctx.domain, me)
    return render(
        request, "flows/task.html", status, user=ctx.principal, unit=ctx.domain, counts=counts,
        task={**task, "state_text": t(f"task_state_{task['state']}"), "received": _when(task["created_at"]),
              "deadline": _when(task["deadline"]), "completed": _when(task["completed_at"]),
              "light": _light(t, task["light"]), "outcome_text": _outcome(t, task["outcome"], lang),
              "acting_for_name": _name(people, task["acting_for"]) if task["acting_for"] and not task["held_for_me"] else "",
              "held_by": _name(people, task["assignee"]) if task["held_for_me"] else ""},
        instance={**inst, "state_text": t(f"instance_state_{inst['state']}"), "starter": _name(people, inst["started_by"])},
        flow_name=view["flow"]["name_en"] if lang == "en" else view["flow"]["name"],
        sections=sections, state=states, shown=shown, files=files, pickers=options, unit_tree=unit_tree(options.get("unit") or []),
        client=client, editing=editing, primary=primary, primary_label=t(f"act_{primary}") if primary else "",
        boxes=boxes, failed=failed, posted=posted or {}, flash=flash, act_url=act_url, csrf=csrf_token(request.session),
        return_targets=[{"id": x["id"], "name": (x["name_en"] if lang == "en" else x["name"])
                         + (f"（{t('previous_step')}）" if x["previous"] else "")} for x in view["return_targets"]],
        signers=signers, removable=[s for s in signers if s["pending"] and s["login"] != me],
        history=history, names=people_names,
        instance_url=str(request.url_for("instance_page", unit=ctx.domain, instance=inst["id"]).path),
        inbox_url=str(request.url_for("inbox_page", unit=ctx.domain).path),
        upload_url=str(request.url_for("api_attachment_upload", unit=ctx.domain, form=cf.id).path),
        download_base=str(request.url_for("api_attachment_upload", unit=ctx.domain, form=cf.id).path) + "/")


def _client(cf: CompiledForm, lang: str, perms: Mapping[str, str], editing: bool) -> dict[str, Any]:
    """form.js's configuration for this node: hidden fields left out, read-only ones never required.

    A ``validate`` rule stays only when it names an editable field: the server checks the rest, and
    a rule about a field the person cannot change must not stop them from approving.
    """
    client = client_config(cf, lang)
    editable = {fid for fid, p in perms.items() if p == "edit"} if editing else set()
    for fid in list(client["fields"]):
        if perms.get(fid, "read") == "hidden":
            client["fields"].pop(fid)
        elif fid not in editable:
            client["fields"][fid]["required"] = False
    rules = dict(client["rules"])
    rules["required"] = {k: v for k, v in (rules.get("required") or {}).items() if k in editable}
    rules["validate"] = [v for v in rules.get("validate") or [] if v.get("field") in editable]
    client["rules"] = rules
    return client


def _signers(posted: FormData) -> list[str]:
    return [s for raw in posted.getlist("signers") for s in SEPARATORS.split(str(raw)) if s.strip()]


async def _task_act(request: Request, ctx: Ctx) -> Response:
    lang = _lang(request)
    t = translator(lang)
    me = ctx.principal.subject
    task_id = request.path_params["task"]
    view = await inbox.task_view(ctx.domain, task_id, me)  # not mine, or another unit's: 404 before anything
    posted = await request.form()
    action = str(posted.get("action") or "")
    args: dict[str, Any] = {"opinion": _text(posted, "opinion"), "target": _text(posted, "target"),
                            "to": _text(posted, "to"), "until": _text(posted, "until"),
                            "message": _text(posted, "message"), "signers": _signers(posted) or None}
    if args["to"] or args["signers"]:  # a person may be typed by name: 张三 → zhangsan when only one is called so
        people = await _people(ctx.domain)
        args["to"] = _login_of(people, args["to"])
        args["signers"] = [_login_of(people, s) or s for s in args["signers"] or []] or None
    for key, message in NEEDS.get(action, ()):
        if not args.get(key):
            return await _task_screen(request, ctx, status=422, posted=posted,
                                      failed={"action": action, "message": t(message), "inline": True})
    data = None
    if action in ("approve", "submit"):
        cf = await records.form_of(ctx.domain, view["record"]["form"], view["record"]["form_version"])
        parsed = parse_submission(cf, posted)
        placed = {fid for s in cf.sections for fid in s.fields}
        data = {fid: parsed.get(fid) for fid, p in view["fields"].items()
                if p == "edit" and fid in placed and cf.fields[fid].widget not in ("serial", "computed")} or None
    version = str(posted.get("version") or "")
    try:
        await engine.act(ctx.domain, task_id, me, action, data=data,
                         expected_version=int(version) if version.isdigit() else None,
                         admin=action == "terminate" and _is_admin(ctx), **args)
    except FieldErrors as e:
        return await _task_screen(request, ctx, status=422, problems=e.problems, posted=posted, data=data,
                                  failed={"action": action, "message": None})
    except NotFound:
        raise
    except BanwenError as e:
        message = await _refusal(ctx, task_id, action, e, lang)
        return await _task_screen(request, ctx, status=e.status, posted=posted,
                                  failed={"action": action, "message": message, "inline": action in SECONDARY})
    target = request.url_for("task_page", unit=ctx.domain, task=task_id).path
    return RedirectResponse(f"{target}?ok={action}", status_code=303)


async def _refusal(ctx: Ctx, task_id: Any, action: str, exc: BanwenError, lang: str) -> str:
    """The refusal in the page's language; a task someone already handled says who and when."""
    if isinstance(exc, Conflict) and action != "withdraw":
        with tenant_scope(ctx.domain):
            task = await Task.get_or_none(id=int(task_id))
        if task is not None and task.state == engine.DONE and task.completed_by:
            people = await _people(ctx.domain)
            who = _name(people, task.completed_by)
            when = task.completed_at.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M") if task.completed_at else ""
            what = _outcome(translator(lang), task.outcome, lang)
            if lang == "en":
                return f"This task ({task.node_name}) was already handled by {who} at {when} ({what}); nothing more to do."
            return f"此待办（{task.node_name}）已由 {who} 于 {when} 办理（{what}），无需重复办理。"
    return exc.en if lang == "en" else exc.zh


# ---- an instance's progress -----------------------------------------------------------------

async def _instance(ctx: Ctx, ident: Any) -> FlowInstance:
    with tenant_scope(ctx.domain):
        inst = await FlowInstance.get_or_none(id=int(ident)) if str(ident).isdigit() else None
    if inst is None:
        raise NotFound(f"流程实例 #{ident} 不存在。", f"Flow instance #{ident} does not exist.")
    p = ctx.principal
    if not ctx.authority.check(p.subject, ctx.domain, f"record:{inst.form}", "read", member=p.is_member_of(ctx.domain)):
        raise Denied()
    return inst


async def _instance_actions(ctx: Ctx, inst: FlowInstance, steps: list[dict[str, Any]]) -> list[str]:
    """What the progress page offers: 催办 to the drafter or an earlier handler, 终止 as the engine allows it."""
    if inst.state != engine.RUNNING:
        return []
    me = ctx.principal.subject
    flow = await engine.flow_of(ctx.domain, inst.flow, inst.flow_version)
    out = []
    acted = any(s["state"] == "done" and s["assignee"] == me for s in steps)
    if (me == inst.started_by or acted) and any(s["state"] == "open" and s["blocking"] for s in steps):
        out.append("urge")
    holder = any(s["state"] == "open" and s["assignee"] == me and "terminate" in flow.node(s["node"]).actions for s in steps)
    if _is_admin(ctx) or holder or (me == inst.started_by and "terminate" in flow.node(flow.start).actions):
        out.append("terminate")
    return out


async def instance_page(request: Request, ctx: Ctx) -> Response:
    inst = await _instance(ctx, request.path_params["instance"])
    if request.method != "POST":
        return await _instance_screen(request, ctx, inst)
    t = translator(_lang(request))
    prog = await inbox.progress(ctx.domain, inst.id)
    offered = await _instance_actions(ctx, inst, prog["steps"])
    if not offered:
        raise Denied()
    posted = await request.form()
    action = str(posted.get("action") or "")
    text = _text(posted, "opinion")
    if action not in offered:
        return await _instance_screen(request, ctx, inst, status=422, failed={"action": action, "message": t("not_offered")})
    if action == "terminate" and not text:
        return await _instance_screen(request, ctx, inst, status=422, failed={"action": action, "message": t("need_reason")})
    try:
        if action == "terminate":
            await engine.terminate(ctx.domain, inst.id, ctx.principal.subject, text, admin=_is_admin(ctx))
        else:
            await engine.urge(ctx.domain, inst.id, ctx.principal.subject, text)
    except NotFound:
        raise
    except BanwenError as e:
        message = e.en if _lang(request) == "en" else e.zh
        return await _instance_screen(request, ctx, inst, status=e.status, failed={"action": action, "message": message})
    target = request.url_for("instance_page", unit=ctx.domain, instance=inst.id).path
    return RedirectResponse(f"{target}?ok={action}", status_code=303)


def _limit_text(t: Any, limit: Mapping[str, Any] | None, classes: Mapping[str, Mapping[str, Any]], lang: str) -> str:
    """一般件（1 个工作日） / 4 个工作小时: a node's time limit in words."""
    if not limit:
        return ""
    spec, label = dict(limit), ""
    if "class" in spec:
        c = classes.get(spec["class"]) or {}
        label = str((c.get("name_en") or c.get("name") or spec["class"]) if lang == "en" else (c.get("name") or spec["class"]))
        spec = dict(c)
    if spec.get("working_days"):
        amount = t("n_working_days").replace("{n}", str(spec["working_days"]))
    elif spec.get("working_hours"):
        amount = t("n_working_hours").replace("{n}", str(spec["working_hours"]))
    else:
        amount = ""
    return f"{label}（{amount}）" if label and amount else (label or amount)


async def _instance_screen(request: Request, ctx: Ctx, inst: FlowInstance, *, status: int = 200,
                           failed: dict[str, Any] | None = None) -> Response:
    from runtime.timers.deadlines import calendar_for

    lang = _lang(request)
    t = translator(lang)
    prog = await inbox.progress(ctx.domain, inst.id)
    people = await _people(ctx.domain)
    classes = (await calendar_for(ctx.domain)).rules.classes
    head = prog["instance"]
    nodes = [{"name": n["name_en"] if lang == "en" else n["name"], "status": n["status"], "type": n["type"],
              "status_text": t(f"node_{n['status']}")} for n in prog["nodes"] if n["type"] not in ("branch", "parallel")]
    steps = [{"node": s["node_name"], "who": _name(people, s["assignee"]),
              "acting_for": _name(people, s["acting_for"]) if s["acting_for"] else "",
              "outcome": _outcome(t, s["outcome"], lang) or t(f"task_state_{s['state']}"), "opinion": s["opinion"] or "",
              "received": _when(s["created_at"]), "completed": _when(s["completed_at"]), "deadline": _when(s["deadline"]),
              "used": "" if s["hours_used"] is None else t("n_hours").replace("{n}", f"{s['hours_used']:g}"),
              "limit": _limit_text(t, s["time_limit"], classes, lang), "overdue": s["overdue"],
              "light": _light(t, s["light"])} for s in prog["steps"]]
    offered = await _instance_actions(ctx, inst, prog["steps"])
    ok = request.query_params.get("ok")
    flash = t(f"done_{ok}") if ok in ("urge", "terminate", "started") else None
    record_url = str(request.url_for("record_view", unit=ctx.domain, form=inst.form, id=inst.record_id).path)
    mine = [s for s in prog["steps"] if s["state"] == "open" and ctx.principal.subject in (s["assignee"], s["acting_for"])]
    return render(request, "flows/instance.html", status, user=ctx.principal, unit=ctx.domain,
                  counts=await inbox.counts(ctx.domain, ctx.principal.subject),
                  instance={**head, "state_text": t(f"instance_state_{head['state']}"), "starter": _name(people, head["started_by"]),
                            "started": _when(head["started_at"]), "ended": _when(head["ended_at"]),
                            "deadline": _when(head["deadline"])},
                  flow_name=prog["flow"]["name_en"] if lang == "en" else prog["flow"]["name"], nodes=nodes, steps=steps,
                  offered=offered, failed=failed, flash=flash, record_url=record_url, csrf=csrf_token(request.session),
                  act_url=str(request.url_for("instance_page", unit=ctx.domain, instance=inst.id).path),
                  my_task_url=str(request.url_for("task_page", unit=ctx.domain, task=mine[0]["id"]).path) if mine else None,
                  inbox_url=str(request.url_for("inbox_page", unit=ctx.domain).path))


# ---- notifications --------------------------------------------------------------------------

async def notifications_page(request: Request, ctx: Ctx) -> Response:
    lang = _lang(request)
    me = ctx.principal.subject
    items = await inbox.notifications(ctx.domain, me, limit=100)
    task_ids = [n["task"] for n in items if n["task"]]
    with tenant_scope(ctx.domain):
        holders = {r["id"]: (r["assignee"], r["acting_for"], r["completed_by"])
                   for r in await Task.filter(id__in=task_ids).values("id", "assignee", "acting_for", "completed_by")} \
            if task_ids else {}
    rows = []
    for n in items:
        if n["task"] and me in holders.get(n["task"], ()):
            link = str(request.url_for("task_page", unit=ctx.domain, task=n["task"]).path)
        elif n["instance"]:
            link = str(request.url_for("instance_page", unit=ctx.domain, instance=n["instance"]).path)
        else:
            link = None
        kind = translator(lang)(f"note_{n['kind']}")
        rows.append({"id": n["id"], "kind": n["kind"] if kind.startswith("note_") else kind, "when": _when(n["created_at"]),
                     "message": (n["message_en"] or n["message"]) if lang == "en" else n["message"], "read": n["read"],
                     "link": link, "read_url": str(request.url_for("notification_read_page", unit=ctx.domain,
                                                                    notification=n["id"]).path)})
    return render(request, "flows/notifications.html", user=ctx.principal, unit=ctx.domain, items=rows,
                  counts=await inbox.counts(ctx.domain, me), csrf=csrf_token(request.session),
                  read_all_url=str(request.url_for("notifications_read_all", unit=ctx.domain).path),
                  marked=request.query_params.get("ok") == "read")


def _safe_next(value: Any) -> str | None:
    text = str(value or "")
    return text if text.startswith("/units/") and "//" not in text and "\\" not in text else None


async def notification_read(request: Request, ctx: Ctx) -> Response:
    await inbox.mark_read(ctx.domain, ctx.principal.subject, request.path_params["notification"])
    posted = await request.form()
    back = _safe_next(posted.get("next")) or str(request.url_for("notifications_page", unit=ctx.domain).path) + "?ok=read"
    return RedirectResponse(back, status_code=303)


async def notifications_read_all(request: Request, ctx: Ctx) -> Response:
    me = ctx.principal.subject
    if not ctx.principal.is_member_of(ctx.domain):
        raise Denied()
    for n in await inbox.notifications(ctx.domain, me, unread=True, limit=inbox.MAX_LIMIT):
        await inbox.mark_read(ctx.domain, me, n["id"])
    return RedirectResponse(str(request.url_for("notifications_page", unit=ctx.domain).path) + "?ok=read", status_code=303)


# ---- starting a record's flow (the record page's 提交办理) -------------------------------------

async def record_submit(request: Request, ctx: Ctx) -> Response:
    lang = _lang(request)
    form_id, rid = request.path_params["form"], request.path_params["id"]
    rec = await records.get(ctx.domain, rid, form_id)  # another unit's record: 404 like one that does not exist
    posted = await request.form()
    back = str(request.url_for("record_view", unit=ctx.domain, form=form_id, id=rec.id).path)
    try:
        inst = await engine.start(ctx.domain, rec.id, ctx.principal.subject, _text(posted, "flow"), None,
                                  _text(posted, "opinion"))
    except BanwenError as e:
        return render(request, "flows/message.html", e.status, user=ctx.principal, back_url=back,
                      message=e.en if lang == "en" else e.zh)
    target = request.url_for("instance_page", unit=ctx.domain, instance=inst.id).path
    return RedirectResponse(f"{target}?ok=started", status_code=303)


async def record_links(request: Request, ctx: Ctx, record: Record) -> dict[str, Any]:
    """For the record page: its 提交办理 button (a draft of mine with a flow), its progress and my open task."""
    me = ctx.principal.subject
    out: dict[str, Any] = {"csrf": csrf_token(request.session)}
    p = ctx.principal
    if record.status == "draft" and record.created_by == me and \
            ctx.authority.check(p.subject, ctx.domain, f"record:{record.form}", "create", member=p.is_member_of(ctx.domain)):
        try:
            flows = await engine.flows_for(ctx.domain, record.form, record.form_version)
        except BanwenError:
            flows = []
        if flows:
            lang = _lang(request)
            out["submit_url"] = str(request.url_for("record_submit", unit=ctx.domain, form=record.form, id=record.id).path)
            out["flows"] = [{"id": f.id, "name": f.name_en if lang == "en" else f.name} for f in flows] if len(flows) > 1 else []
    with tenant_scope(ctx.domain):
        inst = await FlowInstance.filter(record_id=record.id).order_by("-id").first()
        task = await Task.filter(instance_id=inst.id, state="open", assignee=me).order_by("id").first() if inst else None
    if inst is not None:
        out["instance_url"] = str(request.url_for("instance_page", unit=ctx.domain, instance=inst.id).path)
    if task is not None:
        out["task_url"] = str(request.url_for("task_page", unit=ctx.domain, task=task.id).path)
    return out


def routes() -> list[Route]:
    u = "/units/{unit}"
    inbox_read = need("inbox", "read", "path")
    return [
        guarded(u + "/inbox", inbox_page, inbox_read, name="inbox_page"),
        guarded(u + "/tasks/{task:int}", task_page, inbox_read, methods=("GET", "POST"), name="task_page"),
        guarded(u + "/instances/{instance:int}", instance_page, inbox_read, methods=("GET", "POST"), name="instance_page"),
        guarded(u + "/notifications", notifications_page, inbox_read, name="notifications_page"),
        guarded(u + "/notifications/read_all", notifications_read_all, inbox_read, methods=("POST",),
                name="notifications_read_all"),
        guarded(u + "/notifications/{notification:int}/read", notification_read, inbox_read, methods=("POST",),
                name="notification_read_page"),
        guarded(u + "/forms/{form}/records/{id:int}/submit", record_submit, need("record:{form}", "create", "path"),
                methods=("POST",), name="record_submit"),
    ]
