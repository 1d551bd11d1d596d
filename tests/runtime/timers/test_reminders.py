"""Warning, due and overdue reminders (runtime.timers.reminders) on tasks the engine created.

Tasks come from the seed 发文 flow and from a drill flow published into the demo unit; their
reminder moments are moved into the past with an UPDATE, then ``fire_due`` runs — twice, or twice
at once — and each reminder must have fired exactly once: its notifications, its audit event.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from tortoise.timezone import localtime

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "flows"))  # the flow tests' helpers
from flowtools import People, doc_data, open_tasks, people_of

from runtime import db, records
from runtime.cli import cli
from runtime.flows import engine
from runtime.jobs import Jobs, LoopRunner, create_huey
from runtime.settings import Settings
from runtime.timers import reminders
from runtime.timers.reminders import fire_due
from tenants import store
from tenants.bundle import BundleSource
from tenants.models import AuditEvent, FlowInstance, Notification, Task
from tenants.scope import tenant_scope

CITY = ["init", "--demo", "--units", "2", "--users", "60", "--exchange-units", "1"]

# A unit flow on the seed 发文 form whose one step spells out every escalation option.
DRILL = """\
format_version: 1
id: reminder_drill
name: 提醒演练
name_en: Reminder drill
form: outgoing_doc
nodes:
  - id: draft
    type: start
    name: 起草
  - id: review
    type: approve
    name: 核稿
    name_en: Review
    handlers: [{kind: post, ref: reviewer}]
    actions: [approve]
    time_limit: {working_days: 1}
    escalation:
      warning: {notify_handler: false, notify_leader: true}
      due: {notify: [{kind: post, ref: archivist}]}
      overdue: {notify_leader: true, hand_to_b: true}
  - id: done
    type: end
    name: 办结
edges:
  - {from: draft, to: review}
  - {from: review, to: done}
"""


def _now() -> datetime:
    return localtime(datetime.now(UTC))


@pytest.fixture
def city(cli_env: dict[str, str], settings: Settings) -> Settings:
    result = CliRunner().invoke(cli, CITY, env=cli_env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return settings


@pytest.fixture
async def people(city: Settings) -> AsyncIterator[People]:
    """The demo unit with three leaders, with the database open."""
    await db.connect(city)
    try:
        yield await people_of()
    finally:
        await db.close()


async def _start(p: People, title: str, drafter: str, flow: str | None = None) -> FlowInstance:
    rec = await records.create(p.unit, "outgoing_doc", doc_data(title), drafter)
    return await engine.start(p.unit, rec.id, drafter, flow)


async def _make_due(unit: str, *task_ids: int) -> None:
    """Move the tasks' warning point, due reminder and deadline a minute into the past."""
    past = _now() - timedelta(minutes=1)
    with tenant_scope(unit):
        await Task.filter(id__in=task_ids).update(warn_at=past, due_at=past, deadline=past)


async def _notes(unit: str, task_id: int) -> list[tuple[str, str]]:
    with tenant_scope(unit):
        return sorted(await Notification.filter(task_id=task_id).values_list("kind", "login"))


async def _events(unit: str, task_id: int) -> Counter[str]:
    with tenant_scope(unit):
        return Counter(await AuditEvent.filter(obj=f"task:{task_id}", action__startswith="remind_")
                       .values_list("action", flat=True))


async def test_the_handler_gets_each_reminder_once_by_default(people: People) -> None:
    p = people
    drafter = p.staff("dept_01")
    inst = await _start(p, "关于年度考核的通知", drafter)
    [task] = await open_tasks(p.unit, inst.id)
    handler = p.dept_head(drafter)
    assert task.node == "dept_review" and task.assignee == handler  # a node without escalation settings

    assert (await fire_due(unit=p.unit))["fired"] == []  # nothing due yet (deadline tomorrow or later)
    await _make_due(p.unit, task.id)
    first = await fire_due(unit=p.unit)
    second = await fire_due()
    assert [(f["task"], f["kind"]) for f in first["fired"]] == [(task.id, "warning"), (task.id, "due"), (task.id, "overdue")]
    assert first["errors"] == [] and second == {**second, "fired": [], "errors": []}

    assert await _notes(p.unit, task.id) == [("due", handler), ("overdue", handler), ("warning", handler)]
    assert await _events(p.unit, task.id) == {"remind_warning": 1, "remind_due": 1, "remind_overdue": 1}
    with tenant_scope(p.unit):
        row = await Task.get(id=task.id)
        overdue = await AuditEvent.get(obj=f"task:{task.id}", action="remind_overdue")
        message = (await Notification.get(task_id=task.id, kind="overdue")).message
    assert row.warned_at and row.due_sent_at and row.overdue_sent_at and row.state == "open"
    assert overdue.actor == reminders.SYSTEM and overdue.after["to"] == [handler]
    # the handler's leader is asked for by default when overdue; a leader outside every department has none
    assert "leader" in " ".join(overdue.after["skipped"])
    assert "关于年度考核的通知" in message and "已超过办理期限" in message


async def test_countersign_escalation_of_the_seed_flow(people: People) -> None:
    p = people
    drafter = p.staff()
    inst = await _start(p, "关于会签提醒的通知", drafter)
    [review] = await open_tasks(p.unit, inst.id)
    await engine.act(p.unit, review.id, review.assignee, "approve", opinion="同意")
    signers = await open_tasks(p.unit, inst.id)
    assert sorted(t.assignee for t in signers) == sorted(p.leaders)
    await _make_due(p.unit, *(t.id for t in signers))

    # two workers sweeping at the same moment: still one reminder each
    a, b = await asyncio.gather(fire_due(), fire_due())
    assert len(a["fired"]) + len(b["fired"]) == 3 * len(signers)
    await fire_due()

    director = p.a("office_director")
    for t in signers:
        # warning: the handler; due: not declared, so the default (the handler); overdue: the handler and
        # the office director named in `notify` — no leader, because the step does not ask for one
        assert await _notes(p.unit, t.id) == sorted([("warning", t.assignee), ("due", t.assignee),
                                                     ("overdue", t.assignee), ("overdue", director)])
        assert await _events(p.unit, t.id) == {"remind_warning": 1, "remind_due": 1, "remind_overdue": 1}
    with tenant_scope(p.unit):
        keys = await Notification.filter(kind__in=["warning", "due", "overdue"]).values_list("dedup", flat=True)
    assert len(keys) == len(set(keys)) == 4 * len(signers)
    assert f"{p.unit}:{signers[0].id}:overdue:{director}" in keys


async def test_a_task_done_before_its_reminder_gets_none(people: People) -> None:
    p = people
    drafter = p.staff()
    inst = await _start(p, "办得快的通知", drafter)
    [task] = await open_tasks(p.unit, inst.id)
    await _make_due(p.unit, task.id)
    await engine.act(p.unit, task.id, task.assignee, "approve", opinion="同意")
    fired = (await fire_due(unit=p.unit))["fired"]
    assert task.id not in {f["task"] for f in fired}
    assert await _notes(p.unit, task.id) == [] and await _events(p.unit, task.id) == {}


async def _publish_drill(p: People) -> None:
    v = await store.get_version(p.unit)
    files = {**dict(v.files), "flows/reminder_drill.yaml": DRILL}
    await store.publish(p.unit, "test", "提醒演练流程", source=BundleSource(p.unit, files))


async def test_escalation_steps_and_hand_to_b(people: People) -> None:
    p = people
    await _publish_drill(p)
    a, b = p.a("reviewer"), p.b("reviewer")
    leader, archivist = p.dept_head(a), p.a("archivist")
    assert len({a, b, leader, archivist}) == 4
    drafter = p.staff()
    inst = await _start(p, "演练文件", drafter, "reminder_drill")
    [task] = await open_tasks(p.unit, inst.id)
    assert (task.node, task.assignee, task.post, task.acting_for) == ("review", a, "reviewer", None)
    with tenant_scope(p.unit):
        version_before = (await FlowInstance.get(id=inst.id)).lock_version
    await _make_due(p.unit, task.id)

    result = await fire_due(unit=p.unit)
    assert [(f["kind"], f["to"]) for f in result["fired"]] == [
        ("warning", [leader]),                 # notify_handler: false, notify_leader: true
        ("due", [a, archivist]),                # the handler by default, and the post named in notify
        ("overdue", [a, leader]),               # handler and leader, and the task goes to B
    ]
    assert result["fired"][2]["handed_to"] == b
    assert (await fire_due())["fired"] == []

    with tenant_scope(p.unit):
        old = await Task.get(id=task.id)
        [new] = await Task.filter(instance_id=inst.id, state="open")
        inst_after = await FlowInstance.get(id=inst.id)
        handed = await AuditEvent.filter(obj=f"task:{task.id}", action="hand_to_b").values_list("actor", "before", "after")
        b_notes = await Notification.filter(login=b).values_list("kind", "task_id", "message")
    assert (old.state, old.outcome, old.completed_by) == ("done", "transferred", reminders.SYSTEM)
    assert (new.node, new.assignee, new.acting_for, new.post, new.round) == ("review", b, a, "reviewer", old.round)
    assert new.deadline == old.deadline and new.overdue_sent_at is not None  # B is not reminded again
    assert inst_after.lock_version == version_before + 1  # through the engine's write path, like any action
    assert handed == [(reminders.SYSTEM, {"node": "review", "assignee": a, "acting_for": None},
                       {"node": "review", "assignee": b, "acting_for": a, "post": "reviewer"})]
    assert [(k, t) for k, t, _ in b_notes] == [("handed", new.id)]
    assert f"代 {a}" in b_notes[0][2]
    assert sorted(await _notes(p.unit, task.id)) == sorted([("warning", leader), ("due", a), ("due", archivist),
                                                            ("overdue", a), ("overdue", leader)])
    assert await _events(p.unit, task.id) == {"remind_warning": 1, "remind_due": 1, "remind_overdue": 1}

    # B acts for A on an ordinary engine task, and the flow completes
    await engine.act(p.unit, new.id, b, "approve", opinion="代为核稿")
    with tenant_scope(p.unit):
        assert (await FlowInstance.get(id=inst.id)).state == "completed"
        acted = await AuditEvent.get(obj=f"task:{new.id}", action="approve")
    assert (acted.actor, acted.acting_for) == (b, a)


async def test_the_huey_tasks_fire_through_the_jobs_table(people: People, settings: Settings) -> None:
    """``remind`` (one task, at its exact time) and the periodic ``sweep_reminders``, in immediate mode."""
    p = people
    one = await _start(p, "甲文件", p.staff())
    two = await _start(p, "乙文件", p.staff(n=1))
    [t1], [t2] = await open_tasks(p.unit, one.id), await open_tasks(p.unit, two.id)
    await _make_due(p.unit, t1.id, t2.id)
    jobs = Jobs(create_huey(settings, immediate=True), LoopRunner(asyncio.get_running_loop(), timeout=60))

    await asyncio.to_thread(lambda: jobs.remind(p.unit, t1.id).get())
    assert {k for k, _ in await _notes(p.unit, t1.id)} == {"warning", "due", "overdue"}
    assert await _notes(p.unit, t2.id) == []  # remind is about its own task only

    await asyncio.to_thread(lambda: jobs.sweep().get())
    assert {k for k, _ in await _notes(p.unit, t2.id)} == {"warning", "due", "overdue"}
    assert await _events(p.unit, t1.id) == await _events(p.unit, t2.id) == \
        {"remind_warning": 1, "remind_due": 1, "remind_overdue": 1}


def test_the_sweep_command(city: Settings, cli_env: dict[str, str]) -> None:
    async def setup() -> tuple[str, int, str]:
        await db.connect(city)
        try:
            p = await people_of()
            inst = await _start(p, "命令行提醒", p.staff())
            [task] = await open_tasks(p.unit, inst.id)
            await _make_due(p.unit, task.id)
            return p.unit, task.id, task.assignee
        finally:
            await db.close()

    unit, task_id, handler = asyncio.run(setup())
    runner = CliRunner()
    first = runner.invoke(cli, ["reminders", "sweep", "--tenant", unit], env=cli_env)
    assert first.exit_code == 0, first.output
    assert f"预警 / warning: {unit} 待办 task #{task_id}《命令行提醒》 → {handler}" in first.output
    assert f"超期 / overdue: {unit} 待办 task #{task_id}" in first.output
    assert "共发出 3 条提醒" in first.output and "Fired 3 reminder(s)" in first.output

    again = runner.invoke(cli, ["reminders", "sweep", "--json"], env=cli_env)
    assert again.exit_code == 0, again.output
    assert '"fired": []' in again.output

    unknown = runner.invoke(cli, ["reminders", "sweep", "--tenant", "no_such_unit"], env=cli_env)
    assert unknown.exit_code == 2
    assert "no_such_unit" in unknown.output and "does not exist" in unknown.output
