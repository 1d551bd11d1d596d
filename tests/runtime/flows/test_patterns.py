"""Workflow control-flow patterns (van der Aalst et al.), one flow of the ``patterns`` fixture each.

The bundle in ``tests/fixtures/bundles/patterns`` becomes a new unit of the demo city, created
with its people and published through ``tenants.store``; every test then runs one of its flows
through the engine's public API and checks the path taken, who got which task and how it ended.
``docs/flows.md`` lists all 43 patterns and links here for the supported ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from clitools import banwen
from flowtools import People, open_tasks, people_of

from rbac.people import NoHandler
from runtime import records
from runtime.auth import hash_password
from runtime.flows import engine
from tenants.bundle import parse_bundle, read_folder
from tenants.errors import Conflict
from tenants.models import FlowInstance, Record, Task
from tenants.scope import tenant_scope
from tenants.store import NewUnit, create_units

BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "bundles" / "patterns"
UNIT = "flow_patterns"
NAMES = ["周文", "吴敏", "郑强", "王芳", "冯磊", "陈静", "褚涛", "卫红", "蒋超", "沈洁", "韩勇", "杨丽"]


@pytest.fixture
async def p(flow_web: Any) -> People:
    """The patterns unit, created under the demo city's government with the people its org.yaml names."""
    source = read_folder(BUNDLE)
    bundle = parse_bundle(source)
    assert not bundle.errors, bundle.errors
    org = bundle.data("org.yaml")
    department = {login: d["id"] for d in org["departments"] for login in d["members"]}
    logins = sorted({*department, *(ld["user"] for ld in org["leaders"]),
                     *(x for post in org["posts"] for x in [post["a_holder"], *post["b_holders"]])})
    users = [{"login": login, "name": NAMES[i % len(NAMES)], "department": department.get(login)}
             for i, login in enumerate(logins)]
    await create_units([NewUnit(dict(bundle.unit or {}), source, users)], author="test",
                       message="流程模式测试单位 / flow pattern fixtures", password_hash=hash_password("Banwen@2026"))
    return await people_of(UNIT)


# --- helpers ---------------------------------------------------------------------------------

def drafter(p: People) -> str:
    """An office clerk who holds no post (and is not the named handler of wcp10_cycle)."""
    return p.staff("office", 1)


async def start(p: People, flow: str, who: str | None = None, **data: Any) -> FlowInstance:
    who = who or drafter(p)
    values = {"title": f"{flow} 测试事项", "kind": "其他", "amount": 100, **data}
    rec = await records.create(p.unit, "pattern_case", values, who)
    return await engine.start(p.unit, rec.id, who, flow_id=flow)


async def tasks_of(inst: FlowInstance | int) -> list[Task]:
    with tenant_scope(UNIT):
        return list(await Task.filter(instance_id=getattr(inst, "id", inst)).order_by("id"))


async def path(inst: FlowInstance | int) -> list[str]:
    """The nodes that got tasks, in the order they got them (the start node included)."""
    return [t.node for t in await tasks_of(inst)]


async def state(inst: FlowInstance) -> tuple[str, str]:
    """(instance state, record status) as stored."""
    with tenant_scope(UNIT):
        fresh = await FlowInstance.get(id=inst.id)
        rec = await Record.get(id=fresh.record_id)
    return fresh.state, rec.status


async def data_of(inst: FlowInstance) -> dict[str, Any]:
    with tenant_scope(UNIT):
        return dict((await Record.get(id=inst.record_id)).data)


async def the_open(inst: FlowInstance) -> Task:
    """The one open blocking task of the instance."""
    [t] = await open_tasks(UNIT, inst.id)
    return t


async def approve(task: Task, **kw: Any) -> dict[str, Any]:
    return await engine.act(UNIT, task.id, task.assignee, "approve", opinion=kw.pop("opinion", "同意"), **kw)


async def by_node(inst: FlowInstance) -> dict[str, list[str]]:
    """Open blocking tasks: node -> assignees."""
    out: dict[str, list[str]] = {}
    for t in await open_tasks(UNIT, inst.id):
        out.setdefault(t.node, []).append(t.assignee)
    return {k: sorted(v) for k, v in out.items()}


def test_the_bundle_passes_lint(cli_env: dict[str, str]) -> None:
    result = banwen(cli_env, "lint", str(BUNDLE))
    assert result.exit_code == 0, result.output


# --- WCP 1: sequence ---------------------------------------------------------------------------

async def test_wcp01_sequence(p: People) -> None:
    me = drafter(p)
    inst = await start(p, "wcp01_sequence")
    t = await the_open(inst)
    assert (t.node, t.assignee, t.post) == ("review", p.a("reviewer"), "reviewer")
    assert t.deadline is not None  # time_limit class general
    await approve(t)
    t = await the_open(inst)
    assert (t.node, t.assignee) == ("check", p.a("office_director"))
    await approve(t)
    t = await the_open(inst)
    assert (t.node, t.assignee) == ("confirm", me)  # handler kind drafter
    await approve(t)
    assert await path(inst) == ["draft", "review", "check", "confirm"]
    assert await state(inst) == ("completed", "completed")


# --- WCP 2 + 3: parallel split and synchronization ---------------------------------------------

async def test_wcp02_03_parallel_split_and_synchronization(p: People) -> None:
    inst = await start(p, "wcp02_03_parallel")
    assert await by_node(inst) == {"finance": [p.a("finance_head")], "office": [p.a("office_director")]}
    [fin] = [t for t in await open_tasks(UNIT, inst.id) if t.node == "finance"]
    await approve(fin)
    assert await by_node(inst) == {"office": [p.a("office_director")]}  # the join waits for the office
    await approve(await the_open(inst))
    t = await the_open(inst)
    assert (t.node, t.assignee) == ("sign", p.a("unit_head"))
    await approve(t)
    assert sorted(await path(inst)) == ["draft", "finance", "office", "sign"]
    assert await state(inst) == ("completed", "completed")
    with tenant_scope(UNIT):
        assert (await FlowInstance.get(id=inst.id)).joins == {}


# --- WCP 4 + 5: exclusive choice and simple merge ----------------------------------------------

@pytest.mark.parametrize(("amount", "kind", "node", "post"), [
    (20000, "其他", "leader", "unit_head"),
    (20000, "采购", "leader", "unit_head"),  # the first condition that holds wins
    (500, "采购", "finance", "finance_head"),
    (500, "其他", "office", "office_director"),  # the default edge
])
async def test_wcp04_05_exclusive_choice_and_simple_merge(p: People, amount: int, kind: str, node: str,
                                                           post: str) -> None:
    inst = await start(p, "wcp04_05_choice", amount=amount, kind=kind)
    t = await the_open(inst)
    assert (t.node, t.assignee) == (node, p.a(post))
    await approve(t)
    t = await the_open(inst)
    assert (t.node, t.assignee) == ("archive", p.a("archivist"))
    await approve(t)
    assert await path(inst) == ["draft", node, "archive"]
    assert await state(inst) == ("completed", "completed")


# --- WCP 6 + 7: multi-choice and structured synchronizing merge (emulated) -----------------------

@pytest.mark.parametrize(("amount", "kind", "taken"), [
    (20000, "采购", ["finance", "leader"]),
    (20000, "其他", ["leader"]),
    (500, "采购", ["finance"]),
    (500, "其他", []),
])
async def test_wcp06_07_multi_choice_emulated(p: People, amount: int, kind: str, taken: list[str]) -> None:
    inst = await start(p, "wcp06_07_multi_choice", amount=amount, kind=kind)
    assert sorted(await by_node(inst)) == (taken or ["archive"])
    for t in await open_tasks(UNIT, inst.id):
        if t.node != "archive":
            await approve(t)
    t = await the_open(inst)
    assert t.node == "archive"
    await approve(t)
    assert sorted(await path(inst)) == sorted(["draft", *taken, "archive"])
    assert await state(inst) == ("completed", "completed")


# --- WCP 8: multi-merge ----------------------------------------------------------------------------

async def test_wcp08_multi_merge(p: People) -> None:
    inst = await start(p, "wcp08_multi_merge")
    [fin] = [t for t in await open_tasks(UNIT, inst.id) if t.node == "finance"]
    await approve(fin)
    assert await by_node(inst) == {"archive": [p.a("archivist")], "office": [p.a("office_director")]}
    [office] = [t for t in await open_tasks(UNIT, inst.id) if t.node == "office"]
    await approve(office)
    archives = [t for t in await open_tasks(UNIT, inst.id) if t.node == "archive"]
    assert [t.round for t in archives] == [1, 2]  # each arriving branch starts the next node again
    await approve(archives[0])
    assert await state(inst) == ("running", "running")
    await approve(archives[1])
    assert await state(inst) == ("completed", "completed")


# --- WCP 9 and 30: discriminator and structured partial join (quorum) ---------------------------

@pytest.mark.parametrize(("flow", "quorum"), [("wcp09_discriminator", 1), ("wcp30_quorum_join", 2)])
async def test_wcp09_30_join_with_quorum(p: People, flow: str, quorum: int) -> None:
    inst = await start(p, flow)
    branches = await open_tasks(UNIT, inst.id)
    assert sorted(t.node for t in branches) == ["finance", "office", "review"]
    for t in branches[:quorum - 1]:
        await approve(t)
        assert "sign" not in await by_node(inst)
    await approve(branches[quorum - 1])
    opened = await by_node(inst)
    assert opened["sign"] == [p.a("unit_head")]  # the join fired on its quorum
    assert len(opened) == 1 + 3 - quorum  # the other branches still run
    [sign] = [t for t in await open_tasks(UNIT, inst.id) if t.node == "sign"]
    await approve(sign)
    assert await state(inst) == ("running", "running")  # late branches hold the instance open
    for t in branches[quorum:]:
        await approve(t)
    assert (await path(inst)).count("sign") == 1  # late arrivals trigger nothing further
    assert await state(inst) == ("completed", "completed")
    with tenant_scope(UNIT):
        assert (await FlowInstance.get(id=inst.id)).joins == {}


@pytest.mark.parametrize("late_first", [False, True])
async def test_wcp30_return_into_one_branch_after_the_join(p: People, late_first: bool) -> None:
    """A return from after a partial join into one branch runs that branch and the join's successor again."""
    inst = await start(p, "wcp30_quorum_join")
    branches = {t.node: t for t in await open_tasks(UNIT, inst.id)}
    await approve(branches["finance"])
    await approve(branches["office"])
    if late_first:
        await approve(branches["review"])  # every branch is in: the join's round is complete
    [sign] = [t for t in await open_tasks(UNIT, inst.id) if t.node == "sign"]
    await engine.act(UNIT, sign.id, sign.assignee, "return_to", target="office", opinion="办公室再核")
    office = next(t for t in await open_tasks(UNIT, inst.id) if t.node == "office")
    assert "sign" not in await by_node(inst)
    await approve(office)  # finance is done and still counts: the quorum is reached again
    [sign] = [t for t in await open_tasks(UNIT, inst.id) if t.node == "sign"]
    assert sign.round == 2
    if not late_first:
        await approve(branches["review"])
    await approve(sign)
    assert (await path(inst)).count("sign") == 2
    assert await state(inst) == ("completed", "completed")


# --- WCP 10 (and 21): arbitrary cycles via return and via a branch loop --------------------------

async def test_wcp10_cycles_via_return_and_branch_loop(p: People) -> None:
    me = drafter(p)
    director = p.a("office_director")
    inst = await start(p, "wcp10_cycle")
    t = await the_open(inst)
    assert (t.node, t.assignee) == ("handle", "pat_10")  # handler kind user
    await approve(t)
    check = await the_open(inst)
    with pytest.raises(engine.BadAction):
        await engine.act(UNIT, check.id, director, "return_to", target="draft")  # a return needs a reason
    await engine.act(UNIT, check.id, director, "return_to", target="draft", opinion="请补充材料")
    t = await the_open(inst)
    assert (t.node, t.assignee, t.round) == ("draft", me, 2)
    assert (await state(inst))[1] == "returned"
    await engine.act(UNIT, t.id, me, "submit", data={"note": "已补充"})
    await approve(await the_open(inst))  # handle, round 2
    check = await the_open(inst)
    await engine.act(UNIT, check.id, director, "return_to", target="handle", opinion="经办再核")
    t = await the_open(inst)
    assert (t.node, t.round) == ("handle", 3)
    await approve(t)
    await approve(await the_open(inst), data={"redo": True})  # check: loop back along the branch
    t = await the_open(inst)
    assert (t.node, t.round) == ("handle", 4)
    assert (await data_of(inst))["rounds"] == 1
    await approve(t)
    await approve(await the_open(inst), data={"redo": False})
    assert await path(inst) == ["draft", "handle", "check", "draft", "handle", "check", "handle", "check",
                                "handle", "check"]
    assert (await data_of(inst))["rounds"] == 2
    assert await state(inst) == ("completed", "completed")


async def test_wcp10_return_from_after_a_join_into_one_branch(p: People) -> None:
    inst = await start(p, "wcp02_03_parallel")
    for t in await open_tasks(UNIT, inst.id):
        await approve(t)
    sign = await the_open(inst)
    await engine.act(UNIT, sign.id, sign.assignee, "return_to", target="office", opinion="请办公室补充意见")
    office = await the_open(inst)
    assert (office.node, office.round) == ("office", 2)  # finance is not asked again
    await approve(office)
    sign = await the_open(inst)
    assert (sign.node, sign.round) == ("sign", 2)
    await approve(sign)
    assert await path(inst) == ["draft", "finance", "office", "sign", "office", "sign"]
    assert await state(inst) == ("completed", "completed")


# --- WCP 11: implicit termination ----------------------------------------------------------------

async def test_wcp11_implicit_termination(p: People) -> None:
    inst = await start(p, "wcp11_implicit")
    [office] = [t for t in await open_tasks(UNIT, inst.id) if t.node == "office"]
    await approve(office)
    assert await state(inst) == ("running", "running")  # one end reached, the finance line still runs
    await approve(await the_open(inst))
    assert await state(inst) == ("completed", "completed")  # nothing left to do: the instance ends


# --- WCP 12: multiple instances without synchronization (circulate) -------------------------------

async def test_wcp12_circulate_does_not_wait(p: People) -> None:
    readers = [p.staff("finance", 0), p.staff("office", 2)]
    inst = await start(p, "wcp12_circulate", signers=readers)
    tasks = await tasks_of(inst)
    circ = [t for t in tasks if t.node == "circulate"]
    assert sorted(t.assignee for t in circ) == sorted(readers)
    assert all(t.state == "open" and not t.blocking for t in circ)
    check = await the_open(inst)  # the flow went on at once
    assert (check.node, check.assignee) == ("check", p.a("office_director"))
    await engine.act(UNIT, circ[0].id, circ[0].assignee, "read")
    await approve(check)
    assert await state(inst) == ("completed", "completed")
    await engine.act(UNIT, circ[1].id, circ[1].assignee, "read")  # a late reader still signs for it
    assert {t.outcome for t in await tasks_of(inst) if t.node == "circulate"} == {"read"}


# --- WCP 13: multiple instances with design-time knowledge ----------------------------------------

async def test_wcp13_countersign_of_fixed_handlers(p: People) -> None:
    inst = await start(p, "wcp13_mi_design")
    signs = await open_tasks(UNIT, inst.id)
    assert sorted(t.assignee for t in signs) == sorted([p.a("unit_head"), p.a("deputy_head"), "pat_03"])
    assert all(t.node == "sign" and t.deadline is not None for t in signs)
    for t in signs[:2]:
        await approve(t)
        assert "archive" not in await by_node(inst)
    await approve(signs[2])
    t = await the_open(inst)
    assert (t.node, t.assignee) == ("archive", p.a("archivist"))
    await approve(t)
    assert await state(inst) == ("completed", "completed")


# --- WCP 14 + 15: multiple instances with run-time knowledge; signers added while running --------

async def test_wcp14_15_countersign_of_run_time_signers(p: People) -> None:
    signers = [p.staff("finance", 0), p.staff("office", 0), p.staff("office", 2)]
    inst = await start(p, "wcp14_mi_runtime", signers=signers)
    signs = await open_tasks(UNIT, inst.id)
    assert sorted(t.assignee for t in signs) == sorted(signers)
    await approve(signs[0])
    extra = p.a("finance_head")
    await engine.act(UNIT, signs[1].id, signs[1].assignee, "add_signer", signers=[extra])
    assert await by_node(inst) == {"sign": sorted([*signers[1:], extra])}
    await approve(signs[1])
    await approve(signs[2])
    assert "archive" not in await by_node(inst)  # the added signer must sign too
    [added] = await open_tasks(UNIT, inst.id)
    assert added.assignee == extra
    await approve(added)
    assert (await the_open(inst)).node == "archive"


async def test_wcp14_no_signers_at_run_time_refuses_to_start(p: People) -> None:
    with pytest.raises(NoHandler):
        await start(p, "wcp14_mi_runtime")
    with tenant_scope(UNIT):
        assert await FlowInstance.all().count() == 0
        assert {r.status for r in await Record.all()} == {"draft"}


# --- WCP 19: cancel task -----------------------------------------------------------------------

async def test_wcp19_cancel_task_by_remove_signer(p: People) -> None:
    inst = await start(p, "wcp19_cancel_task")
    signs = {t.assignee: t for t in await open_tasks(UNIT, inst.id)}
    assert sorted(signs) == sorted(p.leaders)  # handler kind role: every unit_leader
    head, deputy, other = p.leaders
    await approve(signs[head])
    await engine.act(UNIT, signs[deputy].id, deputy, "remove_signer", signers=[other])
    with tenant_scope(UNIT):
        removed = await Task.get(id=signs[other].id)
    assert (removed.state, removed.outcome) == ("cancelled", "removed")
    with pytest.raises(Conflict):
        await approve(signs[other])
    await approve(signs[deputy])
    t = await the_open(inst)
    assert (t.node, t.assignee) == ("check", p.a("office_director"))


async def test_wcp19_cancel_task_by_withdraw(p: People) -> None:
    me = drafter(p)
    inst = await start(p, "wcp19_cancel_task")
    [submitted] = [t for t in await tasks_of(inst) if t.node == "draft"]
    await engine.act(UNIT, submitted.id, me, "withdraw")
    tasks = await tasks_of(inst)
    assert {(t.state, t.outcome) for t in tasks if t.node == "sign"} == {("cancelled", "withdrawn")}
    t = await the_open(inst)
    assert (t.node, t.assignee) == ("draft", me)
    assert (await state(inst))[1] == "returned"
    await engine.act(UNIT, t.id, me, "submit")
    signs = await open_tasks(UNIT, inst.id)
    assert sorted(x.assignee for x in signs) == sorted(p.leaders)
    await approve(signs[0])  # the next step has acted: too late to withdraw
    with pytest.raises(Conflict):
        await engine.act(UNIT, t.id, me, "withdraw")


async def test_wcp19_withdraw_the_arrival_that_completed_a_join(p: People) -> None:
    inst = await start(p, "wcp02_03_parallel")
    fin, office = sorted(await open_tasks(UNIT, inst.id), key=lambda t: t.node)
    await approve(fin)
    await approve(office)  # completes the join: the director-general's task opens
    [sign] = await open_tasks(UNIT, inst.id)
    await engine.act(UNIT, office.id, office.assignee, "withdraw")
    with tenant_scope(UNIT):
        assert (await Task.get(id=sign.id)).outcome == "withdrawn"
    again = await the_open(inst)
    assert (again.node, again.assignee) == ("office", p.a("office_director"))
    await approve(again)  # finance stays done: the join goes on with the office alone
    sign = await the_open(inst)
    assert sign.node == "sign"
    await approve(sign)
    assert await state(inst) == ("completed", "completed")


# --- WCP 20: cancel case ------------------------------------------------------------------------

async def test_wcp20_cancel_case_by_drafter(p: People) -> None:
    me = drafter(p)
    inst = await start(p, "wcp20_cancel_case")
    [fin] = [t for t in await open_tasks(UNIT, inst.id) if t.node == "finance"]
    await approve(fin)
    with pytest.raises(engine.NotAllowed):
        await engine.terminate(UNIT, inst.id, p.staff("finance", 0), "无关人员")
    with pytest.raises(engine.BadAction):
        await engine.terminate(UNIT, inst.id, me, " ")
    await engine.terminate(UNIT, inst.id, me, "事项取消")
    tasks = await tasks_of(inst)
    office = next(t for t in tasks if t.node == "office")
    assert (office.state, office.outcome) == ("cancelled", "terminated")
    assert await state(inst) == ("terminated", "terminated")
    with tenant_scope(UNIT):
        assert (await FlowInstance.get(id=inst.id)).end_reason == "事项取消"
    with pytest.raises(Conflict):
        await approve(office)


async def test_wcp20_cancel_case_by_a_handler_whose_node_allows_it(p: People) -> None:
    inst = await start(p, "wcp20_cancel_case")
    [office] = [t for t in await open_tasks(UNIT, inst.id) if t.node == "office"]
    await engine.act(UNIT, office.id, office.assignee, "terminate", opinion="不予办理")
    assert await open_tasks(UNIT, inst.id) == []
    assert await state(inst) == ("terminated", "terminated")


# --- WCP 27 (and 35): complete a multiple-instance activity early -----------------------------------

async def test_wcp27_any_sign(p: People) -> None:
    inst = await start(p, "wcp27_any_sign")
    signs = await open_tasks(UNIT, inst.id)
    assert sorted(t.assignee for t in signs) == sorted(p.leaders)
    first = next(t for t in signs if t.assignee == p.leaders[1])
    await approve(first)
    rest = [t for t in await tasks_of(inst) if t.node == "pick" and t.id != first.id]
    assert {(t.state, t.outcome) for t in rest} == {("cancelled", "not_needed")}
    t = await the_open(inst)
    assert (t.node, t.assignee) == ("archive", p.a("archivist"))
    with pytest.raises(Conflict):
        await approve(rest[0])


async def test_wcp27_35_ratio_cancels_the_rest(p: People) -> None:
    signers = [p.staff("finance", 0), p.staff("office", 0), p.staff("office", 2), p.a("finance_head"), "pat_03"]
    inst = await start(p, "wcp27_ratio", signers=signers)
    votes = await open_tasks(UNIT, inst.id)
    assert len(votes) == 5
    for t in votes[:2]:
        await approve(t)
    assert set(await by_node(inst)) == {"vote"}  # 2 of 5 < 60 %
    await approve(votes[2])  # 3 of 5 = 60 %
    tasks = {t.id: t for t in await tasks_of(inst)}
    assert {(tasks[t.id].state, tasks[t.id].outcome) for t in votes[3:]} == {("cancelled", "not_needed")}
    assert (await the_open(inst)).node == "archive"


# --- WCP 34: static partial join for multiple instances ----------------------------------------------

async def test_wcp34_partial_join_lets_the_rest_sign_on(p: People) -> None:
    signers = [p.staff("finance", 0), p.staff("office", 0), p.staff("office", 2), p.a("finance_head")]
    inst = await start(p, "wcp34_partial", signers=signers)
    votes = await open_tasks(UNIT, inst.id)
    await approve(votes[0])
    await approve(votes[1])  # half of four: the flow goes on
    archive = await the_open(inst)
    assert archive.node == "archive"
    with tenant_scope(UNIT):
        rest = [await Task.get(id=t.id) for t in votes[2:]]
    assert all(t.state == "open" and not t.blocking for t in rest)  # still theirs to sign, holding nothing up
    await approve(rest[0], opinion="补签：同意")
    assert (await path(inst)).count("archive") == 1
    await approve(archive)
    assert await state(inst) == ("completed", "completed")
    with tenant_scope(UNIT):
        late = await Task.get(id=rest[1].id)
    assert (late.state, late.outcome) == ("cancelled", "not_needed")  # no task left that can no longer be acted on


# --- subflow, service set, recursion (WCP 22) ----------------------------------------------------

async def test_subflow_runs_a_child_instance_to_its_end(p: People) -> None:
    me = drafter(p)
    inst = await start(p, "subflow_sequence", amount=321)
    t = await the_open(inst)
    assert (t.node, t.kind, t.assignee) == ("sub", "subflow", me)
    with tenant_scope(UNIT):
        child = await FlowInstance.get(parent_task_id=t.id)
    assert (child.flow, child.state) == ("wcp01_sequence", "running")
    assert (await data_of(child))["amount"] == 321  # the fields both forms share are copied
    for node in ("review", "check", "confirm"):
        c = await the_open(child)
        assert c.node == node
        await approve(c)
    assert await state(child) == ("completed", "completed")
    with tenant_scope(UNIT):
        sub = await Task.get(id=t.id)
    assert (sub.state, sub.outcome) == ("done", "approved")
    a = await the_open(inst)
    assert (a.node, a.assignee) == ("archive", p.a("archivist"))
    await approve(a)
    assert await state(inst) == ("completed", "completed")


async def test_subflow_terminated_child_stops_the_parent(p: People) -> None:
    inst = await start(p, "subflow_sequence")
    sub = await the_open(inst)
    with tenant_scope(UNIT):
        child = await FlowInstance.get(parent_task_id=sub.id)
    await engine.terminate(UNIT, child.id, p.a("office_director"), "事项撤销", admin=True)
    assert await state(child) == ("terminated", "terminated")
    assert await state(inst) == ("terminated", "terminated")  # not completed past a step never done
    assert "archive" not in await path(inst)
    with tenant_scope(UNIT):
        assert "事项撤销" in (await FlowInstance.get(id=inst.id)).end_reason


async def test_wcp20_cancel_case_takes_the_running_subflow_with_it(p: People) -> None:
    inst = await start(p, "subflow_sequence")
    sub = await the_open(inst)
    with tenant_scope(UNIT):
        child = await FlowInstance.get(parent_task_id=sub.id)
    await engine.terminate(UNIT, inst.id, p.a("office_director"), "不再办理", admin=True)
    assert await state(inst) == ("terminated", "terminated")
    assert await state(child) == ("terminated", "terminated")
    assert await open_tasks(UNIT, child.id) == []


@pytest.mark.parametrize(("amount", "size", "node", "post"), [
    (20000, "大额", "leader", "unit_head"),
    (500, "小额", "office", "office_director"),
])
async def test_service_sets_fields_that_a_later_branch_reads(p: People, amount: int, size: str, node: str,
                                                             post: str) -> None:
    inst = await start(p, "service_set", amount=amount, kind="报销", title="差旅费")
    data = await data_of(inst)
    assert (data["size"], data["stamp"]) == (size, "报销·差旅费")
    t = await the_open(inst)
    assert (t.node, t.assignee) == (node, p.a(post))
    await approve(t)
    assert await path(inst) == ["draft", node]
    assert await state(inst) == ("completed", "completed")


@pytest.mark.parametrize("depth", [1, 3])
async def test_wcp22_recursion(p: People, depth: int) -> None:
    me = drafter(p)
    top = await start(p, "wcp22_recursion", depth=depth)
    with tenant_scope(UNIT):
        chain = list(await FlowInstance.all().order_by("id"))
    assert len(chain) == depth and all(i.flow == "wcp22_recursion" for i in chain)
    for inst in reversed(chain):  # the deepest level checks first, then each level above it
        t = await the_open(inst)
        assert (t.node, t.assignee) == ("check", me)
        await approve(t)
        assert await state(inst) == ("completed", "completed")
    assert chain[0].id == top.id
