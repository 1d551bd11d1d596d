"""AB岗 through the engine: the approved absence register sends A's post tasks to B, for A; when A is back,
open tasks stay with B and show in A's inbox too; new tasks go to A again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flowtools import doc_data, open_tasks, people_of
from tortoise.timezone import localtime

from runtime import records
from runtime.flows import engine, inbox
from tenants.models import Absence, Task
from tenants.scope import tenant_scope


async def _away(unit: str, person: str, approver: str, substitute: str | None = None) -> None:
    """Register an absence of ``person`` from today for three days through the seed absence flow."""
    today = date.today()
    data = {"person": person, "kind": "请假", "start": today.isoformat(), "end": (today + timedelta(days=3)).isoformat()}
    if substitute:
        data["substitute"] = substitute
    rec = await records.create(unit, "absence", data, person)
    inst = await engine.start(unit, rec.id, person)
    [task] = await open_tasks(unit, inst.id)
    assert task.assignee == approver
    await engine.act(unit, task.id, approver, "approve", opinion="同意")


async def test_b_acts_while_a_is_away_and_both_see_the_task_after_a_returns(flow_web) -> None:
    p = await people_of()
    director, b = p.a("office_director"), p.b("office_director")
    await _away(p.unit, director, p.a("unit_head"))
    drafter = p.staff()
    rec = await records.create(p.unit, "outgoing_doc", doc_data("请复核"), drafter)
    inst = await engine.start(p.unit, rec.id, drafter)
    # walk to 复核, which the office director's post handles
    while True:
        [t] = [x for x in await open_tasks(p.unit, inst.id)][:1]
        if t.node == "recheck":
            break
        for x in await open_tasks(p.unit, inst.id):
            await engine.act(p.unit, x.id, x.assignee, "approve", opinion="同意")
    assert (t.assignee, t.acting_for, t.post) == (b, director, "office_director")

    # A comes back: the absence is over; the task stays with B and shows in A's inbox, held for A
    with tenant_scope(p.unit):
        await Absence.filter(login=director).update(end_at=localtime(datetime.now(UTC) - timedelta(minutes=1)))
    a_box = await inbox.box(p.unit, director, "todo")
    [row] = [r for r in a_box["items"] if r["id"] == t.id]
    assert row["held_for_me"] and row["assignee"] == b
    assert "approve" not in engine.allowed((await engine._load(p.unit, inst.id)).flow, t, director,
                                           (await engine._load(p.unit, inst.id)).instance, [t])
    await engine.act(p.unit, t.id, b, "approve", opinion="代为复核")
    with tenant_scope(p.unit):
        done = await Task.get(id=t.id)
    assert (done.completed_by, done.acting_for) == (b, director)

    # a new task for the post now goes to A again
    rec2 = await records.create(p.unit, "absence", {"person": drafter, "kind": "学习", "start": date.today().isoformat(),
                                                     "end": date.today().isoformat()}, drafter)
    inst2 = await engine.start(p.unit, rec2.id, drafter)
    [t2] = await open_tasks(p.unit, inst2.id)
    assert t2.assignee == p.a("unit_head") and t2.acting_for is None


async def test_a_and_b_away_goes_to_the_designated_head(flow_web) -> None:
    p = await people_of()
    director, b = p.a("office_director"), p.b("office_director")
    await _away(p.unit, director, p.a("unit_head"))
    await _away(p.unit, b, p.a("unit_head"))
    rec = await records.create(p.unit, "incoming_doc", {"sender_unit": "市政府办", "title": "来文", "urgency": "无",
                                                        "item_kind": "阅件", "classification": "非涉密"}, p.filed("doc_clerk"))
    inst = await engine.start(p.unit, rec.id, p.filed("doc_clerk"))
    [reg] = await open_tasks(p.unit, inst.id)
    await engine.act(p.unit, reg.id, reg.assignee, "approve", opinion="登记")
    [review] = await open_tasks(p.unit, inst.id)
    assert review.node == "initial_review"
    assert (review.assignee, review.acting_for) == (p.org["head"], director)
