"""The engine through its Python API on the seed 发文 flow: start, 会签 of three leaders, sign-off…"""

from __future__ import annotations

from flowtools import doc_data, open_tasks, people_of

from runtime import records
from runtime.flows import engine


async def test_outgoing_doc_runs_to_the_end(flow_web) -> None:
    p = await people_of()
    drafter = p.staff()
    rec = await records.create(p.unit, "outgoing_doc", doc_data("关于开展安全检查的通知"), drafter)
    inst = await engine.start(p.unit, rec.id, drafter)
    [t] = await open_tasks(p.unit, inst.id)
    assert t.node == "dept_review" and t.assignee == p.dept_head(drafter)
    await engine.act(p.unit, t.id, t.assignee, "approve", opinion="同意")
    tasks = await open_tasks(p.unit, inst.id)
    assert {x.node for x in tasks} == {"countersign"}
    assert sorted(x.assignee for x in tasks) == sorted(p.leaders)
    for x in tasks:
        await engine.act(p.unit, x.id, x.assignee, "approve", opinion="同意")
    for node in ("sign_off", "recheck", "register", "dispatch"):
        [t] = await open_tasks(p.unit, inst.id)
        assert t.node == node
        await engine.act(p.unit, t.id, t.assignee, "approve", opinion="好")
    assert await open_tasks(p.unit, inst.id) == []
    rec = await records.get(p.unit, rec.id)
    assert rec.status == "completed"
