"""Simultaneous completions (DESIGN §4): of one task, exactly one wins and the other is a clear 409;
of different tasks of one 会签 round, all win and the node passes exactly once.

Fifty 发文 instances of the demo unit are in flight at once. Every pair of completions is fired
together (``asyncio.gather``), through the engine and through the HTTP API. On SQLite the two
commands interleave between their awaits (each reads, decides, then queues for the one writer);
on PostgreSQL (CI sets ``BANWEN_DATABASE_URL``) they run over the connection pool at once. What
must hold afterwards: no duplicate and no lost task, one ``approve`` audit event per task, and an
intact audit chain.

How these tests catch a broken ``engine._flush`` (tried by loading the engine with a check cut
out): without the ``lock_version`` check on the instance row, the three leaders each decide on a
round where the other two are still open, all three writes land, and the 会签 node never passes
(no 签发 task at all); without it and the one on the task row, both commands of a pair write (two
``approve`` events, the instance written twice). The task row's check alone is covered by the
instance's: every command writes the instance row, so a stale task never gets that far.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
from flowtools import People, doc_data, open_tasks, people_of
from webtools import Web, sign_in

from runtime import records
from runtime.flows import engine
from tenants import audit
from tenants.errors import Conflict
from tenants.models import FlowInstance, Task
from tenants.scope import tenant_scope

PAIRS = 50


async def _instances(p: People, n: int) -> list[int]:
    """``n`` running 发文 instances, each waiting at 部门审核, drafted by staff of several departments."""
    drafters = [p.staff(n=i) for i in range(4)]
    out = []
    for i in range(n):
        drafter = drafters[i % len(drafters)]
        rec = await records.create(p.unit, "outgoing_doc", doc_data(f"关于并发办理测试的通知（{i + 1}）"), drafter)
        out.append((await engine.start(p.unit, rec.id, drafter)).id)
    return out


async def _tasks(unit: str, instance_id: int) -> list[Task]:
    with tenant_scope(unit):
        return list(await Task.filter(instance_id=instance_id).order_by("id"))


async def _lock_version(unit: str, instance_id: int) -> int:
    with tenant_scope(unit):
        return (await FlowInstance.get(id=instance_id)).lock_version


async def _approvals(unit: str) -> Counter[str]:
    """How many ``approve`` events the audit trail holds per task."""
    rows, total = await audit.query(unit, action="approve", obj="task:*", limit=1000)
    assert total == len(rows)
    return Counter(r["object"] for r in rows)


def _outcomes(results: list[Any]) -> tuple[list[dict[str, Any]], list[Conflict]]:
    """Results of a gather split into successes and conflicts; anything else is raised as it came."""
    won, lost = [], []
    for r in results:
        if isinstance(r, Conflict):
            lost.append(r)
        elif isinstance(r, BaseException):
            raise r
        else:
            won.append(r)
    return won, lost


async def _check_after_review(p: People, instances: list[int], reviews: dict[int, Task]) -> None:
    """Each instance: one approved 部门审核, exactly the three leaders' 会签 tasks open, one write."""
    approvals = await _approvals(p.unit)
    for iid in instances:
        tasks = await _tasks(p.unit, iid)
        review = [t for t in tasks if t.node == "dept_review"]
        assert len(review) == 1, [(t.node, t.state, t.outcome) for t in tasks]
        assert (review[0].state, review[0].outcome, review[0].completed_by) == ("done", "approved", reviews[iid].assignee)
        signers = [t for t in tasks if t.node == "countersign"]
        assert sorted(t.assignee for t in signers) == sorted(p.leaders), "duplicate or lost 会签 tasks"
        assert {(t.state, t.round) for t in signers} == {("open", 1)}
        assert sorted(t.node for t in tasks) == sorted(["draft", "dept_review", "countersign", "countersign", "countersign"])
        assert await _lock_version(p.unit, iid) == 2  # started (1), then exactly one command written
        assert approvals[f"task:{review[0].id}"] == 1
    assert (await audit.verify(p.unit)).ok


async def _check_after_countersign(p: People, instances: list[int]) -> None:
    """Each instance: every leader's approval kept, one 签发 task for the unit head, nothing else live."""
    approvals = await _approvals(p.unit)
    for iid in instances:
        tasks = await _tasks(p.unit, iid)
        signers = [t for t in tasks if t.node == "countersign"]
        assert {(t.state, t.outcome) for t in signers} == {("done", "approved")}, [(t.assignee, t.state) for t in signers]
        assert len(signers) == 3
        sign_off = [t for t in tasks if t.node == "sign_off"]
        assert len(sign_off) == 1, f"instance {iid}: {len(sign_off)} 签发 tasks"
        assert (sign_off[0].state, sign_off[0].assignee) == ("open", p.a("unit_head"))
        assert [t.id for t in await open_tasks(p.unit, iid)] == [sign_off[0].id]
        assert await _lock_version(p.unit, iid) == 5  # each of the three approvals written once
        assert all(approvals[f"task:{t.id}"] == 1 for t in signers)
    assert (await audit.verify(p.unit)).ok


def _assert_clear_conflict(exc: Conflict, task: Task) -> None:
    assert exc.status == 409
    assert f"待办 #{task.id}（部门审核）已由 {task.assignee}" in exc.zh and "无需重复办理" in exc.zh, exc.zh
    assert f"Task #{task.id} (部门审核) was already handled by {task.assignee}" in exc.en, exc.en


async def test_same_task_twice_at_once_through_the_engine(flow_web: Web) -> None:
    p = await people_of()
    instances = await _instances(p, PAIRS)
    reviews = {iid: (await open_tasks(p.unit, iid))[0] for iid in instances}
    assert {t.node for t in reviews.values()} == {"dept_review"}

    pairs = [(t, engine.act(p.unit, t.id, t.assignee, "approve", opinion="同意")) for t in reviews.values() for _ in range(2)]
    results = await asyncio.gather(*(call for _, call in pairs), return_exceptions=True)
    for i in range(0, len(pairs), 2):
        won, lost = _outcomes(results[i:i + 2])
        assert len(won) == 1 and len(lost) == 1, results[i:i + 2]
        _assert_clear_conflict(lost[0], pairs[i][0])
        assert won[0]["state"] == "running"
    await _check_after_review(p, instances, reviews)

    # the 会签 race: three leaders approve the same round of every instance at the same moment
    signers = [t for iid in instances for t in await open_tasks(p.unit, iid)]
    assert len(signers) == 3 * PAIRS
    results = await asyncio.gather(*(engine.act(p.unit, t.id, t.assignee, "approve", opinion="同意") for t in signers),
                                   return_exceptions=True)
    won, lost = _outcomes(results)
    assert len(won) == len(signers) and not lost
    await _check_after_countersign(p, instances)


async def _post(client: httpx.AsyncClient, csrf: str, unit: str, task: Task) -> httpx.Response:
    return await client.post(f"/api/units/{unit}/tasks/{task.id}/approve", json={"opinion": "同意"},
                             headers={"X-CSRF-Token": csrf})


async def test_same_task_twice_at_once_over_http(flow_web: Web) -> None:
    """A double click: two POSTs of one approval from the same signed-in user, for 50 tasks at once."""
    p = await people_of()
    instances = await _instances(p, PAIRS)
    reviews = {iid: (await open_tasks(p.unit, iid))[0] for iid in instances}
    people = sorted({t.assignee for t in reviews.values()} | set(p.leaders))
    clients = {login: flow_web.client() for login in people}
    try:
        csrf = {login: await sign_in(c, login) for login, c in clients.items()}
        pairs = [(t, _post(clients[t.assignee], csrf[t.assignee], p.unit, t)) for t in reviews.values() for _ in range(2)]
        responses = await asyncio.gather(*(call for _, call in pairs))
        for i in range(0, len(pairs), 2):
            task = pairs[i][0]
            codes = sorted(r.status_code for r in responses[i:i + 2])
            assert codes == [200, 409], [(r.status_code, r.text[:300]) for r in responses[i:i + 2]]
            body = next(r for r in responses[i:i + 2] if r.status_code == 409).json()
            text = str(body)
            assert f"待办 #{task.id}（部门审核）已由 {task.assignee}" in text and "无需重复办理" in text, body
            assert f"was already handled by {task.assignee}" in text, body
        await _check_after_review(p, instances, reviews)

        signers = [t for iid in instances for t in await open_tasks(p.unit, iid)]
        responses = await asyncio.gather(*(_post(clients[t.assignee], csrf[t.assignee], p.unit, t) for t in signers))
        assert [r.status_code for r in responses] == [200] * len(signers), \
            [(r.status_code, r.text[:300]) for r in responses if r.status_code != 200][:3]
        await _check_after_countersign(p, instances)
    finally:
        for c in clients.values():
            await c.aclose()
