"""``banwen audit verify | export``: check the hash chains, hand the events to an auditor.

``verify`` exits 0 when every chain is intact, 1 naming the first bad event of each broken chain,
2 for an unknown unit — so a nightly cron job can alert on the exit code alone.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from runtime.cli.common import echo_json, run
from runtime.settings import Settings
from tenants import audit


@click.group("audit")
def audit_group() -> None:
    """审计记录：校验哈希链、导出。 / The audit trail: verify the hash chains, export."""


@audit_group.command("verify")
@click.option("--tenant", "unit_id", help="只校验此单位（默认全部）/ only this unit (default: all).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--against", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="与此前保存的 verify --format json 输出（或夜间记录的 heads-*.json）对比链头 / "
                   "compare with heads saved earlier (verify --format json output, or a nightly heads-*.json).")
def verify(unit_id: str | None, fmt: str, against: Path | None) -> None:
    """校验审计记录的哈希链是否完好。 / Verify that the audit hash chains are intact.

    末条事件的序号与哈希请另行保存：删除最新的事件只有与之对比才能发现。
    Keep the printed head (seq and hash) elsewhere: only comparing with it reveals removed newest events.
    """

    noted: list[dict] = []
    if against is not None:
        try:
            noted = [c for c in json.loads(against.read_text(encoding="utf-8"))["chains"]
                     if unit_id is None or c.get("unit") == unit_id]
        except (ValueError, KeyError, TypeError):
            raise click.BadParameter(f"{against} 不是 verify --format json 的输出 / is not verify --format json output",
                                     param_hint="--against") from None

    async def main(s: Settings) -> tuple[audit.VerifyReport, list[audit.HeadMismatch]]:
        return await audit.verify(unit_id), await audit.check_heads(noted)

    report, moved = run(main)
    for m in moved:  # reported first; the chains' own problems follow, then the exit status says both
        click.echo(f"{m.unit} #{m.seq} head\n  {m.zh}\n  {m.en}", err=True)
    if fmt == "json":
        echo_json(report.as_json())
    elif unit_id is not None or not report.ok:
        for chain in report.chains if unit_id is not None else report.broken:
            if chain.problem is None:
                click.echo(f"{chain.unit}：完好，{chain.events} 条事件，末条 #{chain.head_seq} {chain.head_hash}"
                           f" / intact, {chain.events} event(s), head #{chain.head_seq} {chain.head_hash}")
            else:
                p = chain.problem
                click.echo(f"{chain.unit} #{p.seq} id={p.event_id} {p.kind}\n  {p.zh}\n  {p.en}")
    if report.ok:
        if moved:
            raise click.exceptions.Exit(1)
        if unit_id is None and fmt == "text":
            click.echo(f"审计记录完好：{len(report.chains)} 个单位，共 {report.events} 条事件。"
                       f" / Audit trail intact: {len(report.chains)} unit(s), {report.events} event(s).")
        return
    n = len(report.broken)
    click.echo(f"审计记录被篡改：{n} 个单位的哈希链已断开。 / Audit trail tampered with: {n} unit chain(s) broken.", err=True)
    raise click.exceptions.Exit(1)


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"“{value}” 不是日期，应为 YYYY-MM-DD / not a date, use YYYY-MM-DD") from None


@audit_group.command("export")
@click.option("--tenant", "unit_id", required=True, help="单位 / the unit.")
@click.option("--from", "since", callback=_day, metavar="YYYY-MM-DD", help="起始日（含，北京时间）/ first day (inclusive, UTC+8).")
@click.option("--to", "until", callback=_day, metavar="YYYY-MM-DD", help="结束日（含，北京时间）/ last day (inclusive, UTC+8).")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
def export(unit_id: str, since: date | None, until: date | None, out: Path) -> None:
    """导出单位的审计事件（.xlsx 或 .jsonl）。 / Export a unit's audit events (.xlsx or .jsonl)."""
    if since and until and since > until:
        raise click.BadParameter(f"起始日 {since} 晚于结束日 {until} / {since} is after {until}", param_hint="--from/--to")
    if out.suffix.lower() not in (".xlsx", ".jsonl"):
        raise click.BadParameter(f"请用 .xlsx 或 .jsonl 结尾 / must end in .xlsx or .jsonl: {out.name}", param_hint="OUT")

    async def main(s: Settings) -> int:
        return await audit.export(unit_id, since, until, out)

    count = run(main)
    click.echo(f"已导出 {count} 条审计事件 → {out} / exported {count} event(s).")
