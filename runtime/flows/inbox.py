"""What people see of the flows: the inbox boxes with counts and lights, a task page, an instance's progress.

Read-only; every function runs in the unit's tenant scope. The boxes (issue 6 item 7):

- ``todo`` 待办 — open tasks I hold, and open tasks held for me by someone acting for me (B for A,
  a delegate), which I see but they act on;
- ``done`` 已办 — tasks I completed;
- ``mine`` 我发起的 — instances I started;
- ``circulate`` 传阅 — documents circulated to me, unread first.

Lights come from the task's own ``warn_at`` and ``deadline`` (runtime.timers.deadlines): red once
overdue, yellow from the warning point, green before, none without a time limit — so the filter
in the query and the colour on the screen can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.timezone import localtime

from runtime import records
from runtime.flows import engine
from runtime.flows.definition import Flow
from runtime.timers.calendar import TZ
from runtime.timers.deadlines import calendar_for
from tenants.errors import BanwenError, NotFound
from tenants.models import FlowInstance, Notification, Task
from tenants.scope import tenant_scope

BOXES = ("todo", "done", "mine", "circulate")
LIGHTS = ("red", "yellow", "green", "none")
MAX_LIMIT = 200
OUTCOMES = {
    "submitted": ("提交", "submitted"), "approved": ("同意", "approved"), "returned": ("退回", "returned"),
    "transferred": ("转办", "transferred"), "withdrawn": ("撤回", "withdrawn"), "removed": ("减签", "removed"),
    "read": ("已阅", "read"), "terminated": ("终止", "terminated"), "not_needed": ("无需办理", "not needed"),
    "returned_away": ("因退回取消", "cancelled by a return"), "child_terminated": ("子流程终止", "subflow terminated"),
}


class BadInboxQuery(BanwenError):
    status = 422


def _now() -> datetime:
    return localtime(datetime.now(UTC))


def light_of(task: Task, now: datetime | None = None) -> str:
    """red / yellow / green for an open task with a deadline; none otherwise."""
    if task.deadline is None or task.state not in engine.LIVE:
        return "none"
    now = now or _now()
    if now > task.deadline:
        return "red"
    if task.warn_at is not None and now >= task.warn_at:
        return "yellow"
    return "green"


def _iso(d: datetime | None) -> str | None:
    return d.astimezone(TZ).isoformat(timespec="minutes") if d else None


def task_row(t: Task, me: str, now: datetime | None = None) -> dict[str, Any]:
    return {"id": t.id, "instance": t.instance_id, "record": t.record_id, "flow": t.flow, "node": t.node,
            "node_name": t.node_name, "kind": t.kind, "title": t.title, "state": t.state, "assignee": t.assignee,
            "acting_for": t.acting_for, "post": t.post, "outcome": t.outcome, "opinion": t.opinion,
            "created_at": _iso(t.created_at), "completed_at": _iso(t.completed_at), "deadline": _iso(t.deadline),
            "deadline_note": t.deadline_note, "light": light_of(t, now), "blocking": t.blocking,
            "held_for_me": t.assignee != me and t.acting_for == me, "version": t.lock_version}


def _light_q(light: str, now: datetime) -> Q:
    if light == "red":
        return Q(deadline__lt=now)
    if light == "yellow":
        return Q(deadline__gte=now, warn_at__lte=now)
    if light == "green":
        return Q(deadline__gte=now) & (Q(warn_at__gt=now) | Q(warn_at=None))
    return Q(deadline=None)


async def counts(unit: str, me: str) -> dict[str, int]:
    with tenant_scope(unit):
        todo = await Task.filter(Q(assignee=me) | Q(acting_for=me), state="open").exclude(kind="circulate").count()
        overdue = await Task.filter(assignee=me, state="open", deadline__lt=_now()).exclude(kind="circulate").count()
        circulate = await Task.filter(assignee=me, state="open", kind="circulate").count()
        mine = await FlowInstance.filter(started_by=me, state="running").count()
        done = await Task.filter(completed_by=me, state="done").exclude(outcome__in=["read"]).count()
        unread = await Notification.filter(login=me, read_at=None).count()
    return {"todo": todo, "overdue": overdue, "circulate": circulate, "mine": mine, "done": done, "notifications": unread}


async def box(unit: str, me: str, which: str = "todo", *, q: str | None = None, light: str | None = None,
              flow: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """One box: ``{"box", "items", "counts", "more"}``; items are tasks, or instances for ``mine``."""
    if which not in BOXES:
        raise BadInboxQuery(f"没有 “{which}” 这个箱（可用：{'、'.join(BOXES)}）。", f"No box '{which}' (use one of: {', '.join(BOXES)}).")
    if light and light not in LIGHTS:
        raise BadInboxQuery(f"灯号只能是 {'、'.join(LIGHTS)}。", f"light must be one of: {', '.join(LIGHTS)}.")
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise BadInboxQuery(f"每页 1–{MAX_LIMIT} 条，offset 不能为负。", f"limit must be 1–{MAX_LIMIT} and offset not negative.")
    now = _now()
    with tenant_scope(unit):
        if which == "mine":
            qs = FlowInstance.filter(started_by=me)
            if q:
                qs = qs.filter(title__icontains=q.strip())
            if flow:
                qs = qs.filter(flow=flow)
            rows = await qs.order_by("-started_at", "-id").offset(offset).limit(limit + 1)
            items: list[dict[str, Any]] = [await _instance_row(unit, i, now) for i in rows[:limit]]
        else:
            if which == "todo":
                qs = Task.filter(Q(assignee=me) | Q(acting_for=me), state="open").exclude(kind="circulate")
                order = ("deadline", "created_at", "id")
            elif which == "done":
                qs = Task.filter(completed_by=me, state="done").exclude(outcome="read")
                order = ("-completed_at", "-id")
            else:
                qs = Task.filter(assignee=me, kind="circulate")
                order = ("-state", "-created_at", "-id")  # open before done
            if q:
                qs = qs.filter(title__icontains=q.strip())
            if flow:
                qs = qs.filter(flow=flow)
            if light:
                qs = qs.filter(_light_q(light, now))
            rows = await qs.order_by(*order).offset(offset).limit(limit + 1)
            items = [task_row(t, me, now) for t in rows[:limit]]
    return {"box": which, "items": items, "more": len(rows) > limit, "counts": await counts(unit, me)}


async def _instance_row(unit: str, inst: FlowInstance, now: datetime) -> dict[str, Any]:
    with tenant_scope(unit):
        current = await Task.filter(instance_id=inst.id, state="open", blocking=True).order_by("id")
    worst = max((light_of(t, now) for t in current), key=lambda x: LIGHTS[::-1].index(x) if x != "none" else -1,
                default="none")
    return {"id": inst.id, "flow": inst.flow, "title": inst.title, "record": inst.record_id, "state": inst.state,
            "started_at": _iso(inst.started_at), "ended_at": _iso(inst.ended_at), "deadline": _iso(inst.deadline),
            "current": [{"node_name": t.node_name, "assignee": t.assignee, "acting_for": t.acting_for} for t in current],
            "light": worst}


async def _visible_task(unit: str, task_id: Any, me: str) -> Task:
    with tenant_scope(unit):
        t = await Task.get_or_none(id=int(task_id)) if str(task_id).isdigit() else None
    if t is None or me not in (t.assignee, t.acting_for, t.completed_by):
        raise NotFound(f"待办 #{task_id} 不存在。", f"Task #{task_id} does not exist.")
    return t


async def task_view(unit: str, task_id: Any, me: str) -> dict[str, Any]:
    """A task as its page shows it: the form under the node's field permissions, the actions offered."""
    t = await _visible_task(unit, task_id, me)
    st = await engine._load(unit, t.instance_id)
    flow, form = st.flow, st.form
    node = flow.node(t.node)
    perms = {fid: node.fields.get(fid, "read") for fid in form.fields}
    if t.kind == "circulate":
        perms = {fid: ("hidden" if p == "hidden" else "read") for fid, p in perms.items()}
    editable = t.state == engine.OPEN and t.assignee == me and t.kind in ("start", "approve")
    if not editable:
        perms = {fid: ("hidden" if p == "hidden" else "read") for fid, p in perms.items()}
    data = {k: v for k, v in (st.record.data or {}).items() if perms.get(k) != "hidden"}
    task = next(x for x in st.tasks if x.id == t.id)
    actions = engine.allowed(flow, task, me, st.instance, st.tasks)
    targets = []
    if "return_to" in actions:
        declared = list(node.spec.get("return_targets") or ["previous", flow.start])
        previous = engine._previous_node(st, task)
        for x in declared:
            nid = previous if x == "previous" else x
            if nid in flow.nodes:
                targets.append({"id": nid, "name": flow.node(nid).name, "name_en": flow.node(nid).name_en,
                                "previous": x == "previous"})
    signers = [task_row(x, me) for x in st.group(t.node, t.round)] if node.mode != "single" else []
    return {"task": task_row(task, me), "instance": _instance_head(st.instance), "flow": flow.describe(),
            "record": {**records.describe(st.record), "data": data}, "form": form.describe(), "fields": perms,
            "actions": actions, "return_targets": targets, "signers": signers, "mode": node.mode,
            "progress": await progress_of(unit, st)}


def _instance_head(inst: FlowInstance) -> dict[str, Any]:
    return {"id": inst.id, "flow": inst.flow, "flow_version": inst.flow_version, "title": inst.title,
            "state": inst.state, "started_by": inst.started_by, "started_at": _iso(inst.started_at),
            "ended_at": _iso(inst.ended_at), "end_reason": inst.end_reason, "deadline": _iso(inst.deadline)}


async def progress(unit: str, instance_id: Any) -> dict[str, Any]:
    """An instance's progress: every node's state, and every task — who acted, for whom, when, time used."""
    st = await engine._load(unit, engine._instance_id(instance_id))
    return {"instance": _instance_head(st.instance), "flow": st.flow.describe(), **await progress_of(unit, st)}


async def progress_of(unit: str, st: Any) -> dict[str, Any]:
    flow: Flow = st.flow
    cal = await calendar_for(unit)
    now = _now()
    steps = []
    for t in st.tasks:
        if t.state == engine.WAITING:
            continue
        end = t.completed_at or (now if t.state == engine.OPEN else None)
        used = None
        if end is not None:
            try:
                used = round(cal.working_time(t.created_at, end).total_seconds() / 3600, 1)
            except BanwenError:
                used = None
        limit = flow.node(t.node).time_limit
        steps.append({**task_row(t, "", now), "hours_used": used, "time_limit": dict(limit) if isinstance(limit, Mapping) else None,
                      "overdue": bool(t.deadline and (t.completed_at or now) > t.deadline),
                      "outcome_name": OUTCOMES.get(t.outcome or "", (t.outcome or "", t.outcome or ""))})
    status: dict[str, str] = {}
    for t in st.tasks:
        if t.state in engine.LIVE and t.blocking:
            status[t.node] = "active"
        elif t.state == engine.DONE and status.get(t.node) != "active":
            status[t.node] = "done"
    nodes = [{"id": n, "name": flow.node(n).name, "name_en": flow.node(n).name_en, "type": flow.node(n).type,
              "status": status.get(n, "pending")} for n in flow.order]
    return {"nodes": nodes, "steps": steps}


async def notifications(unit: str, me: str, *, unread: bool = False, limit: int = 50) -> list[dict[str, Any]]:
    with tenant_scope(unit):
        qs = Notification.filter(login=me)
        if unread:
            qs = qs.filter(read_at=None)
        rows = await qs.order_by("-id").limit(max(1, min(limit, MAX_LIMIT)))
    return [{"id": n.id, "kind": n.kind, "task": n.task_id, "instance": n.instance_id, "message": n.message,
             "message_en": n.message_en, "created_at": _iso(n.created_at), "read": n.read_at is not None} for n in rows]


async def mark_read(unit: str, me: str, notification_id: Any) -> None:
    with tenant_scope(unit):
        ident = int(notification_id) if str(notification_id).isdigit() else 0
        n = await Notification.filter(id=ident, login=me).update(read_at=_now())
    if not n:
        raise NotFound(f"通知 #{notification_id} 不存在。", f"Notification #{notification_id} does not exist.")
