"""``banwen`` through click's CliRunner, against this test's own database."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from clitools import banwen

from runtime.cli import COMMANDS, cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bundles"


@pytest.fixture
def small_city(cli_env: dict[str, str]) -> dict[str, str]:
    r = banwen(cli_env, "init", "--demo", "--units", "6", "--users", "60", "--exchange-units", "4")
    assert r.exit_code == 0, r.output
    return cli_env


def test_help_on_every_command() -> None:
    runner = CliRunner()
    for name in COMMANDS:
        r = runner.invoke(cli, [name, "--help"])
        assert r.exit_code == 0, (name, r.output)
        assert "Usage" in r.output
    for sub in ("list", "export", "import"):
        assert CliRunner().invoke(cli, ["tenant", sub, "--help"]).exit_code == 0


def test_init_demo_prints_logins_and_is_idempotent(small_city: dict[str, str]) -> None:
    r = banwen(small_city, "init", "--demo", "--if-new", "--units", "6", "--users", "60", "--exchange-units", "4")
    assert r.exit_code == 0, r.output
    assert "Banwen@2026" in r.output and "xinyu_swb_01" in r.output
    r = banwen(small_city, "init", "--demo", "--units", "6", "--users", "60")
    assert r.exit_code == 1 and "already has 6 units" in r.output


def test_init_demo_files_the_appointments_and_grants_the_platform_roles(small_city: dict[str, str], settings) -> None:
    from rbac.appointments import filed_holders, list_for_unit
    from runtime import db
    from tenants.demo import plan_city

    plan = plan_city(6, 60, 4)

    async def read() -> list:
        await db.connect(settings)
        try:
            return [(await filed_holders(u.id), await list_for_unit(u.id)) for u in plan.units]
        finally:
            await db.close()

    for u, (holders, rows) in zip(plan.units, asyncio.run(read()), strict=True):
        assert holders == {post: [login] for post, login in u.appointments}
        onboarded = {(a.state, a.submitted_by, a.history[0]["opinion"]) for a in rows}
        assert onboarded == {("filed", "demo", "初始化时备案 / filed at onboarding")}
    grants = json.loads(banwen(small_city, "platform", "list", "--json").output)
    assert sorted((g["login"], g["role"]) for g in grants) == sorted(plan.platform_grants)
    r = banwen(small_city, "init", "--demo", "--if-new", "--units", "6", "--users", "60", "--exchange-units", "4")
    for login, _ in plan.platform_grants:
        assert login in r.output
    assert "备案员" in r.output and "系统管理员" in r.output
    r = banwen(small_city, "audit", "verify", "--format", "json")
    assert r.exit_code == 0, r.output


def test_tenant_list_as_json(small_city: dict[str, str]) -> None:
    r = banwen(small_city, "tenant", "list", "--format", "json")
    rows = json.loads(r.output)
    assert len(rows) == 6 and sum(x["users"] for x in rows) == 60
    assert {x["version"] for x in rows} == {1}


def test_export_edit_import_publish_diff_round_trip(small_city: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "unit"
    unit = "xinyu_szf"
    assert banwen(small_city, "tenant", "export", unit, str(folder)).exit_code == 0
    text = (folder / "unit.yaml").read_text(encoding="utf-8")
    (folder / "unit.yaml").write_text(text.replace("exchange_unit: true", "exchange_unit: false"), encoding="utf-8")
    r = banwen(small_city, "tenant", "import", str(folder), "--as", "xinyu_szf_02")
    assert r.exit_code == 0, r.output
    r = banwen(small_city, "publish", unit, "-m", "退出公文交换", "--as", "xinyu_szf_02")
    assert r.exit_code == 0 and "version 2" in r.output
    r = banwen(small_city, "versions", unit, "--format", "json")
    versions = json.loads(r.output)
    assert [(v["number"], v["author"]) for v in versions] == [(1, "demo"), (2, "xinyu_szf_02")]
    r = banwen(small_city, "diff", unit, "1", "2")
    assert r.exit_code == 0
    assert "/exchange_unit: true → false" in r.output
    r = banwen(small_city, "diff", unit, "1", "2", "--format", "json")
    change = json.loads(r.output)["changes"][0]
    assert (change["area"], change["path"], change["old"], change["new"]) == ("unit", "/exchange_unit", True, False)
    again = tmp_path / "again"
    assert banwen(small_city, "tenant", "export", unit, str(again)).exit_code == 0
    assert (again / "unit.yaml").read_bytes() == (folder / "unit.yaml").read_bytes()
    r = banwen(small_city, "tenant", "export", unit, str(again))
    assert r.exit_code == 1 and "--force" in r.output


def test_bad_input_gets_one_clear_message(small_city: dict[str, str], tmp_path: Path) -> None:
    cases = [
        (["diff", "no_such_unit", "1", "2"], 2, "does not exist"),
        (["diff", "xinyu_szf", "1", "9"], 2, "no version 9"),
        (["diff", "xinyu_szf", "one", "2"], 2, "not a version number"),
        (["publish", "xinyu_szf", "-m", "x"], 2, "has no draft"),
        (["tenant", "export", "nowhere", str(tmp_path / "x")], 2, "does not exist"),
    ]
    for args, code, text in cases:
        r = banwen(small_city, *args)
        assert r.exit_code == code, (args, r.output)
        assert text in r.output and "Traceback" not in r.output


def test_import_of_a_broken_bundle_changes_nothing(small_city: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "unit"
    banwen(small_city, "tenant", "export", "xinyu_szf", str(folder))
    (folder / "org.yaml").write_text("format_version: 1\nposts: [{id: x, name: y, a_holder: ghost}]\n", "utf-8")
    r = banwen(small_city, "tenant", "import", str(folder))
    assert r.exit_code == 1
    assert "ghost" in r.output and "org.yaml" in r.output
    r = banwen(small_city, "tenant", "export", "xinyu_szf", str(tmp_path / "d"), "--draft")
    assert r.exit_code == 2 and "no draft" in r.output


def test_import_creates_a_new_unit(small_city: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "new"
    shutil.copytree(FIXTURES / "valid_unit", folder)
    # users of a brand-new unit do not exist yet: strip them from org.yaml
    (folder / "org.yaml").write_text("format_version: 1\ndepartments:\n  - {id: office, name: 综合办公室}\n", "utf-8")
    text = (folder / "unit.yaml").read_text(encoding="utf-8").replace("parent: null", "parent: xinyu_szf")
    (folder / "unit.yaml").write_text(text, encoding="utf-8")
    r = banwen(small_city, "tenant", "import", str(folder), "--publish", "新单位上线")
    assert r.exit_code == 0, r.output
    rows = json.loads(banwen(small_city, "tenant", "list", "--format", "json").output)
    new = next(x for x in rows if x["id"] == "test_bureau")
    assert (new["parent"], new["version"], new["level"]) == ("xinyu_szf", 1, "县区")


def test_commands_need_an_initialised_database(cli_env: dict[str, str]) -> None:
    r = banwen(cli_env, "tenant", "list")
    assert r.exit_code == 2 and "banwen init" in r.output


def test_full_demo_city_in_under_a_minute(cli_env: dict[str, str]) -> None:
    started = time.perf_counter()
    r = banwen(cli_env, "init", "--demo")
    elapsed = time.perf_counter() - started
    assert r.exit_code == 0, r.output
    assert "375 units, 8165 users" in r.output
    assert elapsed < 60, f"init --demo took {elapsed:.1f} s"
    rows = json.loads(banwen(cli_env, "tenant", "list", "--format", "json").output)
    assert len(rows) == 375 and sum(x["users"] for x in rows) == 8165
    assert sum(1 for x in rows if x["exchange_unit"]) == 269
    levels = {x["level"] for x in rows}
    assert levels == {"市", "县区", "乡镇"}


def test_export_force_leaves_exactly_the_exported_bundle(small_city: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "unit"
    banwen(small_city, "tenant", "export", "xinyu_szf", str(folder))
    (folder / "calendar.yaml").write_text("format_version: 1\n", encoding="utf-8")
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert banwen(small_city, "tenant", "export", "xinyu_szf", str(folder), "--force").exit_code == 0
    assert not (folder / "calendar.yaml").exists()
    assert (folder / "notes.txt").exists()  # not a bundle file: left alone
