"""The flow engine: starts instances and carries out every action on their tasks.

One command = one unit of work (DESIGN §6): read the instance, its tasks and its record; decide in
memory over the immutable flow definition (``runtime.flows.definition``); then write everything in
one transaction — task changes, new tasks, the instance, the record, notifications and one audit
event per action. The instance row's ``lock_version`` serialises decisions: the write is refused
when another command changed the instance since it was read, and the command is decided again on
fresh state. A command whose task was meanwhile completed by someone else is a ``Conflict`` (409),
and nothing is written. A running instance keeps the bundle version it started with.

Public API:

- ``await flows_for(unit, form_id, version=None) -> list[Flow]``
- ``await start(unit, record_id, actor, flow_id=None, data=None, opinion=None) -> FlowInstance``
- ``await act(unit, task_id, actor, action, **args) -> dict`` — submit, approve, return_to, withdraw,
  transfer, delegate, add_signer, remove_signer, urge, terminate, read
- ``await terminate(unit, instance_id, actor, reason, admin=False)`` and ``await urge(unit, instance_id, actor, message)``
- ``allowed(flow, task, actor, instance, tasks) -> list[str]``: what the task page offers
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.timezone import localtime
from tortoise.transactions import in_transaction

from rbac.people import Assignment, Facts, NoHandler, load_facts, resolve
from runtime import records
from runtime.flows.definition import Flow, FlowBroken, Node, compile_flow
from runtime.forms.compiled import CompiledForm
from runtime.forms.logic import evaluate
from runtime.timers.deadlines import calendar_for, plan
from tenants import audit
from tenants.errors import BanwenError, Conflict, FieldErrors, NotFound
from tenants.models import Absence, BundleVersion, Delegation, FlowInstance, Notification, Record, Task, Unit, User
from tenants.scope import tenant_scope

log = logging.getLogger("banwen.flows")

OPEN, WAITING, DONE, CANCELLED = "open", "waiting", "done", "cancelled"
LIVE = (OPEN, WAITING)
RUNNING, COMPLETED, TERMINATED = "running", "completed", "terminated"
# outcomes that take a task out of its node's signer group
NOT_SIGNER = frozenset({"transferred", "withdrawn", "removed", "returned_away"})
FIRED = "fired"  # in a join's arrivals (FlowInstance.joins): this round has already gone on
ACTION_NAMES = {
    "submit": ("提交", "Submit"), "approve": ("同意", "Approve"), "return_to": ("退回", "Return"),
    "withdraw": ("撤回", "Withdraw"), "transfer": ("转办", "Transfer"), "delegate": ("委托", "Delegate"),
    "add_signer": ("加签", "Add signer"), "remove_signer": ("减签", "Remove signer"), "urge": ("催办", "Urge"),
    "terminate": ("终止", "Terminate"), "read": ("已阅", "Mark as read"),
}
MAX_RETRIES = 8
_flows: dict[tuple[str, int, str, str], Flow] = {}


class NotAllowed(BanwenError):
    status = 403
    exit_code = 4


class BadAction(BanwenError):
    status = 422


class _Stale(Exception):
    """The instance changed between read and write: decide again."""


def _now() -> datetime:
    return localtime(datetime.now(UTC))


# --- definitions of the unit's versions ------------------------------------------------------

_versions: dict[tuple[str, int, str], dict[str, Any]] = {}


async def _resolved(unit: str, version: int) -> tuple[dict[str, Any], str]:
    """The resolved bundle of a version, cached by its content hash (read alone: a 64-character column)."""
    with tenant_scope(unit):
        found = await BundleVersion.filter(number=version).values_list("content_hash", flat=True)
    if not found:
        raise NotFound(f"单位 “{unit}” 没有版本 {version}。", f"Unit '{unit}' has no version {version}.")
    key = (unit, version, str(found[0]))
    cached = _versions.get(key)
    if cached is None:
        with tenant_scope(unit):
            v = await BundleVersion.get(number=version)
        cached = _versions[key] = dict(v.resolved or {})
        if len(_versions) > 256:
            _versions.pop(next(iter(_versions)))
    return cached, key[2]


async def flow_of(unit: str, flow_id: str, version: int) -> Flow:
    """The compiled flow ``flow_id`` of the unit's version ``version`` (cached; versions never change)."""
    resolved, digest = await _resolved(unit, version)
    key = (unit, version, digest, flow_id)
    cached = _flows.get(key)
    if cached is None:
        spec = (resolved.get("flows") or {}).get(flow_id)
        if not isinstance(spec, Mapping):
            raise NotFound(f"流程 “{flow_id}” 不存在（版本 {version}）。", f"Flow '{flow_id}' does not exist (version {version}).")
        cached = _flows[key] = compile_flow(spec, version)
        if len(_flows) > 512:
            _flows.pop(next(iter(_flows)))
    return cached


async def flows_for(unit: str, form_id: str, version: int | None = None) -> list[Flow]:
    """The flows of a version (the newest published when None) that work on ``form_id``."""
    if version is None:
        version = (await records.form_of(unit, form_id)).version
    resolved, _ = await _resolved(unit, version)
    return [await flow_of(unit, fid, version) for fid, f in sorted((resolved.get("flows") or {}).items())
            if isinstance(f, Mapping) and f.get("form") == form_id]


# --- the state a command works on ------------------------------------------------------------

@dataclass
class State:
    """What one command reads, changes in memory, and writes back at once."""

    unit: str
    flow: Flow
    form: CompiledForm
    instance: FlowInstance
    record: Record
    tasks: list[Task]
    facts: Facts | None = None
    resolved: Mapping[str, Any] = field(default_factory=dict)
    now: datetime = field(default_factory=_now)
    new_tasks: list[Task] = field(default_factory=list)
    changed: dict[int, dict[str, Any]] = field(default_factory=dict)  # task id -> columns to write
    notes: list[dict[str, Any]] = field(default_factory=list)
    absences: list[Absence] = field(default_factory=list)
    delegations: list[Delegation] = field(default_factory=list)
    children: list[tuple[Task, Flow]] = field(default_factory=list)  # subflow tasks whose instance to start
    record_changed: bool = False
    number_now: bool = False  # the record passes its form's ``numbering.assign_at`` node: number it in _flush
    joins_changed: bool = False
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def all_tasks(self) -> list[Task]:
        return self.tasks + self.new_tasks

    def set(self, task: Task, **columns: Any) -> None:
        for k, v in columns.items():
            setattr(task, k, v)
        if task.id is not None:
            self.changed.setdefault(task.id, {}).update(columns)

    def round_of(self, node: str) -> int:
        return max((t.round for t in self.all_tasks() if t.node == node), default=0)

    def group(self, node: str, rnd: int) -> list[Task]:
        return [t for t in self.all_tasks() if t.node == node and t.round == rnd and t.state != CANCELLED
                and t.outcome not in NOT_SIGNER]


async def _load(unit: str, instance_id: int) -> State:
    with tenant_scope(unit):
        inst = await FlowInstance.get_or_none(id=instance_id)
        if inst is None:
            raise NotFound(f"流程实例 #{instance_id} 不存在。", f"Flow instance #{instance_id} does not exist.")
        tasks = list(await Task.filter(instance_id=inst.id).order_by("id"))
        rec = await Record.get(id=inst.record_id)
    flow = await flow_of(unit, inst.flow, inst.flow_version)
    form = await records.form_of(unit, inst.form, rec.form_version)
    resolved, _ = await _resolved(unit, inst.flow_version)
    return State(unit, flow, form, inst, rec, tasks, resolved=resolved)


async def _facts(st: State) -> Facts:
    if st.facts is None:
        unit = await Unit.get(id=st.unit)
        from tenants.access import access_of

        st.facts = await load_facts(st.unit, st.resolved, unit.access or access_of(st.resolved), st.now)
    return st.facts


# --- writing a command's changes -------------------------------------------------------------

async def _flush(st: State, expected: int, audits: list[audit.Event]) -> None:
    inst = st.instance
    with tenant_scope(st.unit):
        async with in_transaction() as conn:
            if inst.id is None:
                await inst.save(using_db=conn)
            else:
                columns: dict[str, Any] = {"lock_version": expected + 1, "state": inst.state, "ended_at": inst.ended_at,
                                           "end_reason": inst.end_reason, "joins": inst.joins, "title": inst.title}
                n = await FlowInstance.filter(id=inst.id, lock_version=expected).using_db(conn).update(**columns)
                if n != 1:
                    raise _Stale()
                inst.lock_version = expected + 1
            for tid, cols in st.changed.items():
                task = next(t for t in st.tasks if t.id == tid)
                cols = {**cols, "lock_version": task.lock_version + 1}
                n = await Task.filter(id=tid, lock_version=task.lock_version).using_db(conn).update(**cols)
                if n != 1:
                    raise _Stale()
                task.lock_version += 1
            for t in st.new_tasks:
                t.instance_id = inst.id
                origin = getattr(t, "_origin", None)
                if origin is not None:
                    t.origin_id = origin.id
                await t.save(using_db=conn)
                for note in st.notes:
                    if note.get("_task") is t:
                        note["task_id"] = t.id
            if st.number_now and not st.record.serial:
                await records.assign_number(st.record, using_db=conn)
                st.record_changed = True
                if audits:
                    audits.append(_event(st, f"record:{st.record.id}", "number", audits[0].actor or "",
                                         after={"serial": st.record.serial}))
            if st.record_changed:
                rec = st.record
                await Record.filter(id=rec.id).using_db(conn).update(
                    data=rec.data, title=rec.title, status=rec.status, serial=rec.serial, updated_by=rec.updated_by,
                    updated_at=st.now, lock_version=rec.lock_version + 1)
                rec.lock_version += 1
            for a in st.absences:
                await a.save(using_db=conn)
            for d in st.delegations:
                await d.save(using_db=conn)
            for note in st.notes:
                body = {k: v for k, v in note.items() if not k.startswith("_")}
                if body.get("dedup") and await Notification.filter(dedup=body["dedup"]).using_db(conn).exists():
                    continue
                await Notification.create(using_db=conn, created_at=st.now, instance_id=inst.id, **body)
            await audit.record_many(audits)


async def _run(unit: str, instance_id: int, decide: Any) -> Any:
    """Load, decide, flush; decide again on fresh state when another command got there first."""
    for attempt in range(MAX_RETRIES):
        st = await _load(unit, instance_id)
        expected = st.instance.lock_version
        result, audits = await decide(st)
        try:
            await _flush(st, expected, audits)
        except _Stale:
            log.info("instance %s changed meanwhile; deciding again (attempt %s)", instance_id, attempt + 1)
            continue
        await _after(unit, st)
        return result
    raise Conflict("流程实例正被他人频繁办理，请稍后重试。", "The flow instance is busy; try again shortly.")


async def _after(unit: str, st: State) -> None:
    """Work that follows a committed command: start subflows, wake a parent whose subflow ended."""
    for task, child in st.children:
        await _start_child(unit, st, task, child)
    for t in st.tasks:  # a subflow task cancelled (terminate, return, withdraw) takes its instance with it
        if t.kind == "subflow" and t.state == CANCELLED and t.id in st.changed:
            with tenant_scope(unit):
                running = await FlowInstance.filter(parent_task_id=t.id, state=RUNNING).values_list("id", flat=True)
            for child_id in running:
                await terminate(unit, child_id, t.completed_by or st.instance.started_by,
                                f"上级流程 #{st.instance.id} 已撤销此环节（{t.outcome}）", admin=True)
    if st.instance.state != RUNNING and st.instance.parent_task_id is not None:
        await _child_ended(unit, st.instance.id)


def _event(st: State, obj: str, action: str, actor: str, *, before: Any = None, after: Any = None,
           acting_for: str | None = None) -> audit.Event:
    return audit.Event(obj, action, st.unit, before, after, actor, acting_for, None)


# --- starting ----------------------------------------------------------------------------------

async def start(unit: str, record_id: int, actor: str, flow_id: str | None = None,
                data: Mapping[str, Any] | None = None, opinion: str | None = None) -> FlowInstance:
    """Start a flow on a draft record (its form's only flow when ``flow_id`` is None).

    The flow comes from the record's own bundle version, so the instance runs the flow and the form
    the record was made with. ``data`` (optional) is saved first under the start node's field
    permissions. The starter must be one the flow's ``starters`` name (anyone in the unit when it
    names none).
    """
    rec = await records.get(unit, record_id)
    if rec.status not in ("draft",):
        raise Conflict(f"记录 #{rec.id} 已在办理中或已办结（{rec.status}），不能再次发起。",
                       f"Record #{rec.id} is already in a flow or finished ({rec.status}); it cannot be started again.")
    if rec.created_by != actor:
        raise NotAllowed("只有拟稿人本人可以发起。", "Only the record's drafter can start its flow.")
    flows = await flows_for(unit, rec.form, rec.form_version)
    if flow_id is not None:
        flows = [f for f in flows if f.id == flow_id]
    if not flows:
        raise NotFound(f"表单 “{rec.form}” 没有可用的流程{('（' + flow_id + '）') if flow_id else ''}。",
                       f"Form '{rec.form}' has no flow{(' ' + flow_id) if flow_id else ''} to start.")
    if len(flows) > 1:
        raise BadAction(f"表单 “{rec.form}” 有多个流程，请指定 flow：{'、'.join(f.id for f in flows)}。",
                        f"Form '{rec.form}' has several flows; name one as flow: {', '.join(f.id for f in flows)}.")
    flow = flows[0]
    form = await records.form_of(unit, rec.form, rec.form_version)
    resolved, _ = await _resolved(unit, rec.form_version)
    now = _now()
    inst = FlowInstance(flow=flow.id, flow_version=flow.version, form=rec.form, record_id=rec.id, title=rec.title,
                        state=RUNNING, started_by=actor, started_at=now, joins={}, lock_version=1)
    st = State(unit, flow, form, inst, rec, [], resolved=resolved, now=now)
    facts = await _facts(st)
    if flow.starters:
        try:
            named = resolve(facts, flow.starters, drafter=actor, data=rec.data or {})
        except NoHandler:
            named = []
        allowed = {a.login for a in named} | {a.acting_for for a in named if a.acting_for}
        if actor not in allowed:
            raise NotAllowed(f"您不在流程 “{flow.name}” 的发起人范围内。", f"You are not among the starters of flow '{flow.name}'.")
    start_node = flow.node(flow.start)
    if data is not None:
        _apply_data(st, start_node, data, actor)
    cal = await calendar_for(unit)
    inst.deadline = plan(cal, now, flow.time_limit).deadline
    first = _task(st, start_node, Assignment(actor), rnd=1, origin=None)
    _done(st, first, actor, "submitted", opinion)
    st.record.status = "running"
    st.record_changed = True
    await _leave(st, start_node, first)
    await _finish_if_done(st, actor)
    audits = [_event(st, f"record:{rec.id}", "start", actor,
                     after={"flow": flow.id, "version": flow.version, "opinion": opinion})]
    await _flush(st, 0, audits)
    await _after(unit, st)
    return inst


def _apply_data(st: State, node: Node, data: Mapping[str, Any], actor: str) -> None:
    perms = {fid: node.fields.get(fid, "read") for fid in st.form.fields}
    merged = {**(st.record.data or {}), **dict(data)}
    clean, problems = st.form.apply(merged, previous=st.record.data or {}, node_fields=perms)
    if problems:
        raise FieldErrors(problems)
    if clean != (st.record.data or {}):
        st.record.data = clean
        st.record.title = st.form.title_of(clean)
        st.record.updated_by = actor
        st.instance.title = st.record.title
        st.record_changed = True


# --- moving tokens ---------------------------------------------------------------------------

def _task(st: State, node: Node, who: Assignment, *, rnd: int, origin: Task | None, seq: int = 0,
          state: str = OPEN, blocking: bool | None = None) -> Task:
    t = Task(instance_id=st.instance.id or 0, record_id=st.record.id, flow=st.flow.id, node=node.id, node_name=node.name,
             kind=node.type, round=rnd, seq=seq, state=state, assignee=who.login, post=who.post,
             acting_for=who.acting_for, origin_id=origin.id if origin is not None else None, title=st.record.title or st.instance.title,
             created_at=st.now, blocking=node.type != "circulate" if blocking is None else blocking, lock_version=1)
    t.tenant_id = st.unit  # type: ignore[attr-defined]
    t._origin = origin  # type: ignore[attr-defined]  # its id is known only once saved (see _flush)
    st.new_tasks.append(t)
    return t


async def _time(st: State, task: Task, node: Node) -> None:
    if task.kind == "circulate" or not node.time_limit:
        return
    cal = await calendar_for(st.unit)
    p = plan(cal, st.now, node.time_limit)
    task.deadline, task.warn_at, task.due_at, task.deadline_note = p.deadline, p.warn_at, p.due_at, p.note


async def _activate(st: State, node: Node, origin: Task | None, via: str) -> None:
    """A token arrives at ``node`` (over edge ``via``)."""
    t = node.type
    if t in ("approve", "circulate", "subflow"):
        facts = await _facts(st)
        rnd = st.round_of(node.id) + 1
        if t == "subflow":
            who = [facts.for_person(st.instance.started_by)]
        else:
            try:
                who = resolve(facts, node.handlers, drafter=st.instance.started_by, data=st.record.data or {})
            except NoHandler as exc:
                raise NoHandler(f"节点 “{node.name}” 找不到办理人：{exc.zh}", f"Node '{node.name_en}' has no handler: {exc.en}") from None
        sequential = node.mode == "sequential"
        for i, a in enumerate(who):
            task = _task(st, node, a, rnd=rnd, origin=origin, seq=i,
                         state=WAITING if sequential and i > 0 else OPEN)
            await _time(st, task, node)
        if t == "circulate":
            await _leave(st, node, origin)
        elif t == "subflow":
            child = await flow_of(st.unit, str(node.spec.get("flow")), st.instance.flow_version)
            st.children.append((st.new_tasks[-1], child))
        return
    if t == "branch":
        edge = st.flow.choose(node, st.record.data or {})
        await _activate(st, st.flow.node(edge.target), origin, f"{edge.index}")
        return
    if t == "parallel" and node.spec.get("gateway") == "join":
        arrived = list((st.instance.joins or {}).get(node.id) or [])
        if via not in arrived:
            arrived.append(via)
        total = len(node.incoming)
        quorum = min(int(node.spec.get("quorum") or total), total)
        # the round fires once, when its quorum is first reached (after a return or withdraw
        # undid the firing, the branches that stayed done already count: see _rejoin)
        fire = FIRED not in arrived and len(arrived) >= quorum
        if fire:
            arrived.append(FIRED)
        joins = dict(st.instance.joins or {})
        joins[node.id] = arrived if len(arrived) - (FIRED in arrived) < total else []
        if not joins[node.id]:
            joins.pop(node.id)
        st.instance.joins = joins
        if fire:
            await _leave(st, node, origin)
        return
    if t == "service":
        _service(st, node)
        await _leave(st, node, origin)
        return
    if t == "end":
        return
    await _leave(st, node, origin)  # parallel split, or a start node reached again


async def _leave(st: State, node: Node, origin: Task | None) -> None:
    """A token leaves ``node`` along its outgoing edges (one, all for a split, one chosen for a branch)."""
    numbering = st.form.numbering
    if numbering is not None and numbering.assign_at == node.id and not st.record.serial:
        st.number_now = True
    if node.type == "branch":
        await _activate(st, node, origin, "")
        return
    for e in node.outgoing:
        await _activate(st, st.flow.node(e.target), origin, str(e.index))


def _service(st: State, node: Node) -> None:
    data = dict(st.record.data or {})
    for fid, rule in (node.spec.get("set") or {}).items():
        data[fid] = evaluate(rule, data)
    if data != (st.record.data or {}):
        st.record.data = data
        st.record_changed = True
    if node.spec.get("effect") == "absence_register":
        st.absences.append(_absence(st, data))


def _absence(st: State, data: Mapping[str, Any]) -> Absence:
    from runtime.timers.calendar import TZ

    def moment(key: str, end: bool) -> datetime:
        raw = data.get(key)
        if not raw:
            raise BadAction(f"离岗登记缺少 {key}。", f"The absence register lacks {key}.")
        text = str(raw)
        value = datetime.fromisoformat(text if "T" in text else text + ("T23:59:59" if end else "T00:00:00"))
        return localtime(value if value.tzinfo else value.replace(tzinfo=TZ))

    person = data.get("person") or st.instance.started_by
    a = Absence(login=person, kind=data.get("kind") or "其他", start_at=moment("start", False), end_at=moment("end", True),
                substitute=data.get("substitute") or None, handover=data.get("handover"), record_id=st.record.id)
    a.tenant_id = st.unit  # type: ignore[attr-defined]
    return a


async def _finish_if_done(st: State, actor: str) -> None:
    if st.instance.state != RUNNING:
        return
    busy = any(t.blocking and t.state in LIVE for t in st.all_tasks())
    if not busy and not (st.instance.joins or {}):
        st.instance.state = COMPLETED
        st.instance.ended_at = st.now
        st.record.status = "completed"
        st.record_changed = True
        st.events.append(("complete", {"by": actor}))
        for t in st.all_tasks():  # signers kept by ``rest: continue`` cannot sign a finished instance
            if t.state in LIVE and t.kind != "circulate":
                st.set(t, state=CANCELLED, outcome="not_needed", completed_at=st.now)


# --- actions -------------------------------------------------------------------------------

def _task_of(st: State, task_id: int) -> Task:
    for t in st.tasks:
        if t.id == task_id:
            return t
    raise NotFound(f"待办 #{task_id} 不存在。", f"Task #{task_id} does not exist.")


def _conflict(task: Task) -> Conflict:
    when = localtime(task.completed_at).strftime("%Y-%m-%d %H:%M") if task.completed_at else ""
    who = task.completed_by or task.assignee
    return Conflict(f"待办 #{task.id}（{task.node_name}）已由 {who} 于 {when} 办理，无需重复办理。",
                    f"Task #{task.id} ({task.node_name}) was already handled by {who} at {when}.")


def allowed(flow: Flow, task: Task, actor: str, instance: FlowInstance, tasks: list[Task]) -> list[str]:
    """The actions ``actor`` may take on ``task`` now, in the order the task page shows them."""
    node = flow.node(task.node)
    out: list[str] = []
    if instance.state == RUNNING and task.state == OPEN and task.assignee == actor:
        if task.kind == "circulate":
            return ["read"]
        declared = list(node.actions)
        if task.kind == "start":
            out = ["submit"] + (["terminate"] if "terminate" in declared else [])
            return out
        if "approve" in declared or not declared:
            out.append("approve")
        out += [a for a in declared if a not in ("approve", "withdraw")]
        if task.kind == "subflow":
            out = [a for a in out if a in ("urge", "terminate")]
        if node.mode not in ("countersign", "any_sign", "ratio", "sequential"):
            out = [a for a in out if a not in ("add_signer", "remove_signer")]
    elif task.kind == "circulate" and task.state == OPEN and task.assignee == actor:
        return ["read"]
    if task.state == DONE and task.completed_by == actor and instance.state == RUNNING and _withdrawable(flow, task, tasks):
        out.append("withdraw")
    if task.state in LIVE and instance.state == RUNNING and task.assignee != actor and "urge" in node.actions \
            and (actor == instance.started_by or any(t.completed_by == actor for t in tasks)):
        out.append("urge")
    return out


def _withdrawable(flow: Flow, done: Task, tasks: list[Task]) -> bool:
    if done.outcome not in ("approved", "submitted"):
        return False
    later = [t for t in tasks if t.id > done.id and t.state == DONE and t.completed_by and t.outcome != "read"
             and (t.origin_id == done.id or (t.node == done.node and t.round == done.round))]
    if later:
        return False
    children = [t for t in tasks if t.origin_id == done.id and t.kind != "circulate"]
    same_round_open = [t for t in tasks if t.node == done.node and t.round == done.round and t.state in LIVE]
    if not children and not same_round_open:
        return False
    for c in children:
        if c.state not in LIVE or any(t.state == DONE and t.outcome != "read" and t.node == c.node and t.round == c.round
                                      for t in tasks):
            return False
    return True


async def act(unit: str, task_id: int, actor: str, action: str, *, opinion: str | None = None,
              data: Mapping[str, Any] | None = None, target: str | None = None, to: str | None = None,
              signers: list[str] | None = None, until: str | None = None, message: str | None = None,
              expected_version: int | None = None, admin: bool = False) -> dict[str, Any]:
    """Carry out ``action`` on task ``task_id`` as ``actor``; returns the task and instance afterwards."""
    if action not in ACTION_NAMES:
        raise BadAction(f"不认识的操作 “{action}”（可用：{'、'.join(ACTION_NAMES)}）。",
                        f"Unknown action '{action}' (use one of: {', '.join(ACTION_NAMES)}).")
    with tenant_scope(unit):
        found = await Task.get_or_none(id=int(task_id)) if str(task_id).isdigit() else None
    if found is None or (found.assignee != actor and found.acting_for != actor and found.completed_by != actor
                         and not admin and action not in ("urge", "terminate")):
        raise NotFound(f"待办 #{task_id} 不存在。", f"Task #{task_id} does not exist.")

    async def decide(st: State) -> tuple[dict[str, Any], list[audit.Event]]:
        task = _task_of(st, found.id)
        if expected_version is not None and task.lock_version != expected_version and task.state != DONE:
            raise Conflict(f"待办 #{task.id} 已有变化，请刷新后再办理。", f"Task #{task.id} has changed; reload and try again.")
        offered = allowed(st.flow, task, actor, st.instance, st.tasks)
        if action == "terminate" and admin and st.instance.state == RUNNING:
            offered.append("terminate")
        if action not in offered:
            if task.state == DONE and action != "withdraw":
                raise _conflict(task)
            if st.instance.state != RUNNING:
                raise Conflict(f"流程已{'办结' if st.instance.state == COMPLETED else '终止'}，不能再{ACTION_NAMES[action][0]}。",
                               f"The flow has {st.instance.state}; it can no longer be acted on ({action}).")
            if task.state == CANCELLED:
                raise Conflict(f"待办 #{task.id} 已取消（{task.outcome or ''}）。",
                               f"Task #{task.id} was cancelled ({task.outcome or ''}).")
            if action == "withdraw":
                raise Conflict("下一环节已经办理，不能撤回。", "The next step has already acted; it can no longer be withdrawn.")
            raise NotAllowed(f"此环节不能{ACTION_NAMES[action][0]}。", f"'{ACTION_NAMES[action][1]}' is not allowed at this step.")
        node = st.flow.node(task.node)
        before = {"node": task.node, "state": task.state, "assignee": task.assignee}
        acting_for = task.acting_for if task.assignee == actor else None
        after: dict[str, Any] = {"node": task.node, "opinion": opinion}
        handler = _HANDLERS[action]
        extra = await handler(st, task, node, actor, opinion=opinion, data=data, target=target, to=to,
                              signers=signers, until=until, message=message)
        after.update(extra or {})
        await _finish_if_done(st, actor)
        events = [_event(st, f"task:{task.id}", action, actor, before=before, after=after, acting_for=acting_for)]
        for name, payload in st.events:
            events.append(_event(st, f"instance:{st.instance.id}", name, actor, after=payload))
        result = {"task": task.id, "action": action, "instance": st.instance.id, "state": st.instance.state,
                  "record_status": st.record.status}
        return result, events

    return await _run(unit, found.instance_id, decide)


def _done(st: State, task: Task, actor: str, outcome: str, opinion: str | None) -> None:
    st.set(task, state=DONE, outcome=outcome, opinion=opinion, completed_at=st.now, completed_by=actor)


async def _submit(st: State, task: Task, node: Node, actor: str, *, opinion: str | None, data: Any, **_: Any) -> dict[str, Any]:
    if data is not None:
        _apply_data(st, node, data, actor)
    _done(st, task, actor, "submitted", opinion)
    st.record.status = "running"
    st.record_changed = True
    await _leave(st, node, task)
    return {}


async def _approve(st: State, task: Task, node: Node, actor: str, *, opinion: str | None, data: Any, **_: Any) -> dict[str, Any]:
    if data:
        _apply_data(st, node, data, actor)
    _done(st, task, actor, "approved", opinion)
    if task.blocking:  # a signer left running after the node passed only adds an opinion
        await _check_round(st, node, task.round, task)
    return {}


async def _check_round(st: State, node: Node, rnd: int, last: Task) -> None:
    """Pass the node when its round has the approvals it needs; else open the next sequential signer."""
    group = st.group(node.id, rnd)
    if not any(t.blocking for t in group):
        return
    approved = [t for t in group if t.state == DONE and t.outcome == "approved"]
    live = [t for t in group if t.state in LIVE and t.blocking]
    if len(approved) >= node.needed(len(group)) and (live or approved):
        for t in live:
            if node.keeps_rest and t.state == OPEN:
                st.set(t, blocking=False)
            elif node.keeps_rest:
                st.set(t, blocking=False, state=OPEN)
            else:
                st.set(t, state=CANCELLED, outcome="not_needed", completed_at=st.now)
        if not live or all(t.state == CANCELLED or not t.blocking for t in live):
            await _leave(st, node, last)
        return
    if node.mode == "sequential" and not any(t.state == OPEN and t.blocking for t in group):
        waiting = sorted((t for t in group if t.state == WAITING), key=lambda t: (t.seq, t.id or 0))
        if waiting:
            st.set(waiting[0], state=OPEN, origin_id=last.id, created_at=st.now)
            await _time(st, waiting[0], node)
            if waiting[0].id is not None:
                st.set(waiting[0], deadline=waiting[0].deadline, warn_at=waiting[0].warn_at, due_at=waiting[0].due_at,
                       deadline_note=waiting[0].deadline_note)


def _downstream(flow: Flow, node_id: str) -> set[str]:
    seen = {node_id}
    stack = [node_id]
    while stack:
        for e in flow.nodes[stack.pop()].outgoing:
            if e.target not in seen:
                seen.add(e.target)
                stack.append(e.target)
    return seen


def _reset_from(st: State, node_id: str, actor: str, outcome: str) -> None:
    """Cancel the live work at and after ``node_id`` and forget join arrivals made from there."""
    after = _downstream(st.flow, node_id)
    for t in st.all_tasks():
        if t.state in LIVE and t.node in after and t.blocking:
            st.set(t, state=CANCELLED, outcome=outcome, completed_at=st.now, completed_by=actor)
    _rejoin(st, after)


def _rejoin(st: State, region: set[str], undone: set[str] | None = None) -> None:
    """Join arrivals once the work in ``region`` is taken back to run again (a return or a withdraw).

    Arrivals made from inside the region are forgotten. A join inside the region whose round had
    completed (and so was forgotten) would then wait for branches that are done and never come
    again: the incoming branches outside the region with no live work left count as arrived, so the
    join waits only for the work that runs again. The join goes on again when that work arrives —
    always after a return (everything after its target is done again), after a withdraw only when
    the withdrawn work had made it go on (``undone`` holds the nodes whose tasks were withdrawn).
    """
    flow = st.flow
    live = {t.node for t in st.all_tasks() if t.state in LIVE and t.blocking}
    joins = dict(st.instance.joins or {})
    for j in [n for n in flow.order if flow.nodes[n].type == "parallel" and flow.nodes[n].spec.get("gateway") == "join"]:
        node = flow.nodes[j]
        arrived = [x for x in joins.get(j, []) if x not in {str(e.index) for e in node.incoming if e.source in region}]
        if j in region:
            if undone is None or undone & (_downstream(flow, j) - {j}):
                arrived = [x for x in arrived if x != FIRED]
            for e in node.incoming:
                feeding = ({e.source} | flow.earlier(e.source)) - region
                if e.source not in region and str(e.index) not in arrived and not feeding & live:
                    arrived.append(str(e.index))
        if arrived and len([x for x in arrived if x != FIRED]) < len(node.incoming):
            joins[j] = arrived
        else:
            joins.pop(j, None)
    st.instance.joins = joins


async def _reopen(st: State, node: Node, actor: str, origin: Task) -> None:
    if node.type == "start":
        drafter = st.instance.started_by
        t = _task(st, node, Assignment(drafter), rnd=st.round_of(node.id) + 1, origin=origin)
        t.title = st.record.title
        st.record.status = "returned"
        st.record_changed = True
        return
    await _activate(st, node, origin, "")


async def _return(st: State, task: Task, node: Node, actor: str, *, opinion: str | None, target: str | None,
                  **_: Any) -> dict[str, Any]:
    if not opinion or not opinion.strip():
        raise BadAction("退回须写明理由（opinion）。", "A return needs a reason (opinion).")
    targets = list(node.spec.get("return_targets") or ["previous", st.flow.start])
    previous = _previous_node(st, task)
    wanted = target or (previous if "previous" in targets else targets[0])
    ok = wanted in targets or (wanted == previous and "previous" in targets)
    if not ok:
        names = "、".join(st.flow.node(x).name if x in st.flow.nodes else "上一环节" for x in targets)
        raise BadAction(f"此环节只能退回到：{names}。", f"This step can only return to: {', '.join(targets)}.")
    if wanted not in st.flow.nodes or wanted not in st.flow.earlier(node.id):
        raise BadAction(f"“{wanted}” 不是本环节之前的节点。", f"'{wanted}' is not a node before this step.")
    _done(st, task, actor, "returned", opinion)
    _reset_from(st, wanted, actor, "returned_away")
    await _reopen(st, st.flow.node(wanted), actor, task)
    return {"target": wanted}


def _same_timing(new: Task, old: Task) -> None:
    """A task handed on (transfer, delegate) keeps the deadline it was received with."""
    new.deadline, new.warn_at, new.due_at, new.deadline_note = old.deadline, old.warn_at, old.due_at, old.deadline_note


def _by_id(st: State, task_id: int | None) -> Task | None:
    return next((t for t in st.all_tasks() if task_id is not None and t.id == task_id), None)


def _previous_node(st: State, task: Task) -> str:
    origin = next((t for t in st.tasks if t.id == task.origin_id), None)
    return origin.node if origin is not None else st.flow.start


async def _withdraw(st: State, task: Task, node: Node, actor: str, **_: Any) -> dict[str, Any]:
    children = [t for t in st.all_tasks() if t.origin_id == task.id and t.state in LIVE]
    for c in children:
        if c.node == task.node and c.round == task.round:
            st.set(c, state=WAITING)  # the next sequential signer waits again
        else:
            st.set(c, state=CANCELLED, outcome="withdrawn", completed_at=st.now, completed_by=actor)
    if children:
        _rejoin(st, _downstream(st.flow, task.node), {c.node for c in children if c.state == CANCELLED})
    st.set(task, outcome="withdrawn")
    again = _task(st, node, Assignment(task.assignee, task.post, task.acting_for), rnd=task.round,
                  origin=_by_id(st, task.origin_id), seq=task.seq)
    await _time(st, again, node)
    if node.type == "start":
        st.record.status = "returned"
        st.record_changed = True
    return {"reopened": True}


async def _user(st: State, login: str | None, what: str) -> str:
    if not login:
        raise BadAction(f"请指定{what}（to）。", f"Name the person ({what}) in 'to'.")
    with tenant_scope(st.unit):
        ok = await User.filter(login=login, is_active=True).exists()
    if not ok:
        raise BadAction(f"本单位没有在职人员 “{login}”。", f"'{login}' is not an active user of this unit.")
    return login


async def _transfer(st: State, task: Task, node: Node, actor: str, *, opinion: str | None, to: str | None,
                    **_: Any) -> dict[str, Any]:
    login = await _user(st, to, "转办给谁")
    if login == task.assignee:
        raise BadAction("不能转办给自己。", "A task cannot be transferred to its own handler.")
    if any(t.assignee == login and t.state in LIVE for t in st.group(node.id, task.round)):
        raise BadAction(f"{login} 已是本环节的办理人。", f"{login} already handles this step.")
    _done(st, task, actor, "transferred", opinion)
    new = _task(st, node, Assignment(login, task.post, task.acting_for), rnd=task.round, origin=_by_id(st, task.origin_id),
                seq=task.seq)
    _same_timing(new, task)
    return {"to": login}


async def _delegate(st: State, task: Task, node: Node, actor: str, *, opinion: str | None, to: str | None,
                    until: str | None, **_: Any) -> dict[str, Any]:
    login = await _user(st, to, "委托给谁")
    if login == actor:
        raise BadAction("不能委托给自己。", "You cannot delegate to yourself.")
    try:
        end = datetime.fromisoformat(str(until)) if until else None
    except ValueError:
        raise BadAction(f"委托截止时间 “{until}” 不是日期。", f"The delegation end '{until}' is not a date.") from None
    if end is None:
        raise BadAction("请填写委托截止日期（until）。", "Give the delegation's end date (until).")
    from runtime.timers.calendar import TZ

    if end.tzinfo is None:
        end = end.replace(tzinfo=TZ) + (timedelta(days=1, seconds=-1) if len(str(until)) <= 10 else timedelta())
    if localtime(end) <= st.now:
        raise BadAction("委托截止时间必须晚于现在。", "The delegation must end in the future.")
    d = Delegation(login=task.acting_for or actor, to_login=login, post=task.post, start_at=st.now, end_at=localtime(end),
                   reason=opinion, created_by=actor)
    d.tenant_id = st.unit  # type: ignore[attr-defined]
    st.delegations.append(d)
    _done(st, task, actor, "transferred", opinion)
    new = _task(st, node, Assignment(login, task.post, task.acting_for or actor), rnd=task.round,
                origin=_by_id(st, task.origin_id), seq=task.seq)
    _same_timing(new, task)
    return {"to": login, "until": localtime(end).isoformat(timespec="minutes"), "post": task.post}


async def _add_signer(st: State, task: Task, node: Node, actor: str, *, signers: list[str] | None, to: str | None,
                      **_: Any) -> dict[str, Any]:
    wanted = list(signers or ([to] if to else []))
    if not wanted:
        raise BadAction("请指定加签人（signers）。", "Name the signers to add (signers).")
    group = st.group(node.id, task.round)
    present = {t.assignee for t in group}
    facts = await _facts(st)
    added = []
    seq = max((t.seq for t in group), default=0)
    for login in wanted:
        await _user(st, login, "加签人")
        if login in present:
            raise BadAction(f"{login} 已是本环节的会签人。", f"{login} already signs at this step.")
        seq += 1
        who = facts.for_person(login)
        new = _task(st, node, who, rnd=task.round, origin=_by_id(st, task.origin_id), seq=seq,
                    state=WAITING if node.mode == "sequential" else OPEN)
        await _time(st, new, node)
        present.add(login)
        added.append(login)
    return {"added": added}


async def _remove_signer(st: State, task: Task, node: Node, actor: str, *, signers: list[str] | None, to: str | None,
                         **_: Any) -> dict[str, Any]:
    wanted = list(signers or ([to] if to else []))
    if not wanted:
        raise BadAction("请指定减签人（signers）。", "Name the signers to remove (signers).")
    group = st.group(node.id, task.round)
    for login in wanted:
        if login == actor:
            raise BadAction("不能减去自己。", "You cannot remove yourself.")
        victim = next((t for t in group if t.assignee == login and t.state in LIVE), None)
        if victim is None:
            raise BadAction(f"{login} 不是本环节尚未办理的会签人。", f"{login} is not a pending signer of this step.")
        st.set(victim, state=CANCELLED, outcome="removed", completed_at=st.now, completed_by=actor)
        group = st.group(node.id, task.round)
    if not group:
        raise BadAction("不能减去全部会签人。", "At least one signer must remain.")
    await _check_round(st, node, task.round, task)
    return {"removed": wanted}


async def _urge(st: State, task: Task, node: Node, actor: str, *, message: str | None, opinion: str | None,
                **_: Any) -> dict[str, Any]:
    text = (message or opinion or "").strip() or "请尽快办理。"
    targets = [t for t in st.all_tasks() if t.node == task.node and t.round == task.round and t.state == OPEN]
    for t in targets:
        st.notes.append({"login": t.assignee, "kind": "urge", "task_id": t.id,
                         "message": f"{actor} 催办《{st.record.title}》（{node.name}）：{text}",
                         "message_en": f"{actor} urges '{st.record.title}' ({node.name_en}): {text}"})
    return {"urged": [t.assignee for t in targets], "message": text}


async def _terminate_action(st: State, task: Task, node: Node, actor: str, *, opinion: str | None, **_: Any) -> dict[str, Any]:
    _terminate_state(st, actor, opinion)
    return {"reason": opinion}


def _terminate_state(st: State, actor: str, reason: str | None) -> None:
    if not reason or not reason.strip():
        raise BadAction("终止须写明理由。", "Terminating needs a reason.")
    for t in st.all_tasks():
        if t.state in LIVE:
            st.set(t, state=CANCELLED, outcome="terminated", completed_at=st.now, completed_by=actor)
    st.instance.state = TERMINATED
    st.instance.ended_at = st.now
    st.instance.end_reason = reason
    st.instance.joins = {}
    st.record.status = "terminated"
    st.record_changed = True


async def _read(st: State, task: Task, node: Node, actor: str, *, opinion: str | None, **_: Any) -> dict[str, Any]:
    _done(st, task, actor, "read", opinion)
    return {}


_HANDLERS: dict[str, Any] = {
    "submit": _submit, "approve": _approve, "return_to": _return, "withdraw": _withdraw, "transfer": _transfer,
    "delegate": _delegate, "add_signer": _add_signer, "remove_signer": _remove_signer, "urge": _urge,
    "terminate": _terminate_action, "read": _read,
}


async def terminate(unit: str, instance_id: int, actor: str, reason: str | None, *, admin: bool = False) -> dict[str, Any]:
    """End a running instance early: its drafter (when the start node allows ``terminate``) or an administrator."""

    async def decide(st: State) -> tuple[dict[str, Any], list[audit.Event]]:
        if st.instance.state != RUNNING:
            raise Conflict("流程已结束，不能终止。", "The flow has already ended; it cannot be terminated.")
        drafter_may = st.instance.started_by == actor and "terminate" in st.flow.node(st.flow.start).actions
        holder_may = any(t.assignee == actor and t.state == OPEN and "terminate" in st.flow.node(t.node).actions
                         for t in st.tasks)
        if not (admin or drafter_may or holder_may):
            raise NotAllowed("您不能终止此流程。", "You may not terminate this flow.")
        _terminate_state(st, actor, reason)
        ev = _event(st, f"instance:{st.instance.id}", "terminate", actor, after={"reason": reason})
        return {"instance": st.instance.id, "state": st.instance.state}, [ev]

    return await _run(unit, _instance_id(instance_id), decide)


async def urge(unit: str, instance_id: int, actor: str, message: str | None) -> dict[str, Any]:
    """Remind every open task's handler of a running instance: its drafter or an earlier actor may."""

    async def decide(st: State) -> tuple[dict[str, Any], list[audit.Event]]:
        if st.instance.state != RUNNING:
            raise Conflict("流程已结束，无需催办。", "The flow has ended; there is nothing to urge.")
        if actor != st.instance.started_by and not any(t.completed_by == actor for t in st.tasks):
            raise NotAllowed("只有拟稿人或经办人可以催办。", "Only the drafter or an earlier handler may urge.")
        text = (message or "").strip() or "请尽快办理。"
        urged = []
        for t in st.tasks:
            if t.state == OPEN and t.blocking:
                urged.append(t.assignee)
                st.notes.append({"login": t.assignee, "kind": "urge", "task_id": t.id,
                                 "message": f"{actor} 催办《{st.record.title}》（{t.node_name}）：{text}",
                                 "message_en": f"{actor} urges '{st.record.title}' ({t.node_name}): {text}"})
        if not urged:
            raise Conflict("当前没有待办可催。", "There is no open task to urge.")
        ev = _event(st, f"instance:{st.instance.id}", "urge", actor, after={"to": urged, "message": text})
        return {"instance": st.instance.id, "urged": urged}, [ev]

    return await _run(unit, _instance_id(instance_id), decide)


def _instance_id(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise NotFound(f"流程实例 #{raw} 不存在。", f"Flow instance #{raw} does not exist.") from None


# --- subflows --------------------------------------------------------------------------------

async def _start_child(unit: str, parent: State, task: Task, child: Flow) -> None:
    """Start the subflow's instance on a new record of its form, with the fields both forms share."""
    form = await records.form_of(unit, child.form, parent.instance.flow_version)
    data = {k: v for k, v in (parent.record.data or {}).items() if k in form.fields}
    rec = await records.create(unit, child.form, data, parent.instance.started_by) if form.id else None
    if rec is None:
        raise FlowBroken("子流程无法创建记录。", "The subflow could not create its record.")
    inst = await start(unit, rec.id, parent.instance.started_by, child.id)
    with tenant_scope(unit):
        await FlowInstance.filter(id=inst.id).update(parent_task_id=task.id)
        st = await _load(unit, inst.id)
    if st.instance.state != RUNNING:
        await _child_ended(unit, inst.id)


async def _child_ended(unit: str, child_id: int) -> None:
    with tenant_scope(unit):
        child = await FlowInstance.get(id=child_id)
    if child.parent_task_id is None:
        return
    with tenant_scope(unit):
        ptask = await Task.get(id=child.parent_task_id)

    async def decide(st: State) -> tuple[dict[str, Any], list[audit.Event]]:
        task = _task_of(st, ptask.id)
        if task.state != OPEN:
            return {}, []
        node = st.flow.node(task.node)
        _done(st, task, child.started_by, "approved" if child.state == COMPLETED else "child_terminated",
              f"子流程 #{child.id} {child.state}")
        if child.state == COMPLETED:
            await _check_round(st, node, task.round, task)
            await _finish_if_done(st, child.started_by)
        else:  # the step can never be done: the parent stops too, instead of passing it by
            _terminate_state(st, child.started_by, f"子流程 #{child.id} 已终止：{child.end_reason or ''}")
        ev = _event(st, f"instance:{st.instance.id}", "subflow_ended", child.started_by,
                    after={"child": child.id, "state": child.state})
        return {}, [ev]

    await _run(unit, ptask.instance_id, decide)
