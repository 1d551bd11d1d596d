"""The hash-chained audit trail (tenants.audit), on SQLite and PostgreSQL.

Tampering is done the way an intruder with database access would: plain SQL on ``audit_event``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from tenants import audit, store
from tenants.bundle import BundleSource, read_folder
from tenants.demo import plan_city
from tenants.errors import BanwenError, Conflict, NotFound
from tenants.models import AuditEvent, ImmutableEvent
from tenants.scope import platform_scope, tenant_scope

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bundles"
# Values whose JSON must read back identically from SQLite JSON and PostgreSQL JSONB.
AWKWARD = {"z": 1, "a": [3, 1.5, 0.1, 1e16, 1.0], "中文键": "值\u00e9\u0000", "when": date(2026, 3, 1),
           "nested": {"b": {"y": None, "x": True}, "a": "🙂"}, "at": datetime(2026, 3, 1, 8, 0, tzinfo=UTC)}


async def city(units: int = 2) -> list[str]:
    plan = plan_city(units=units, users=units * 8, exchange_units=1)
    batch = [store.NewUnit(u.unit_doc(), BundleSource(u.id, u.files()), u.users) for u in plan.units]
    await store.create_units(batch, author="demo", message="v1", password_hash="x")
    return [u.id for u in plan.units]


async def add(unit: str, n: int, *, actor: str = "alice", start: int = 0) -> None:
    for i in range(start, start + n):
        async with in_transaction():
            await audit.record(f"appointment:{i}", "submit" if i % 2 else "approve", tenant=unit, actor=actor,
                               before={"state": "running", "i": i}, after={"state": "filed", "i": i, "data": AWKWARD})


async def sql(statement: str, *params: Any) -> list[dict[str, Any]]:
    """Run ``statement`` (``?`` placeholders) as is, bypassing the ORM: what an intruder would do."""
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "postgres":
        parts = statement.split("?")
        statement = parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], start=1))
    return await conn.execute_query_dict(statement, list(params))


def city_time(at: datetime) -> datetime:
    """A time as the ORM writes it (its zone is Asia/Shanghai); a bulk ``update()`` does not convert."""
    return at.astimezone(audit.CITY_TZ)


async def event_id(unit: str, seq: int) -> int:
    return (await sql("SELECT id FROM audit_event WHERE tenant_id = ? AND seq = ?", unit, seq))[0]["id"]


async def chain(unit: str) -> list[dict[str, Any]]:
    events, _ = await audit.query(unit, limit=1000)
    return list(reversed(events))


async def only_problem(unit: str) -> audit.Problem:
    report = await audit.verify(unit)
    assert not report.ok
    problem = report.chains[0].problem
    assert problem is not None
    return problem


async def test_a_chain_of_events_verifies_after_the_round_trip(database) -> None:
    unit = (await city())[0]
    with audit.actor_context("bob", acting_for="alice", client="10.1.2.3"):
        await add(unit, 6, actor="bob")
    report = await audit.verify(unit)
    assert report.ok, report.as_json()
    assert report.chains[0].events == 7  # the unit's creation and six more
    events = await chain(unit)
    assert [e["seq"] for e in events] == list(range(1, 8))
    assert events[0]["prev_hash"] == audit.GENESIS
    for prev, e in itertools.pairwise(events):
        assert e["prev_hash"] == prev["hash"]
    for e in events:  # the hash is reproducible from what was read back, on either database
        assert audit.event_hash(e) == e["hash"]
    last = events[-1]
    assert (last["actor"], last["acting_for"], last["client"]) == ("bob", "alice", "10.1.2.3")
    data = last["after"]["data"]
    assert data["when"] == "2026-03-01" and data["a"] == [3, 1.5, 0.1, 10**16, 1]
    assert data["中文键"] == "值é\ufffd" and data["nested"]["a"] == "🙂"
    assert report.chains[0].head_hash == last["hash"] and report.chains[0].head_seq == 7
    assert datetime.fromisoformat(last["at"]).utcoffset() == timedelta(hours=8)


async def test_events_cannot_be_changed_or_deleted_through_the_orm(database) -> None:
    unit = (await city())[0]
    with tenant_scope(unit):
        event = await AuditEvent.filter().first()
        assert event is not None
        event.actor = "mallory"
        with pytest.raises(ImmutableEvent):
            await event.save()
        with pytest.raises(ImmutableEvent):
            await event.delete()


async def test_store_writes_record_events_in_their_transaction(database) -> None:
    unit = (await city())[0]
    v1 = store.version_source(unit, await store.get_version(unit))
    draft = await store.save_draft(unit, v1, "alice")
    source = BundleSource(v1.label, {**v1.files, "unit.yaml": v1.files["unit.yaml"] + "# 改\n"})
    await store.save_draft(unit, source, "bob", expected_revision=draft.revision)
    with pytest.raises(Conflict):  # a refused draft save records nothing
        await store.save_draft(unit, v1, "carol", expected_revision=draft.revision)
    info = await store.publish(unit, "bob", "加注释")
    with pytest.raises(Conflict):  # nothing to publish: no event either
        await store.publish(unit, "bob", "again")
    events = await chain(unit)
    assert [(e["object"], e["action"], e["actor"]) for e in events] == [
        ("unit", "create", "demo"), ("bundle:draft", "save", "alice"), ("bundle:draft", "save", "bob"),
        ("bundle", "publish", "bob")]
    assert events[0]["after"]["id"] == unit
    assert events[1]["before"] == {"revision": None} and events[1]["after"]["revision"] == 1
    assert events[2]["before"] == {"revision": 1} and events[2]["after"] == {"revision": 2,
                                                                           "content_hash": source.content_hash()}
    assert events[3]["after"] == {"number": info.number, "content_hash": info.content_hash, "message": "加注释"}
    assert (await audit.verify(unit)).ok


async def test_a_new_unit_from_a_fixture_bundle_is_recorded_as_its_author(database, tmp_path: Path) -> None:
    parent = (await city())[0]
    folder = tmp_path / "new"
    shutil.copytree(FIXTURES / "valid_unit", folder)
    (folder / "org.yaml").write_text("format_version: 1\ndepartments:\n  - {id: office, name: 综合办公室}\n", "utf-8")
    text = (folder / "unit.yaml").read_text(encoding="utf-8").replace("parent: null", f"parent: {parent}")
    (folder / "unit.yaml").write_text(text, encoding="utf-8")
    source = read_folder(folder)
    with audit.actor_context("cli:ops", client="cli"):
        await store.create_unit({"id": "test_bureau", "name": "测试局", "parent": parent, "level": "县区"}, author="ops")
        await store.save_draft("test_bureau", source, "ops")
    events = await chain("test_bureau")
    assert [(e["object"], e["action"], e["actor"], e["client"]) for e in events] == [
        ("unit", "create", "ops", "cli"), ("bundle:draft", "save", "ops", "cli")]


async def test_record_refuses_without_actor_or_unit_and_rolls_back_with_the_caller(database) -> None:
    unit = (await city())[0]
    with pytest.raises(audit.EventRefused) as info:
        await audit.record("x", "y", tenant=unit)
    assert "actor" in info.value.en and "操作人" in info.value.zh
    with audit.actor_context("alice"), pytest.raises(audit.EventRefused):
        await audit.record("x", "y")  # no scope, no tenant
    with audit.actor_context("alice"), pytest.raises(NotFound):
        await audit.record("x", "y", tenant="no_such_unit")
    with pytest.raises(audit.EventRefused):
        await audit.record("x" * 201, "y", tenant=unit, actor="alice")
    with audit.actor_context("alice"), tenant_scope(unit):
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await audit.record("user:alice", "login")
                raise RuntimeError("the change fails after its event was written")
        event = await audit.record("user:alice", "login")  # the scope gives the unit, the context the actor
    assert (event.seq, event.actor, event.tenant_id) == (2, "alice", unit)
    assert [e["seq"] for e in await chain(unit)] == [1, 2]


async def test_an_edited_row_is_named_as_altered(database) -> None:
    unit = (await city())[0]
    await add(unit, 4)
    victim = await event_id(unit, 3)
    await sql("UPDATE audit_event SET after = ? WHERE id = ?", json.dumps({"state": "rejected"}), victim)
    problem = await only_problem(unit)
    assert (problem.kind, problem.unit, problem.seq, problem.event_id) == ("altered", unit, 3, victim)
    assert f"#3 (id {victim}," in problem.en and "altered" in problem.en
    assert f"第 3 条审计事件（事件 {victim}，" in problem.zh and "篡改" in problem.zh
    # a second, earlier edit: the walk names the first break in the chain
    await sql("UPDATE audit_event SET after = ? WHERE id = ?", json.dumps({"data": {}}), await event_id(unit, 1))
    assert (await only_problem(unit)).seq == 1


async def test_a_deleted_middle_row_is_a_gap(database) -> None:
    unit = (await city())[0]
    await add(unit, 5)
    await sql("DELETE FROM audit_event WHERE id = ?", await event_id(unit, 3))
    problem = await only_problem(unit)
    following = await event_id(unit, 4)
    assert (problem.kind, problem.seq, problem.event_id) == ("deleted", 4, following)
    assert "#3 were deleted" in problem.en and "第 3 条审计事件已被删除" in problem.zh
    # the first event deleted: the chain no longer starts at the beginning
    await sql("DELETE FROM audit_event WHERE id = ?", await event_id(unit, 1))
    problem = await only_problem(unit)
    assert (problem.kind, problem.seq) == ("deleted", 2)


async def test_deleting_the_newest_rows_shows_only_in_the_head(database) -> None:
    """The documented limit: a chain cut at its end is still a valid chain; only its head moved."""
    unit = (await city())[0]
    await add(unit, 3)
    before = (await audit.verify(unit)).chains[0]
    await sql("DELETE FROM audit_event WHERE id = ?", await event_id(unit, 4))
    after = (await audit.verify(unit)).chains[0]
    assert after.ok
    assert (before.head_seq, after.head_seq) == (4, 3) and before.head_hash != after.head_hash


async def _make_room(unit: str, seq: int) -> None:
    """Shift events ``seq``… one place up, in two steps so the unique (tenant, seq) never clashes."""
    await sql("UPDATE audit_event SET seq = -seq WHERE tenant_id = ? AND seq >= ?", unit, seq)
    await sql("UPDATE audit_event SET seq = 1 - seq WHERE tenant_id = ? AND seq < 0", unit)


async def _forge(unit: str, seq: int, prev_hash: str, copy_time_of: int) -> int:
    await sql("INSERT INTO audit_event (tenant_id, seq, at, actor, acting_for, object, action, before, after, client, "
              "prev_hash, hash) SELECT tenant_id, ?, at, 'mallory', NULL, 'user:mallory', 'grant', NULL, ?, NULL, ?, ? "
              "FROM audit_event WHERE id = ?", seq, json.dumps({"role": "sys_admin"}), prev_hash, "f" * 64, copy_time_of)
    return await event_id(unit, seq)


async def test_a_forged_row_slipped_into_the_middle_is_named_as_inserted(database) -> None:
    unit = (await city())[0]
    await add(unit, 5)
    events = await chain(unit)
    await _make_room(unit, 3)
    forged = await _forge(unit, 3, "bad" + "0" * 61, events[1]["id"])  # a clumsy forgery
    problem = await only_problem(unit)
    assert (problem.kind, problem.seq, problem.event_id) == ("inserted", 3, forged)
    assert "was inserted" in problem.en and "插入" in problem.zh


async def test_a_careful_forgery_with_its_own_valid_hash_is_still_named(database) -> None:
    unit = (await city())[0]
    await add(unit, 5)
    events = await chain(unit)
    await _make_room(unit, 3)
    forged = await _forge(unit, 3, events[1]["hash"], events[1]["id"])
    row = next(e for e in await chain(unit) if e["id"] == forged)
    await sql("UPDATE audit_event SET hash = ? WHERE id = ?", audit.event_hash(row), forged)
    problem = await only_problem(unit)
    assert (problem.kind, problem.seq, problem.event_id) == ("inserted", 3, forged)


def test_a_second_event_at_one_position_is_named_as_inserted() -> None:
    """The unique (tenant, seq) prevents this in the database; the walk still names it (pure)."""
    at = datetime(2026, 3, 1, tzinfo=UTC)
    rows = []
    prev = audit.GENESIS
    for seq in (1, 2):
        row = {"id": seq, "unit": "u", "seq": seq, "at": at, "actor": "a", "acting_for": None, "object": "o",
               "action": "x", "before": None, "after": {"n": seq}, "client": None, "prev_hash": prev}
        row["hash"] = prev = audit.event_hash(row)
        rows.append(row)
    twin = {**rows[1], "id": 9, "after": {"n": "forged"}}
    twin["hash"] = audit.event_hash(twin)
    walk = audit.ChainWalk("u")
    for row in (*rows, twin):
        walk.feed(row)
    report = walk.finish()
    assert report.events == 3 and report.problem is not None
    assert (report.problem.kind, report.problem.seq, report.problem.event_id) == ("inserted", 2, 9)


async def test_chains_of_two_units_are_independent(database) -> None:
    a, b = await city()
    await add(a, 3)
    await add(b, 2)
    assert [e["seq"] for e in await chain(a)] == [1, 2, 3, 4]
    assert [e["seq"] for e in await chain(b)] == [1, 2, 3]
    await sql("UPDATE audit_event SET actor = ? WHERE id = ?", "mallory", await event_id(a, 2))
    report = await audit.verify()
    assert {c.unit: c.ok for c in report.chains} == {a: False, b: True}
    assert report.events == 7 and [c.unit for c in report.broken] == [a]
    assert report.as_json()["chains"][0]["problem"]["kind"] == "altered"
    with pytest.raises(NotFound):
        await audit.verify("no_such_unit")


async def test_concurrent_records_give_one_contiguous_chain(database) -> None:
    unit = (await city())[0]

    async def one(i: int) -> None:
        async with in_transaction():
            await audit.record(f"task:{i}", "complete", tenant=unit, actor=f"user{i}", after={"i": i})

    await asyncio.gather(*(one(i) for i in range(20)))
    events = await chain(unit)
    assert [e["seq"] for e in events] == list(range(1, 22))
    assert sorted(e["after"]["i"] for e in events[1:]) == list(range(20))
    assert (await audit.verify(unit)).ok


async def test_record_many_appends_to_existing_chains(database) -> None:
    a, b = await city()
    await add(a, 2)
    n = await audit.record_many([audit.Event("notice", "send", tenant=u, actor="system", after={"k": k})
                                 for k, u in enumerate([a, b, a])])
    assert n == 3
    assert [e["seq"] for e in await chain(a)] == [1, 2, 3, 4, 5]
    assert [e["after"] for e in await chain(b)][-1] == {"k": 1}
    assert (await audit.verify()).ok


async def test_query_filters_and_pages_newest_first(database) -> None:
    a, b = await city()
    await add(a, 6, actor="alice")
    await add(a, 2, actor="bob", start=6)
    await add(b, 1, actor="alice")
    events, total = await audit.query(a, actor="alice")
    assert total == 6 and [e["seq"] for e in events] == [7, 6, 5, 4, 3, 2]
    assert (await audit.query(a, action="submit"))[1] == 4
    assert [e["object"] for e in (await audit.query(a, obj="appointment:3"))[0]] == ["appointment:3"]
    assert (await audit.query(a, obj="appointment:*"))[1] == 8
    assert (await audit.query(a, obj="appointment:"))[1] == 8
    assert (await audit.query(a, obj="appointment"))[1] == 0  # exact unless it ends in ':' or '*'
    page, total = await audit.query(a, limit=3, offset=3)
    assert total == 9 and [e["seq"] for e in page] == [6, 5, 4]
    everyone, total = await audit.query(None, actor="alice")
    assert total == 7 and {e["unit"] for e in everyone} == {a, b}
    json.dumps(everyone)  # ready for the JSON API as it is
    with tenant_scope(a):
        await AuditEvent.filter(seq__lte=4).update(at=city_time(datetime(2026, 3, 1, 10, tzinfo=UTC)))
    assert (await audit.query(a, until=datetime(2026, 3, 1, 10, tzinfo=UTC)))[1] == 4  # inclusive
    assert (await audit.query(a, since=datetime(2026, 3, 1, 10, 0, 0, 1, tzinfo=UTC)))[1] == 5
    assert (await audit.query(a, until=datetime(2026, 3, 1, 17, 59)))[1] == 0  # naive: city time, 09:59 UTC
    with pytest.raises(BanwenError):
        await audit.query(a, limit=0)
    with pytest.raises(NotFound):
        await audit.query("no_such_unit")


async def _spread_over_days(unit: str) -> None:
    """Events 2–3 on 1 March (city time), 4–5 on 2 March; the boundary is 16:00 UTC."""
    with platform_scope():
        for seq, at in ((2, datetime(2026, 2, 28, 16, 0, tzinfo=UTC)), (3, datetime(2026, 3, 1, 15, 59, 59, 999999, tzinfo=UTC)),
                        (4, datetime(2026, 3, 1, 16, 0, tzinfo=UTC)), (5, datetime(2026, 3, 2, 15, 0, tzinfo=UTC))):
            await AuditEvent.filter(tenant_id=unit, seq=seq).update(at=city_time(at))


async def test_export_jsonl_is_one_verifiable_event_per_line(database, tmp_path: Path) -> None:
    unit = (await city())[0]
    await add(unit, 3)
    out = tmp_path / "audit.jsonl"
    assert await audit.export(unit, None, None, out) == 4
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["seq"] for x in lines] == [1, 2, 3, 4]
    assert all(audit.event_hash(x) == x["hash"] for x in lines)
    assert lines[1]["prev_hash"] == lines[0]["hash"]
    await add(unit, 2, start=3)
    await _spread_over_days(unit)
    assert await audit.export(unit, date(2026, 3, 2), date(2026, 3, 2), out) == 2
    assert [json.loads(x)["seq"] for x in out.read_text(encoding="utf-8").splitlines()] == [4, 5]
    assert await audit.export(unit, date(2026, 3, 1), date(2026, 3, 1), out) == 2
    assert await audit.export(unit, None, date(2026, 3, 2), out) == 4
    assert not (tmp_path / "audit.jsonl.part").exists()


async def test_export_xlsx_has_bilingual_frozen_headers_and_text_cells(database, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    unit = (await city())[0]
    await audit.record("user:=cmd()", "login", tenant=unit, actor="=HYPERLINK(\"x\")", after={"note": "第一行\n第二行"})
    out = tmp_path / "audit.xlsx"
    assert await audit.export(unit, None, None, out) == 2
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "时间（北京时间）", "操作人") and rows[1][:3] == ("Seq", "Time (UTC+8)", "Actor")
    assert ws["A1"].font.b and ws["A2"].font.b and ws.freeze_panes == "A3"
    assert ws.column_dimensions["G"].width >= 30
    assert len(rows) == 4 and rows[3][0] == 2
    assert isinstance(rows[3][1], datetime)
    assert rows[3][2] == "=HYPERLINK(\"x\")" and ws.cell(4, 3).data_type == "s"  # never a formula
    assert json.loads(rows[3][7]) == {"note": "第一行\n第二行"}


async def test_export_refuses_bad_requests_clearly(database, tmp_path: Path) -> None:
    unit = (await city())[0]
    with pytest.raises(BanwenError) as info:
        await audit.export(unit, None, None, tmp_path / "audit.csv")
    assert ".xlsx or .jsonl" in info.value.en
    with pytest.raises(BanwenError) as info:
        await audit.export(unit, date(2026, 3, 2), date(2026, 3, 1), tmp_path / "a.jsonl")
    assert "after the end date" in info.value.en
    with pytest.raises(NotFound):
        await audit.export("no_such_unit", None, None, tmp_path / "a.jsonl")
    assert not list(tmp_path.glob("a*"))


async def test_verify_reads_long_chains_in_batches(database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A forgery whose neighbour lies in the next batch is judged the same as within one batch."""
    unit = (await city())[0]
    await add(unit, 7)
    monkeypatch.setattr(audit, "BATCH", 3)
    report = await audit.verify(unit)
    assert report.ok and report.chains[0].events == 8 and report.chains[0].head_seq == 8
    events = await chain(unit)
    await _make_room(unit, 3)
    forged = await _forge(unit, 3, "bad" + "0" * 61, events[1]["id"])
    problem = await only_problem(unit)
    assert (problem.kind, problem.seq, problem.event_id) == ("inserted", 3, forged)
    assert (await audit.verify(unit)).chains[0].events == 9
