"""Warning, due and overdue reminders of open tasks, fired by a sweep (DESIGN §5 "Jobs", issue 6 item 6).

A task's timing lives in its row (``warn_at``, ``due_at``, ``deadline``: runtime.timers.deadlines) and
so does what has been sent (``warned_at``, ``due_sent_at``, ``overdue_sent_at``). ``fire_due`` finds
every open, blocking task whose moment has come and whose column is still empty, and fires that
reminder exactly once: a conditional UPDATE sets the column only where it is still NULL, and only
the writer whose UPDATE changed the row writes the notifications and the audit event, in the same
transaction. ``Notification.dedup`` (unit:task:kind:login) backs this up across workers. Because
huey loses a task that is running when its consumer dies and never catches up a missed periodic run,
nothing here depends on a queued message: the sweep (every minute, ``runtime.jobs``) re-fires what
is due, and the optional exact-time ``remind`` task is only an early call of the same function.

What a reminder does comes from the node's ``escalation`` in the instance's flow version:

- ``notify_handler`` (default true): the task's assignee;
- ``notify_leader``: the head of the assignee's department (``Facts.dept_head``);
- ``notify``: handler specs, resolved like a node's handlers;
- ``hand_to_b``: the task goes to a B holder of its post, who acts for A. This changes the instance,
  so it goes through the engine's write path (its lock on the instance) with the reminder itself.

A step the node does not declare gets the defaults: the handler is reminded at the warning point
and when due; an overdue task is reported to the handler and the handler's department head.

The sweep also fills in the deadline of a task created while its limit ran past the loaded
calendar, once the calendar covers it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.timezone import localtime
from tortoise.transactions import in_transaction

from rbac.people import Assignment, Facts, NoHandler, load_facts, resolve
from runtime.flows import engine
from runtime.flows.definition import Flow, Node
from runtime.timers.calendar import TZ, WorkCalendar
from runtime.timers.deadlines import calendar_for, plan
from tenants import audit
from tenants.errors import BanwenError
from tenants.models import BundleVersion, FlowInstance, Notification, Record, Task, Unit
from tenants.scope import platform_scope, tenant_scope

log = logging.getLogger("banwen.reminders")

SYSTEM = "system"  # the actor of what the timers do (audit, completed_by of a task handed to B)
KINDS = ("warning", "due", "overdue")
# kind -> (the moment it is due, the column that says it was sent)
COLUMNS = {"warning": ("warn_at", "warned_at"), "due": ("due_at", "due_sent_at"), "overdue": ("deadline", "overdue_sent_at")}
KIND_NAMES = {"warning": ("预警", "warning"), "due": ("到期", "due"), "overdue": ("超期", "overdue"),
              "handed": ("转 B 角", "handed to B")}
DEDUP_LIMIT = 128  # Notification.dedup's width


@dataclass(frozen=True)
class Step:
    """What one reminder of one node does (``escalation.warning|due|overdue``)."""

    notify_handler: bool = True
    notify_leader: bool = False
    notify: tuple[Mapping[str, Any], ...] = ()
    hand_to_b: bool = False


DEFAULT_STEPS = {"warning": Step(), "due": Step(), "overdue": Step(notify_leader=True)}


def step_of(node: Node, kind: str) -> Step:
    """The node's declared step for ``kind``, or the default when the node declares none for it."""
    spec = node.escalation.get(kind)
    if not isinstance(spec, Mapping):
        return DEFAULT_STEPS[kind]
    return Step(notify_handler=bool(spec.get("notify_handler", True)), notify_leader=bool(spec.get("notify_leader", False)),
                notify=tuple(spec.get("notify") or ()), hand_to_b=bool(spec.get("hand_to_b", False)))


def dedup_key(unit: str, task_id: int, kind: str, login: str) -> str:
    """``unit:task:kind:login``; hashed when it would not fit the column (long unit ids and logins)."""
    key = f"{unit}:{task_id}:{kind}:{login}"
    if len(key) <= DEDUP_LIMIT:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def due_kinds(task: Task, now: datetime) -> list[str]:
    """The reminders of ``task`` that are due at ``now`` and not yet sent, in order."""
    out = []
    for kind in KINDS:
        moment, sent = COLUMNS[kind]
        at = getattr(task, moment)
        if at is None or getattr(task, sent) is not None:
            continue
        if (at < now) if kind == "overdue" else (at <= now):
            out.append(kind)
    return out


def reminder_times(task: Task) -> list[datetime]:
    """When the task's unsent reminders fall due (for scheduling an exact-time ``remind`` job)."""
    return sorted({getattr(task, COLUMNS[k][0]) for k in KINDS
                   if getattr(task, COLUMNS[k][0]) is not None and getattr(task, COLUMNS[k][1]) is None})


def _now(now: datetime | None) -> datetime:
    if now is None:
        return localtime(datetime.now(UTC))
    if now.tzinfo is None:
        raise BanwenError(f"时间 {now} 没有时区。", f"The time {now} has no time zone.")
    return localtime(now)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M") if moment else "—"


_HANDED_BECAUSE = {"warning": ("已到预警点", "has reached its warning point"), "due": ("即将到期", "is due shortly"),
                   "overdue": ("已超期未办", "is overdue")}


def messages(kind: str, task: Task, node: Node, *, handler: bool, to: str | None = None,
             because: str = "overdue") -> tuple[str, str]:
    """The Chinese and English text of a reminder, for the handler or for someone told about it.

    ``kind`` ``handed`` is the notice to the B holder who got the task (``task`` is the new one),
    ``because`` of which reminder.
    """
    title, name, name_en, deadline = task.title, node.name, node.name_en, _when(task.deadline)
    if kind == "handed":
        why_zh, why_en = _HANDED_BECAUSE[because]
        return (f"待办《{title}》（{name}）{why_zh}，转由您代 {task.acting_for or task.assignee} 办理，期限 {deadline}。",
                f"Task '{title}' ({name_en}) {why_en}; it was handed to you to act for "
                f"{task.acting_for or task.assignee} (deadline {deadline}).")
    if handler:
        zh = {"warning": f"待办《{title}》（{name}）将于 {deadline} 到期，请抓紧办理。",
              "due": f"待办《{title}》（{name}）即将到期（{deadline}），请尽快办理。",
              "overdue": f"待办《{title}》（{name}）已超过办理期限（{deadline}），请立即办理。"}[kind]
        en = {"warning": f"Task '{title}' ({name_en}) is due {deadline}; please act soon.",
              "due": f"Task '{title}' ({name_en}) is due shortly ({deadline}); please act now.",
              "overdue": f"Task '{title}' ({name_en}) is overdue (deadline {deadline}); please act at once."}[kind]
    else:
        who = task.assignee + (f"（代 {task.acting_for}）" if task.acting_for else "")
        who_en = task.assignee + (f" (for {task.acting_for})" if task.acting_for else "")
        zh = {"warning": f"{who} 办理的《{title}》（{name}）将于 {deadline} 到期。",
              "due": f"{who} 办理的《{title}》（{name}）即将到期（{deadline}）。",
              "overdue": f"{who} 办理的《{title}》（{name}）已超过办理期限（{deadline}）。"}[kind]
        en = {"warning": f"'{title}' ({name_en}), handled by {who_en}, is due {deadline}.",
              "due": f"'{title}' ({name_en}), handled by {who_en}, is due shortly ({deadline}).",
              "overdue": f"'{title}' ({name_en}), handled by {who_en}, is overdue (deadline {deadline})."}[kind]
    if to:
        zh, en = f"{zh}已转 {to} 代为办理。", f"{en} It was handed to {to}."
    return zh, en


# --- what one sweep reads once -------------------------------------------------------------------

@dataclass
class _Sweep:
    """Reads shared by the tasks of one sweep: instances, flows, people, calendars."""

    now: datetime
    instances: dict[int, FlowInstance] = field(default_factory=dict)
    facts: dict[tuple[str, int], Facts] = field(default_factory=dict)
    records: dict[int, Record] = field(default_factory=dict)
    calendars: dict[str, WorkCalendar] = field(default_factory=dict)

    async def instance(self, unit: str, instance_id: int) -> FlowInstance:
        if instance_id not in self.instances:
            with tenant_scope(unit):
                self.instances[instance_id] = await FlowInstance.get(id=instance_id)
        return self.instances[instance_id]

    async def node(self, unit: str, task: Task) -> tuple[FlowInstance, Flow, Node]:
        inst = await self.instance(unit, task.instance_id)
        flow = await engine.flow_of(unit, inst.flow, inst.flow_version)
        return inst, flow, flow.node(task.node)

    async def people(self, unit: str, version: int) -> Facts:
        key = (unit, version)
        if key not in self.facts:
            from tenants.access import access_of

            with tenant_scope(unit):
                v = await BundleVersion.get(number=version)
            resolved = dict(v.resolved or {})
            row = await Unit.get(id=unit)
            self.facts[key] = await load_facts(unit, resolved, row.access or access_of(resolved), self.now)
        return self.facts[key]

    async def record(self, unit: str, record_id: int) -> Record:
        if record_id not in self.records:
            with tenant_scope(unit):
                self.records[record_id] = await Record.get(id=record_id)
        return self.records[record_id]

    async def calendar(self, unit: str) -> WorkCalendar:
        if unit not in self.calendars:
            self.calendars[unit] = await calendar_for(unit)
        return self.calendars[unit]


async def _recipients(sw: _Sweep, unit: str, task: Task, inst: FlowInstance, step: Step,
                      record: Record | None = None) -> tuple[list[tuple[str, bool]], list[str]]:
    """(login, is the handler) once each, and why anyone named could not be found."""
    out: dict[str, bool] = {}
    skipped: list[str] = []
    if step.notify_handler:
        out[task.assignee] = True
    if step.notify_leader or step.notify:
        facts = await sw.people(unit, inst.flow_version)
        if step.notify_leader:
            try:
                out.setdefault(facts.dept_head(task.assignee).login, False)
            except NoHandler as exc:
                skipped.append(f"leader: {exc.en}")
        if step.notify:
            rec = record or await sw.record(unit, task.record_id)
            try:
                for a in resolve(facts, step.notify, drafter=inst.started_by, data=rec.data or {}):
                    out.setdefault(a.login, False)
            except NoHandler as exc:
                skipped.append(f"notify: {exc.en}")
    return list(out.items()), skipped


# --- firing --------------------------------------------------------------------------------------

async def fire_due(now: datetime | None = None, *, unit: str | None = None, task_id: int | None = None) -> dict[str, Any]:
    """Fire every reminder that is due at ``now`` (all units, one unit, or one task); each exactly once.

    Returns what this call fired (reminders another worker fired first are not listed), the
    deadlines it filled in, and the tasks it could not handle (logged; tried again next sweep).
    """
    sw = _Sweep(_now(now))
    out: dict[str, Any] = {"at": sw.now.isoformat(timespec="seconds"), "fired": [], "deadlines": [], "errors": []}
    for t in await _tasks(Q(deadline=None, deadline_note__not_isnull=True), unit, task_id):
        try:
            filled = await _fill_deadline(sw, t)
        except Exception as exc:  # one broken task must not stop the sweep for everyone else
            log.exception("deadline of task %s (%s) not computed", t.id, t.tenant_id)  # type: ignore[attr-defined]
            out["errors"].append({"unit": t.tenant_id, "task": t.id, "error": str(exc)})  # type: ignore[attr-defined]
            continue
        if filled is not None:
            out["deadlines"].append(filled)
    due = (Q(warn_at__lte=sw.now, warned_at=None) | Q(due_at__lte=sw.now, due_sent_at=None)
           | Q(deadline__lt=sw.now, overdue_sent_at=None))
    for t in await _tasks(due, unit, task_id):
        for kind in due_kinds(t, sw.now):
            try:
                fired = await _fire(sw, t, kind)
            except Exception as exc:
                log.exception("%s reminder of task %s (%s) not sent", kind, t.id, t.tenant_id)  # type: ignore[attr-defined]
                out["errors"].append({"unit": t.tenant_id, "task": t.id, "kind": kind, "error": str(exc)})  # type: ignore[attr-defined]
                break
            if fired is not None:
                out["fired"].append(fired)
    return out


async def _tasks(where: Q, unit: str | None, task_id: int | None) -> list[Task]:
    with tenant_scope(unit) if unit is not None else platform_scope():
        qs = Task.filter(where, state=engine.OPEN, blocking=True).exclude(kind="circulate")
        if task_id is not None:
            qs = qs.filter(id=task_id)
        return list(await qs.order_by("id"))


async def _fire(sw: _Sweep, task: Task, kind: str) -> dict[str, Any] | None:
    unit: str = task.tenant_id  # type: ignore[attr-defined]
    inst, _, node = await sw.node(unit, task)
    step = step_of(node, kind)
    if step.hand_to_b:
        return await _fire_and_hand(sw, unit, task, node, kind, step)
    recipients, skipped = await _recipients(sw, unit, task, inst, step)
    column = COLUMNS[kind][1]
    with tenant_scope(unit):
        async with in_transaction() as conn:
            won = await Task.filter(id=task.id, state=engine.OPEN, **{column: None}).using_db(conn).update(**{column: sw.now})
            if won != 1:
                return None  # another worker, or an action on the task, got there first
            for login, is_handler in recipients:
                zh, en = messages(kind, task, node, handler=is_handler)
                key = dedup_key(unit, task.id, kind, login)
                if await Notification.filter(dedup=key).using_db(conn).exists():
                    continue
                await Notification.create(using_db=conn, login=login, kind=kind, task_id=task.id, instance_id=inst.id,
                                          message=zh, message_en=en, dedup=key, created_at=sw.now)
            after = {"kind": kind, "at": _when(getattr(task, COLUMNS[kind][0])), "deadline": _when(task.deadline),
                     "to": [login for login, _ in recipients], **({"skipped": skipped} if skipped else {})}
            await audit.record_many([audit.Event(f"task:{task.id}", f"remind_{kind}", unit, after=after, actor=SYSTEM)])
    setattr(task, column, sw.now)
    return {"unit": unit, "task": task.id, "kind": kind, "to": [login for login, _ in recipients], "title": task.title}


class _NothingToDo(Exception):
    """The reminder was fired meanwhile, or the task is no longer open: write nothing."""


def b_holder(facts: Facts, task: Task) -> tuple[str | None, str]:
    """The B holder of the task's post who can take it over, or None and why not (pure)."""
    if not task.post:
        return None, "the task was not addressed to a post"
    try:
        _, bs = facts.holders(task.post)
    except NoHandler as exc:
        return None, exc.en
    if task.assignee in bs:
        return None, "a B holder already has the task"
    for b in bs:
        if b == (task.acting_for or task.assignee) or facts.is_away(b) or (facts.active and b not in facts.active):
            continue
        return b, ""
    return None, "no B holder of the post is available"


async def hand_to_b(unit: str, task_id: int, kind: str = "overdue", now: datetime | None = None) -> dict[str, Any] | None:
    """Fire ``kind`` for the task and, as its node's escalation says, hand it to a B holder of its post.

    Public so that an operator's command or a test can do just this; the sweep calls it for nodes
    whose step says ``hand_to_b``. Through the engine's write path: the instance's lock version is
    checked and bumped like for any action, so a handler acting at the same moment either wins
    (and the hand-over is decided again on fresh state, finding nothing to do) or loses cleanly.
    """
    sw = _Sweep(_now(now))
    with tenant_scope(unit):
        task = await Task.get(id=task_id)
    _, _, node = await sw.node(unit, task)
    return await _fire_and_hand(sw, unit, task, node, kind, step_of(node, kind))


async def _fire_and_hand(sw: _Sweep, unit: str, task: Task, node: Node, kind: str, step: Step) -> dict[str, Any] | None:
    column = COLUMNS[kind][1]
    result: dict[str, Any] = {}

    async def decide(st: engine.State) -> tuple[dict[str, Any], list[audit.Event]]:
        result.clear()  # decided again on fresh state when another command got there first
        t = next((x for x in st.tasks if x.id == task.id), None)
        if t is None or t.state != engine.OPEN or getattr(t, column) is not None or st.instance.state != engine.RUNNING:
            raise _NothingToDo()
        recipients, skipped = await _recipients(sw, unit, t, st.instance, step, record=st.record)
        facts = await sw.people(unit, st.instance.flow_version)
        b, why = b_holder(facts, t) if step.hand_to_b else (None, "")
        st.set(t, **{column: st.now})
        for login, is_handler in recipients:
            zh, en = messages(kind, t, node, handler=is_handler, to=b)
            st.notes.append({"login": login, "kind": kind, "task_id": t.id, "message": zh, "message_en": en,
                             "dedup": dedup_key(unit, t.id, kind, login)})
        after: dict[str, Any] = {"kind": kind, "at": _when(getattr(t, COLUMNS[kind][0])), "deadline": _when(t.deadline),
                                 "to": [login for login, _ in recipients]}
        if skipped:
            after["skipped"] = skipped
        events = [audit.Event(f"task:{t.id}", f"remind_{kind}", unit, after=after, actor=SYSTEM)]
        if b is None:
            if step.hand_to_b:
                after["hand_to_b"] = why
        else:
            holder = t.acting_for or t.assignee
            origin = next((x for x in st.tasks if x.id == t.origin_id), None)
            new = engine._task(st, node, Assignment(b, t.post, holder), rnd=t.round, origin=origin, seq=t.seq)
            for col in ("deadline", "warn_at", "due_at", "deadline_note", "warned_at", "due_sent_at", "overdue_sent_at"):
                setattr(new, col, getattr(t, col))
            why_zh, why_en = _HANDED_BECAUSE[kind]
            opinion = f"{why_zh}，转 B 角 {b} 办理。 / The task {why_en}: handed to the B holder {b}."
            before = {"node": t.node, "assignee": t.assignee, "acting_for": t.acting_for}
            st.set(t, state=engine.DONE, outcome="transferred", opinion=opinion, completed_at=st.now, completed_by=SYSTEM)
            zh, en = messages("handed", new, node, handler=True, because=kind)
            st.notes.append({"login": b, "kind": "handed", "_task": new, "message": zh, "message_en": en,
                             "dedup": dedup_key(unit, t.id, "handed", b)})
            events.append(audit.Event(f"task:{t.id}", "hand_to_b", unit, before=before,
                                      after={"node": t.node, "assignee": b, "acting_for": holder, "post": t.post},
                                      actor=SYSTEM))
            result["handed_to"] = b
            result["_new"] = new
        result.update({"unit": unit, "task": t.id, "kind": kind, "to": [login for login, _ in recipients], "title": t.title})
        return result, events

    try:
        out = await engine._run(unit, task.instance_id, decide)
    except _NothingToDo:
        return None
    new = out.pop("_new", None)
    if new is not None:
        out["new_task"] = new.id
    setattr(task, column, sw.now)
    return out


# --- deadlines the calendar could not give at creation -------------------------------------------

async def _fill_deadline(sw: _Sweep, task: Task) -> dict[str, Any] | None:
    """Compute a missing deadline from the task's creation once the calendar reaches far enough."""
    unit: str = task.tenant_id  # type: ignore[attr-defined]
    _, _, node = await sw.node(unit, task)
    if not node.time_limit:
        return None
    p = plan(await sw.calendar(unit), task.created_at, node.time_limit)
    if p.deadline is None:
        return None
    with tenant_scope(unit):
        async with in_transaction() as conn:
            won = await Task.filter(id=task.id, deadline=None).using_db(conn).update(
                deadline=p.deadline, warn_at=p.warn_at, due_at=p.due_at, deadline_note=p.note)
            if won != 1:
                return None
            await audit.record_many([audit.Event(f"task:{task.id}", "deadline_set", unit, actor=SYSTEM,
                                                 before={"note": task.deadline_note},
                                                 after={"deadline": _when(p.deadline), "note": p.note})])
    task.deadline, task.warn_at, task.due_at, task.deadline_note = p.deadline, p.warn_at, p.due_at, p.note
    return {"unit": unit, "task": task.id, "deadline": _when(p.deadline)}

