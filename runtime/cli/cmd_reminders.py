"""``banwen reminders sweep``: fire the due warning, due and overdue reminders once, and say what fired."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from runtime.cli.common import echo_json, run
from runtime.settings import Settings
from runtime.timers import reminders


@click.group("reminders")
def reminders_group() -> None:
    """到期提醒（预警、到期、超期）。 / Deadline reminders (warning, due, overdue)."""


@reminders_group.command("sweep")
@click.option("--tenant", default=None, help="只处理此单位（默认全部）/ only this unit (default: all).")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON.")
def sweep(tenant: str | None, as_json: bool) -> None:
    """立即发出所有已到时的提醒（每条只发一次）。 / Fire every reminder that is due now (each only once)."""
    from tenants import store

    async def main(s: Settings) -> dict:
        if tenant:
            await store.get_unit(tenant)  # an unknown unit is an error that names it, not an empty sweep
        return await reminders.fire_due(unit=tenant)

    result = run(main)
    if as_json:
        echo_json(result)
        return
    for line in summary(result):
        click.echo(line)
    if result["errors"]:
        click.get_current_context().exit(1)


def summary(result: Mapping[str, Any]) -> list[str]:
    """Lines saying what a sweep did, Chinese then English (the CLI prints them)."""
    lines = []
    for d in result.get("deadlines") or []:
        lines.append(f"补算期限 / deadline set: {d['unit']} 待办 task #{d['task']} → {d['deadline']}")
    for f in result.get("fired") or []:
        zh, en = reminders.KIND_NAMES[f["kind"]]
        to = "、".join(f["to"]) or "—"
        handed = f"；转 B 角 / handed to B: {f['handed_to']}" if f.get("handed_to") else ""
        lines.append(f"{zh} / {en}: {f['unit']} 待办 task #{f['task']}《{f['title']}》 → {to}{handed}")
    for e in result.get("errors") or []:
        lines.append(f"出错 / failed: {e['unit']} 待办 task #{e['task']}: {e['error']}")
    fired, filled = len(result.get("fired") or []), len(result.get("deadlines") or [])
    lines.append(f"共发出 {fired} 条提醒，补算 {filled} 个期限。/ Fired {fired} reminder(s), set {filled} deadline(s).")
    return lines
