"""``banwen audit verify | export`` through click's CliRunner, on data made by real commands."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from clitools import banwen
from tortoise import Tortoise

from runtime import db
from runtime.settings import Settings

UNIT = "xinyu_szf"


def sql(settings: Settings, statement: str, *params: Any) -> list[dict[str, Any]]:
    """Run one statement (``?`` placeholders) straight on the database, as an intruder would."""

    async def main() -> list[dict[str, Any]]:
        await db.connect(settings)
        try:
            conn = Tortoise.get_connection("default")
            text = statement
            if conn.capabilities.dialect == "postgres":
                parts = statement.split("?")
                text = parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], start=1))
            return await conn.execute_query_dict(text, list(params))
        finally:
            await db.close()

    return asyncio.run(main())


def event(settings: Settings, seq: int) -> dict[str, Any]:
    return sql(settings, "SELECT id, object, action, actor FROM audit_event WHERE tenant_id = ? AND seq = ?", UNIT, seq)[0]


@pytest.fixture
def audited_city(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Three demo units; one of them re-imported and published by its administrator."""
    r = banwen(cli_env, "init", "--demo", "--units", "3", "--users", "30")
    assert r.exit_code == 0, r.output
    folder = tmp_path / "unit"
    assert banwen(cli_env, "tenant", "export", UNIT, str(folder)).exit_code == 0
    text = (folder / "unit.yaml").read_text(encoding="utf-8")
    (folder / "unit.yaml").write_text(text.replace("exchange_unit: true", "exchange_unit: false"), encoding="utf-8")
    r = banwen(cli_env, "tenant", "import", str(folder), "--as", "xinyu_szf_02")
    assert r.exit_code == 0, r.output
    r = banwen(cli_env, "publish", UNIT, "-m", "退出公文交换", "--as", "xinyu_szf_02")
    assert r.exit_code == 0, r.output
    return cli_env


def _seq_of(settings: Settings, obj: str, action: str) -> int:
    rows = sql(settings, "SELECT seq FROM audit_event WHERE tenant_id = ? AND object = ? AND action = ?", UNIT, obj, action)
    assert len(rows) == 1
    return rows[0]["seq"]


def test_verify_passes_then_names_an_edited_event(audited_city: dict[str, str], settings: Settings) -> None:
    r = banwen(audited_city, "audit", "verify")
    assert r.exit_code == 0, r.output
    assert "Audit trail intact: 3 unit(s)" in r.output
    r = banwen(audited_city, "audit", "verify", "--tenant", UNIT)
    assert r.exit_code == 0 and r.output.startswith(f"{UNIT}：完好") and "intact" in r.output
    seq = _seq_of(settings, "bundle:draft", "save")
    victim = event(settings, seq)
    assert victim["actor"] == "xinyu_szf_02"
    sql(settings, "UPDATE audit_event SET actor = ? WHERE id = ?", "someone_else", victim["id"])
    for args in (["audit", "verify"], ["audit", "verify", "--tenant", UNIT]):
        r = banwen(audited_city, *args)
        assert r.exit_code == 1, r.output
        assert f"{UNIT} #{seq} id={victim['id']} altered" in r.output
        assert "was altered" in r.output and "篡改" in r.output and "Traceback" not in r.output
    r = banwen(audited_city, "audit", "verify", "--format", "json")
    report = json.loads(r.stdout)
    broken = [c for c in report["chains"] if not c["ok"]]
    assert [(c["unit"], c["problem"]["event_id"]) for c in broken] == [(UNIT, victim["id"])]


def test_verify_names_the_event_after_a_deleted_one(audited_city: dict[str, str], settings: Settings) -> None:
    seq = _seq_of(settings, "bundle:draft", "save")
    following = event(settings, seq + 1)
    sql(settings, "DELETE FROM audit_event WHERE id = ?", event(settings, seq)["id"])
    r = banwen(audited_city, "audit", "verify")
    assert r.exit_code == 1, r.output
    assert f"{UNIT} #{seq + 1} id={following['id']} deleted" in r.output
    assert f"#{seq} were deleted" in r.output


def test_verify_of_an_unknown_unit_exits_2(audited_city: dict[str, str]) -> None:
    r = banwen(audited_city, "audit", "verify", "--tenant", "no_such_unit")
    assert r.exit_code == 2 and "does not exist" in r.output


def test_export_writes_xlsx_and_jsonl(audited_city: dict[str, str], settings: Settings, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from tenants.audit import event_hash

    total = sql(settings, "SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ?", UNIT)[0]["n"]
    out = tmp_path / "audit.jsonl"
    r = banwen(audited_city, "audit", "export", "--tenant", UNIT, str(out))
    assert r.exit_code == 0, r.output
    assert f"exported {total} event(s)" in r.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == total and all(event_hash(x) == x["hash"] for x in lines)
    assert ("bundle", "publish", "xinyu_szf_02") in {(x["object"], x["action"], x["actor"]) for x in lines}
    book = tmp_path / "audit.xlsx"
    r = banwen(audited_city, "audit", "export", "--tenant", UNIT, "--from", "2000-01-01", "--to", "2999-12-31", str(book))
    assert r.exit_code == 0 and f"exported {total} event(s)" in r.output
    rows = list(load_workbook(book).active.iter_rows(values_only=True))
    assert rows[0][0] == "序号" and rows[1][0] == "Seq" and len(rows) == total + 2
    r = banwen(audited_city, "audit", "export", "--tenant", UNIT, "--to", "2000-01-01", str(out))
    assert r.exit_code == 0 and "exported 0 event(s)" in r.output


def test_export_refuses_bad_input_clearly(audited_city: dict[str, str], tmp_path: Path) -> None:
    cases = [
        (["--from", "2026-13-01"], "a.jsonl", 2, "not a date"),
        (["--from", "2026-03-02", "--to", "2026-03-01"], "a.jsonl", 2, "is after"),
        ([], "a.csv", 2, ".xlsx or .jsonl"),
    ]
    for extra, name, code, text in cases:
        r = banwen(audited_city, "audit", "export", "--tenant", UNIT, *extra, str(tmp_path / name))
        assert r.exit_code == code, (extra, r.output)
        assert text in r.output and "Traceback" not in r.output
    r = banwen(audited_city, "audit", "export", "--tenant", "no_such_unit", str(tmp_path / "a.jsonl"))
    assert r.exit_code == 2 and "does not exist" in r.output
    assert not list(tmp_path.glob("a.*"))


def test_heads_noted_outside_the_database_reveal_removed_newest_events(audited_city: dict[str, str], settings: Settings,
                                                                        tmp_path: Path) -> None:
    noted = banwen(audited_city, "audit", "verify", "--format", "json")
    assert noted.exit_code == 0
    heads = tmp_path / "heads.json"
    heads.write_text(noted.output, encoding="utf-8")
    head = next(c for c in json.loads(noted.output)["chains"] if c["unit"] == UNIT)
    sql(settings, "DELETE FROM audit_event WHERE tenant_id = ? AND seq = ?", UNIT, head["head_seq"])
    assert banwen(audited_city, "audit", "verify").exit_code == 0  # the shorter chain is still a valid chain
    r = banwen(audited_city, "audit", "verify", "--against", str(heads))
    assert r.exit_code == 1
    assert f"{UNIT} #{head['head_seq']} head" in r.output and "已不存在" in r.output
    bad = tmp_path / "not-heads.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    r = banwen(audited_city, "audit", "verify", "--against", str(bad))
    assert r.exit_code == 2 and "--against" in r.output


async def test_the_nightly_job_notes_every_head_in_the_data_folder(database: Settings, tmp_path: Path) -> None:
    from runtime.jobs import Jobs, LoopRunner, create_huey

    folder = tmp_path / "audit-heads"
    jobs = Jobs(create_huey(database, immediate=True), LoopRunner(asyncio.get_running_loop(), timeout=60),
                heads_dir=folder)
    await asyncio.to_thread(jobs._nightly)  # what the 03:00 periodic task runs
    written = list(folder.glob("heads-*.json"))
    assert len(written) == 1 and json.loads(written[0].read_text(encoding="utf-8"))["ok"] is True
