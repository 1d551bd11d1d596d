"""``banwen calendar`` through click's CliRunner against a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

from click.testing import CliRunner

from runtime.cli import cli


def banwen(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_init_seeds_and_the_commands_show_edit_and_compute(cli_env: dict[str, str]) -> None:
    code, out = banwen(cli_env, "init")
    assert code == 0, out
    code, out = banwen(cli_env, "calendar", "show", "2026-10")
    assert code == 0, out
    lines = out.splitlines()
    assert len(lines) == 31
    assert lines[0].startswith("2026-10-01 周四") and "节假日 holiday" in lines[0] and "国庆节" in lines[0]
    assert "调休上班" in lines[9] and "国庆节" in lines[9]  # Saturday 10-10

    code, out = banwen(cli_env, "calendar", "deadline", "--tenant", "x", "--received", "2026-09-30 16:00", "--working-days", "3")
    assert code == 2 and "x" in out and "Traceback" not in out  # no such unit

    code, out = banwen(cli_env, "calendar", "set", "2026-10-09", "--kind", "holiday", "--name", "台风停工")
    assert code == 0 and "manual" in out, out
    code, out = banwen(cli_env, "calendar", "seed", "--from", "2026", "--to", "2026")
    assert code == 0 and "364" in out, out
    code, out = banwen(cli_env, "calendar", "show", "2026-10")
    assert "台风停工" in out.splitlines()[8] and "手工" in out.splitlines()[8]

    code, out = banwen(cli_env, "calendar", "seed", "--from", "2026", "--to", "2099")
    assert code == 1 and "2099" in out and "chinesecalendar" in out
    code, out = banwen(cli_env, "calendar", "show", "2099-01")
    assert code == 1 and "2099-01-01" in out


def test_deadline_for_a_demo_unit_says_why(cli_env: dict[str, str]) -> None:
    code, out = banwen(cli_env, "init", "--demo", "--units", "2", "--users", "16", "--exchange-units", "1")
    assert code == 0, out
    code, out = banwen(cli_env, "tenant", "list")
    unit = next(line.split()[0] for line in out.splitlines() if line.strip() and not line.startswith(("id", "-", "单位")))
    code, out = banwen(cli_env, "calendar", "deadline", "--tenant", unit, "--received", "2026-09-30 16:00", "--limit", "countersign")
    assert code == 0, out
    assert "2026-10-10 17:30" in out and "countersign" in out and "does not count" in out
    code, out = banwen(cli_env, "calendar", "deadline", "--tenant", unit, "--received", "2026-12-30 10:00", "--working-days", "3")
    assert code == 1 and "2027-01-01" in out
    code, out = banwen(cli_env, "calendar", "deadline", "--tenant", unit, "--received", "2026-11-06 16:30", "--working-hours", "2")
    assert code == 0 and "2026-11-09 09:30" in out, out
