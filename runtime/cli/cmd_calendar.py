"""``banwen calendar``: seed, show and hand-edit the working-day calendar; compute a deadline."""

from __future__ import annotations

from datetime import date, datetime

import click

from runtime.cli.common import run
from runtime.settings import Settings
from runtime.timers import calendar as cal

KIND_LABELS = {"workday": "工作日 workday", "weekend": "周末 weekend", "holiday": "节假日 holiday",
               "makeup": "调休上班 make-up workday"}
WEEKDAYS = "一二三四五六日"


@click.group("calendar")
def calendar_group() -> None:
    """工作日历与期限。 / The working-day calendar and deadlines."""


@calendar_group.command("seed")
@click.option("--from", "first", type=int, default=cal.DEFAULT_FIRST_YEAR, show_default=True, help="起始年份 / first year.")
@click.option("--to", "last", type=int, default=None, help="结束年份（默认软件包最后一年）/ last year (default: the package's last).")
def seed(first: int, last: int | None) -> None:
    """从 chinesecalendar 载入全国日历（保留手工修改）。 / Load the national calendar (hand edits are kept)."""
    last = last if last is not None else cal.package_years()[1]

    async def main(s: Settings) -> None:
        n = await cal.seed(first, last)
        click.echo(f"已写入 {first}–{last} 年的 {n} 天。/ Wrote {n} days for {first}–{last}.")

    run(main)


@calendar_group.command("show")
@click.argument("month")
def show(month: str) -> None:
    """列出一个月（YYYY-MM）每天的类型。 / List a month's days (YYYY-MM) and their kinds."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise click.BadParameter("应为 YYYY-MM / expected YYYY-MM", param_hint="MONTH") from None
    last = date(first.year + (first.month == 12), first.month % 12 + 1, 1).toordinal() - 1

    async def main(s: Settings) -> None:
        rows = await cal.days_between(first, date.fromordinal(last))
        if not rows:
            raise cal.BeyondCalendar(first, *await cal.loaded_range())
        for r in rows:
            hand = "  [手工 manual]" if r.source != cal.PACKAGE else ""
            click.echo(f"{r.day} 周{WEEKDAYS[r.day.weekday()]}  {KIND_LABELS.get(r.kind, r.kind):<24} {r.name or ''}{hand}".rstrip())

    run(main)


@calendar_group.command("set")
@click.argument("day", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--kind", type=click.Choice(["workday", "holiday"]), required=True, help="工作日或休息日 / working day or day off.")
@click.option("--name", default=None, help="说明 / note, e.g. 防汛值班.")
def set_day(day: datetime, kind: str, name: str | None) -> None:
    """手工修改一天（重新载入时保留）。 / Edit one day by hand (kept on re-seed)."""

    async def main(s: Settings) -> None:
        row = await cal.set_day(day.date(), kind, name)
        click.echo(f"{row.day}：{KIND_LABELS[row.kind]}{'（' + row.name + '）' if row.name else ''}，来源 / source: {row.source}")

    run(main)


@calendar_group.command("deadline")
@click.option("--tenant", required=True, help="单位 id / unit id.")
@click.option("--received", required=True, type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]),
              help="收文时间（北京时间）/ received at (Asia/Shanghai), e.g. \"2026-09-30 16:00\".")
@click.option("--limit", "limit_class", default=None, help="时限类别 id（calendar.yaml）/ time-limit class id.")
@click.option("--working-days", type=click.IntRange(1), default=None, help="工作日数 / working days.")
@click.option("--working-hours", type=click.IntRange(1), default=None, help="工作小时数 / working hours.")
def deadline(tenant: str, received: datetime, limit_class: str | None, working_days: int | None, working_hours: int | None) -> None:
    """计算期限并说明依据。 / Compute a deadline and say why."""
    given = [x for x in (limit_class, working_days, working_hours) if x is not None]
    if len(given) != 1:
        raise click.UsageError("请给出 --limit、--working-days、--working-hours 中的一个。/ Give exactly one of --limit, "
                               "--working-days, --working-hours.")
    spec = {"class": limit_class} if limit_class else {"working_days": working_days} if working_days else {"working_hours": working_hours}

    async def main(s: Settings) -> None:
        wc = await cal.load(tenant)
        result = wc.deadline(received.replace(tzinfo=cal.TZ), spec)
        zh, en = result.explain()
        click.echo(f"期限 / due: {result.due:%Y-%m-%d %H:%M} (Asia/Shanghai)\n{zh}\n{en}")

    run(main)
