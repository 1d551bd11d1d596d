"""Appointments to posts that need filing (备案): 系统管理员 and 收发文员 hold office only once filed.

The city's rule: 系统管理员和收发文员的配备和变更须经市信息化部门审核备案. The steps are not written
here: they are the ``staff_appointment`` form and flow of the unit's published bundle (seed template
``gov_base``), which this module interprets — linearly, start → approve … → end — until the general
flow engine exists; a node it cannot run is refused by name. An appointment keeps the bundle version
it started with (DESIGN §4). Every write is one transaction with an audit event; when someone's
rights change (filed, superseded, revoked) the unit's permissions are marked changed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from tortoise.timezone import localtime
from tortoise.transactions import in_transaction

from rbac.authority import policy_changed
from tenants import audit, store
from tenants.errors import BanwenError, Conflict, NotFound
from tenants.models import Appointment, BundleVersion, PolicyChange, Unit, User
from tenants.schema_check import Checker
from tenants.scope import platform_scope, tenant_scope

FLOW_ID = "staff_appointment"
FORM_ID = "staff_appointment"

RUNNING, FILED, REJECTED, WITHDRAWN, SUPERSEDED, REVOKED = "running", "filed", "rejected", "withdrawn", "superseded", "revoked"
STATE_NAMES = {RUNNING: ("办理中", "running"), FILED: ("已备案", "filed"), REJECTED: ("不予备案", "rejected"),
               WITHDRAWN: ("已撤回", "withdrawn"), SUPERSEDED: ("已被接替", "superseded"), REVOKED: ("已免职", "revoked")}
ACTIONS = ("approve", "terminate")
HANDLER_KINDS = {"post", "role", "user"}
SINGLE_MODES = {None, "single", "any_sign"}


class NotConfigured(BanwenError):
    """The unit's published bundle has no appointment flow this interpreter can run."""

    status = 409
    exit_code = 3


class NotPermitted(BanwenError):
    status = 403
    exit_code = 4


class AppointmentInvalid(BanwenError):
    """The submitted form data has problems; ``problems`` lists each with its field."""

    status = 422

    def __init__(self, problems: list[dict[str, str]]) -> None:
        zh = "；".join(f"{p['label_zh']}：{p['zh']}" for p in problems)
        en = "; ".join(f"{p['label_en']}: {p['en']}" for p in problems)
        super().__init__(f"任命备案表有 {len(problems)} 处错误：{zh}", f"The appointment form has {len(problems)} error(s): {en}")
        self.problems = problems


@dataclass(frozen=True)
class Actor:
    """Who acts, with what they hold: posts and roles in their home unit, platform roles anywhere."""

    login: str
    unit: str
    posts: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    platform_roles: frozenset[str] = frozenset()

    def matches(self, handler: Mapping[str, Any], unit_id: str) -> bool:
        """Whether this actor is one of ``handler`` in unit ``unit_id``.

        A post or a unit role counts only in the actor's own unit; a platform role (the city's
        filing officer) counts in every unit.
        """
        kind, ref, own = handler.get("kind"), handler.get("ref"), self.unit == unit_id
        if kind == "post":
            return own and ref in self.posts
        if kind == "role":
            return (own and ref in self.roles) or ref in self.platform_roles
        if kind == "user":
            return own and ref == self.login
        return False


# --- the definition: pure, parsed from a published version ---------------------------------

@dataclass(frozen=True)
class Step:
    """One approve node of the appointment flow."""

    id: str
    name: str
    name_en: str
    handlers: tuple[Mapping[str, Any], ...]
    actions: frozenset[str]


@dataclass(frozen=True)
class AppointmentFlow:
    """The ``staff_appointment`` flow and form of one published version, as a straight line."""

    version: int
    start: str
    starters: tuple[Mapping[str, Any], ...] | None  # None: anyone in the unit
    steps: tuple[Step, ...]
    end: str
    schema: Mapping[str, Any]
    labels: Mapping[str, tuple[str, str]]
    filing_posts: frozenset[str]

    def step(self, node_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == node_id), None)

    def after(self, node_id: str) -> str:
        """The node that follows ``node_id``: the next step, or the end."""
        ids = [s.id for s in self.steps] + [self.end]
        return ids[ids.index(node_id) + 1]

    def may_start(self, actor: Actor, unit_id: str) -> bool:
        if self.starters is None:
            return actor.unit == unit_id
        return any(actor.matches(h, unit_id) for h in self.starters)

    def is_filer(self, actor: Actor, unit_id: str) -> bool:
        """Whether ``actor`` handles any step: the filing office, which may also revoke."""
        return any(actor.matches(h, unit_id) for s in self.steps for h in s.handlers)


def parse_flow(resolved: Mapping[str, Any], version: int, unit_id: str = "") -> AppointmentFlow:
    """Read the appointment flow and form out of a version's resolved configuration.

    Walks the edges from the start node; every node until the end must be an approve node with one
    outgoing edge, handled by one person (single or 或签) named by post, role or user.
    """
    flow = (resolved.get("flows") or {}).get(FLOW_ID)
    form = (resolved.get("forms") or {}).get(FORM_ID)
    if not isinstance(flow, dict) or not isinstance(form, dict) or flow.get("form") != FORM_ID:
        raise NotConfigured(
            f"单位 “{unit_id}” 已发布的配置中没有任命备案流程和表单（{FLOW_ID}）：请继承 gov_base 模板或自行定义。",
            f"The published bundle of unit '{unit_id}' has no appointment flow and form ({FLOW_ID}): "
            "extend the gov_base template or define them.")
    nodes = {n["id"]: n for n in flow.get("nodes") or [] if isinstance(n, dict) and isinstance(n.get("id"), str)}
    outs: dict[str, list[str]] = {}
    for e in flow.get("edges") or []:
        outs.setdefault(e.get("from"), []).append(e.get("to"))
    starts = [nid for nid, n in nodes.items() if n.get("type") == "start"]
    if len(starts) != 1:
        raise _unsupported(unit_id, None, "流程应恰好有一个开始节点", "the flow needs exactly one start node")
    steps: list[Step] = []
    current, seen = starts[0], {starts[0]}
    while True:
        following = outs.get(current, [])
        if len(following) != 1:
            raise _unsupported(unit_id, nodes[current], f"有 {len(following)} 条出线，只能有一条",
                               f"has {len(following)} outgoing edges; only one is supported")
        current = following[0]
        node = nodes.get(current)
        if node is None or current in seen:
            raise _unsupported(unit_id, node, "连线不是一条从开始到结束的直线", "the edges do not form one line from start to end")
        seen.add(current)
        if node.get("type") == "end":
            break
        steps.append(_step(unit_id, node))
    if not steps:
        raise _unsupported(unit_id, nodes[current], "之前没有审核节点", "has no review step before it")
    return AppointmentFlow(
        version=version, start=starts[0],
        starters=_handlers(unit_id, nodes[starts[0]], flow["starters"]) if "starters" in flow else None,
        steps=tuple(steps), end=current, schema=form.get("schema") or {}, labels=_labels(form),
        filing_posts=frozenset(p["id"] for p in (resolved.get("org") or {}).get("posts") or []
                               if isinstance(p, dict) and p.get("filing") is True),
    )


def _step(unit_id: str, node: Mapping[str, Any]) -> Step:
    if node.get("type") != "approve":
        raise _unsupported(unit_id, node, f"的类型 {node.get('type')} 尚不支持（通用流程引擎将在后续版本提供）",
                           f"is of type {node.get('type')}, not supported yet (the general flow engine comes later)")
    if node.get("mode") not in SINGLE_MODES:
        raise _unsupported(unit_id, node, f"的审批方式 {node.get('mode')} 尚不支持", f"uses mode {node.get('mode')}, not supported yet")
    return Step(node["id"], node.get("name", node["id"]), node.get("name_en") or node.get("name", node["id"]),
                _handlers(unit_id, node, node.get("handlers") or []),
                frozenset(node.get("actions") or ["approve"]) & set(ACTIONS))


def _handlers(unit_id: str, node: Mapping[str, Any], handlers: Iterable[Any]) -> tuple[Mapping[str, Any], ...]:
    out = tuple(h for h in handlers if isinstance(h, dict))
    for h in out:
        if h.get("kind") not in HANDLER_KINDS:
            raise _unsupported(unit_id, node, f"的办理人类型 {h.get('kind')} 尚不支持（只支持岗位、角色、用户）",
                               f"names a handler of kind {h.get('kind')}, not supported (post, role or user only)")
    return out


def _unsupported(unit_id: str, node: Mapping[str, Any] | None, zh: str, en: str) -> NotConfigured:
    where_zh = f"节点 “{node.get('name', node.get('id'))}”（{node.get('id')}）" if node else "流程"
    where_en = f"Node '{node.get('name_en') or node.get('id')}' ({node.get('id')})" if node else "The flow"
    return NotConfigured(f"单位 “{unit_id}” 的任命备案流程无法办理：{where_zh}{zh}。",
                         f"The appointment flow of unit '{unit_id}' cannot run: {where_en} {en}.")


def _labels(form: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    props = (form.get("schema") or {}).get("properties") or {}
    out = {fid: (str(p.get("title") or fid), fid) for fid, p in props.items() if isinstance(p, dict)}
    for sec in (form.get("ui") or {}).get("sections") or []:
        for f in sec.get("fields") or []:
            fid = f.get("field")
            if fid in out:
                out[fid] = (f.get("label") or out[fid][0], f.get("label_en") or fid)
    return out


@lru_cache(maxsize=64)
def _checker(schema_json: str) -> Checker:
    return Checker(json.loads(schema_json))


def validate(defn: AppointmentFlow, data: Any) -> dict[str, Any]:
    """The form data, cleaned (unknown keys dropped, defaults filled), or every problem by field."""
    if not isinstance(data, dict):
        raise AppointmentInvalid([_problem(defn, "", "表单数据应为键值对象", "form data must be an object")])
    props = defn.schema.get("properties") or {}
    clean = {k: v for k, v in data.items() if k in props}
    for fid, prop in props.items():
        if fid not in clean and isinstance(prop, dict) and "default" in prop:
            clean[fid] = copy.deepcopy(prop["default"])
    problems = [_problem(defn, fid, "必填", "required") for fid in defn.schema.get("required") or []
                if clean.get(fid) in (None, "")]
    missing = {p["field"] for p in problems}
    checker = _checker(json.dumps(defn.schema, sort_keys=True, ensure_ascii=False))
    for p in checker.problems(clean):
        field = p.pointer.split("/")[1] if p.pointer.count("/") else ""
        if p.keyword != "Required" and field not in missing:
            problems.append(_problem(defn, field, p.zh, p.en))
    if problems:
        raise AppointmentInvalid(problems)
    return clean


def _problem(defn: AppointmentFlow, field: str, zh: str, en: str) -> dict[str, str]:
    label_zh, label_en = defn.labels.get(field, (field or "表单", field or "form"))
    return {"field": field, "label_zh": label_zh, "label_en": label_en, "zh": zh, "en": en}


# --- the service: load, decide, write one transaction ---------------------------------------

async def _definition(unit_id: str, number: int | None = None) -> AppointmentFlow:
    version = await store.get_version(unit_id, number)
    return parse_flow(version.resolved, version.number, unit_id)


def _now() -> datetime:
    # in the ORM's zone, like the auto_now columns: SQLite stores times as text with their offset
    return localtime(datetime.now(UTC))


def _entry(node: str, action: str, actor: str, at: datetime, opinion: str = "") -> dict[str, Any]:
    return {"node": node, "action": action, "actor": actor, "at": at.isoformat(timespec="seconds"), "opinion": opinion}


def describe(a: Appointment) -> dict[str, Any]:
    """What the audit trail keeps of an appointment, before and after a change."""
    return {"post": a.post, "holder": (a.data or {}).get("holder", "A"), "appointee": a.appointee, "state": a.state,
            "node": a.node, "lock_version": a.lock_version}


def _not_found(appointment_id: Any) -> NotFound:
    return NotFound(f"任命备案 #{appointment_id} 不存在。", f"Appointment #{appointment_id} does not exist.")


async def get(unit_id: str, appointment_id: int) -> Appointment:
    """One appointment of the unit; another unit's id gets the same answer as an unknown one."""
    with tenant_scope(unit_id):
        appt = await Appointment.get_or_none(id=appointment_id)
    if appt is None:
        raise _not_found(appointment_id)
    return appt


async def list_for_unit(unit_id: str, state: str | None = None) -> list[Appointment]:
    """The unit's appointments, oldest first; ``state`` narrows them (running, filed …)."""
    with tenant_scope(unit_id):
        qs = Appointment.filter(state=state) if state else Appointment.all()
        return await qs.order_by("id")


async def filed_holders(unit_id: str) -> dict[str, list[str]]:
    """The A holders of the unit's posts that need filing, from filed appointments, by post."""
    out: dict[str, list[str]] = {}
    for a in await list_for_unit(unit_id, FILED):
        if (a.data or {}).get("holder", "A") == "A":
            out.setdefault(a.post, []).append(a.appointee)
    return out


async def submit(unit_id: str, data: dict[str, Any], actor: Actor) -> Appointment:
    """Start an appointment: the unit's head or system administrator submits the filled form."""
    defn = await _definition(unit_id)
    if not defn.may_start(actor, unit_id):
        raise NotPermitted("只有单位主要负责人或单位系统管理员可以提交任命备案。",
                           "Only the head of the unit or its system administrator may submit an appointment.")
    clean = validate(defn, data)
    if clean["post"] not in defn.filing_posts:
        raise AppointmentInvalid([_problem(defn, "post", f"岗位 “{clean['post']}” 不是本单位须备案的岗位",
                                           f"post '{clean['post']}' is not a post of this unit that needs filing")])
    with tenant_scope(unit_id):
        if not await User.exists(login=clean["appointee"], is_active=True):
            # the same answer for a login of another unit: never reveal who exists elsewhere
            raise AppointmentInvalid([_problem(defn, "appointee", f"本单位没有在职用户 “{clean['appointee']}”",
                                               f"no active user '{clean['appointee']}' in this unit")])
        now = _now()
        appt = Appointment(post=clean["post"], appointee=clean["appointee"], data=clean, flow_version=defn.version,
                           node=defn.steps[0].id, state=RUNNING, submitted_by=actor.login,
                           history=[_entry(defn.start, "submit", actor.login, now)])
        async with in_transaction():
            await appt.save()
            await audit.record(f"appointment:{appt.id}", "submit", before=None, after=describe(appt),
                               tenant=unit_id, actor=actor.login)
    return appt


async def act(unit_id: str, appointment_id: int, action: str, actor: Actor, *, opinion: str = "",
              expected_version: int | None = None) -> Appointment:
    """Approve (move to the next node; the last approval files it) or terminate (reject, with a reason).

    ``expected_version`` is the ``lock_version`` the actor saw; if the appointment moved on since,
    or another approval wins the race, nothing is written and ``Conflict`` says so.
    """
    appt = await get(unit_id, appointment_id)
    _check_state(appt, RUNNING)
    _check_version(appt, expected_version)
    defn = await _definition(unit_id, appt.flow_version)
    step = defn.step(appt.node)
    if step is None:
        raise Conflict(f"任命备案 #{appt.id} 停在节点 “{appt.node}”，该节点不在流程第 {appt.flow_version} 版中。",
                       f"Appointment #{appt.id} stands at node '{appt.node}', which is not in version {appt.flow_version} of the flow.")
    if action not in step.actions:
        raise BanwenError(f"“{step.name}” 不能执行 {action}，只能：{'、'.join(sorted(step.actions))}。",
                          f"'{step.name_en}' does not offer {action}; only: {', '.join(sorted(step.actions))}.")
    if not any(actor.matches(h, unit_id) for h in step.handlers):
        raise NotPermitted(f"你不是 “{step.name}” 的办理人。", f"You are not a handler of '{step.name_en}'.")
    opinion = (opinion or "").strip()
    if action == "terminate" and not opinion:
        raise BanwenError("终止（不予备案）须写明理由。", "Terminating (refusing to file) needs a reason.")
    now = _now()
    changes: dict[str, Any] = {}
    if action == "terminate":
        changes.update(state=REJECTED, ended_at=now)
    else:
        nxt = defn.after(step.id)
        changes["node"] = nxt
        if nxt == defn.end:
            changes.update(state=FILED, filed_at=now)
    history = [*appt.history, _entry(step.id, action, actor.login, now, opinion)]
    with tenant_scope(unit_id):
        async with in_transaction():
            before = await _write(appt, now, history, **changes)
            await audit.record(f"appointment:{appt.id}", action, before=before, after=describe(appt),
                               tenant=unit_id, actor=actor.login)
            if appt.state == FILED:
                await _supersede(appt, now, actor.login, unit_id)
                await policy_changed(unit_id)
    return appt


async def withdraw(unit_id: str, appointment_id: int, actor: Actor, *, expected_version: int | None = None) -> Appointment:
    """The submitter pulls back an appointment that is still being reviewed."""
    appt = await get(unit_id, appointment_id)
    _check_state(appt, RUNNING)
    _check_version(appt, expected_version)
    if actor.login != appt.submitted_by:
        raise NotPermitted("只有提交人可以撤回任命备案。", "Only the submitter may withdraw an appointment.")
    now = _now()
    history = [*appt.history, _entry(appt.node, "withdraw", actor.login, now)]
    with tenant_scope(unit_id):
        async with in_transaction():
            before = await _write(appt, now, history, state=WITHDRAWN, ended_at=now)
            await audit.record(f"appointment:{appt.id}", "withdraw", before=before, after=describe(appt),
                               tenant=unit_id, actor=actor.login)
    return appt


async def revoke(unit_id: str, appointment_id: int, actor: Actor, reason: str, *,
                 expected_version: int | None = None) -> Appointment:
    """免职: a filed appointment ends, and with it the appointee's hold on the post."""
    appt = await get(unit_id, appointment_id)
    _check_state(appt, FILED)
    _check_version(appt, expected_version)
    defn = await _definition(unit_id, appt.flow_version)
    if not (defn.may_start(actor, unit_id) or defn.is_filer(actor, unit_id)):
        raise NotPermitted("只有本单位可提交任命的人或市信息办备案人员可以免职。",
                           "Only those who may submit the unit's appointments, or the city's filing officers, may revoke one.")
    reason = (reason or "").strip()
    if not reason:
        raise BanwenError("免职须写明理由。", "Revoking an appointment needs a reason.")
    now = _now()
    history = [*appt.history, _entry(appt.node, "revoke", actor.login, now, reason)]
    with tenant_scope(unit_id):
        async with in_transaction():
            before = await _write(appt, now, history, state=REVOKED, ended_at=now)
            await audit.record(f"appointment:{appt.id}", "revoke", before=before, after=describe(appt),
                               tenant=unit_id, actor=actor.login)
            await policy_changed(unit_id)
    return appt


async def pending_for(actor: Actor) -> list[Appointment]:
    """Running appointments, in any unit, whose current node ``actor`` may handle: a filing officer's queue.

    Crosses units on purpose (platform scope); without a platform role only the actor's own unit
    can match, so only it is read.
    """
    with platform_scope():
        qs = Appointment.filter(state=RUNNING)
        if not actor.platform_roles:
            qs = qs.filter(tenant_id=actor.unit)
        running = await qs.order_by("id")
    defs: dict[tuple[str, int], AppointmentFlow] = {}
    out = []
    for a in running:
        key = (a.tenant_id, a.flow_version)  # type: ignore[attr-defined]
        if key not in defs:
            defs[key] = await _definition(*key)
        step = defs[key].step(a.node)
        if step is not None and any(actor.matches(h, key[0]) for h in step.handlers):
            out.append(a)
    return out


def _check_state(appt: Appointment, wanted: str) -> None:
    if appt.state != wanted:
        zh, en = STATE_NAMES.get(appt.state, (appt.state, appt.state))
        want_zh, want_en = STATE_NAMES[wanted]
        raise Conflict(f"任命备案 #{appt.id} 当前状态为“{zh}”，不是“{want_zh}”，未作修改。",
                       f"Appointment #{appt.id} is {en}, not {want_en}; nothing was changed.")


def _check_version(appt: Appointment, expected: int | None) -> None:
    if expected is not None and expected != appt.lock_version:
        raise Conflict(f"任命备案 #{appt.id} 已被他人处理（版本 {appt.lock_version}，你看到的是 {expected}），未作修改。",
                       f"Appointment #{appt.id} was changed by someone else (version {appt.lock_version}, you saw "
                       f"{expected}); nothing was changed.")


async def _write(appt: Appointment, now: datetime, history: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    """Apply ``changes`` if nobody changed the row since it was read; returns the row as it was.

    The ``lock_version`` condition makes two concurrent approvals exactly one update: the loser
    matches no row, raises ``Conflict`` and its transaction writes nothing.
    """
    before = describe(appt)
    changes.update(history=history, lock_version=appt.lock_version + 1, updated_at=now)
    n = await Appointment.filter(id=appt.id, lock_version=appt.lock_version, state=appt.state).update(**changes)
    if n != 1:
        raise Conflict(f"任命备案 #{appt.id} 刚被他人处理，未作修改，请刷新后重试。",
                       f"Appointment #{appt.id} was just handled by someone else; nothing was changed. Reload and retry.")
    for k, v in changes.items():
        setattr(appt, k, v)
    return before


async def _supersede(appt: Appointment, now: datetime, actor: str, unit_id: str) -> None:
    """The earlier filed appointment to the same post and holder (A or B) ends: one holder at a time."""
    holder = (appt.data or {}).get("holder", "A")
    for old in await Appointment.filter(post=appt.post, state=FILED).exclude(id=appt.id):
        if (old.data or {}).get("holder", "A") != holder:
            continue
        history = [*old.history, _entry(old.node, "supersede", actor, now, f"由任命备案 #{appt.id} 接替 / superseded by #{appt.id}")]
        before = await _write(old, now, history, state=SUPERSEDED, ended_at=now)
        await audit.record(f"appointment:{old.id}", "supersede", before=before, after=describe(old),
                           tenant=unit_id, actor=actor)


# --- onboarding: appointments that predate the platform ------------------------------------

@dataclass(frozen=True)
class Onboarding:
    """An appointment made before the unit joined the platform, recorded as already filed."""

    unit: str
    post: str
    login: str
    holder: str = "A"


async def onboard(rows: Sequence[Onboarding], actor: str) -> int:
    """Record ``rows`` as filed appointments (``banwen init``, onboarding a unit), all or nothing.

    Each unit's published flow must be runnable and name the post as needing filing, and each
    appointee must be a user of that unit; the history says 初始化时备案 and who recorded it.
    Meant for units without appointments yet: nothing earlier is superseded.
    """
    if not rows:
        return 0
    unit_ids = sorted({r.unit for r in rows})
    with platform_scope():
        published = dict(await Unit.filter(id__in=unit_ids).values_list("id", "published_version"))
        ids = [vid for vid, tid, number in await BundleVersion.filter(tenant_id__in=unit_ids).values_list("id", "tenant_id", "number")
               if published.get(tid) == number]
        versions = await BundleVersion.filter(id__in=ids).values_list("tenant_id", "number", "resolved")
        users = set(await User.filter(login__in=[r.login for r in rows], is_active=True).values_list("tenant_id", "login"))
    defs = {uid: parse_flow(resolved, number, uid) for uid, number, resolved in versions}
    now = _now()
    created = []
    for r in rows:
        if r.unit not in defs:
            raise NotFound(f"单位 “{r.unit}” 不存在或没有已发布的版本。", f"Unit '{r.unit}' does not exist or has no published version.")
        defn = defs[r.unit]
        if r.post not in defn.filing_posts:
            raise BanwenError(f"岗位 “{r.post}” 不是单位 “{r.unit}” 须备案的岗位。",
                              f"Post '{r.post}' is not a post of unit '{r.unit}' that needs filing.")
        if (r.unit, r.login) not in users:
            raise NotFound(f"单位 “{r.unit}” 没有在职用户 “{r.login}”。", f"Unit '{r.unit}' has no active user '{r.login}'.")
        history = [_entry(defn.end, "onboard", actor, now, "初始化时备案 / filed at onboarding")]
        created.append(Appointment(tenant_id=r.unit, post=r.post, appointee=r.login,
                                   data={"post": r.post, "holder": r.holder, "appointee": r.login},
                                   flow_version=defn.version, node=defn.end, state=FILED, submitted_by=actor,
                                   history=history, filed_at=now))
    with platform_scope():
        async with in_transaction():
            newest = await Appointment.all().order_by("-id").first()
            await Appointment.bulk_create(created, batch_size=500)
            # a batch insert does not hand back ids: read them, to name each event's object
            stored = await Appointment.filter(id__gt=newest.id if newest else 0, tenant_id__in=unit_ids) \
                .values_list("id", "tenant_id", "post", "appointee", "state", "node", "lock_version", "data")
            await audit.record_many(
                audit.Event(f"appointment:{aid}", "onboard", tenant=tid, actor=actor,
                            after={"post": post, "holder": (data or {}).get("holder", "A"), "appointee": login,
                                   "state": state, "node": node, "lock_version": lock})
                for aid, tid, post, login, state, node, lock, data in stored)
            # policy_changed(uid) for every unit, as one insert: the PolicyChange row is what it records
            await PolicyChange.bulk_create([PolicyChange(domain=uid) for uid in unit_ids], batch_size=500)
    return len(created)
