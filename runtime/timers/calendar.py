"""The working-day calendar and deadline arithmetic (DESIGN §4 "Working days", issue 6 item 5).

The national calendar (weekends, public holidays, 调休 make-up working days) is seeded from the
``chinesecalendar`` package into ``calendar_day`` and may be edited by hand afterwards; a unit's
``calendar.yaml`` adds its own overrides, office hours, after-hours cut-off and time-limit
classes. ``WorkCalendar`` is pure: built from those rows and rules, it answers questions about
working time and raises ``BeyondCalendar`` for any date it has no row for — never a guess.

All times are aware datetimes in Asia/Shanghai; a naive datetime is refused rather than assumed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from tenants import store
from tenants.errors import BanwenError, NotFound
from tenants.models import BundleVersion, CalendarDay
from tenants.scope import tenant_scope

TZ = ZoneInfo("Asia/Shanghai")
PACKAGE = "chinesecalendar"
MANUAL = "manual"
KINDS = ("workday", "weekend", "holiday", "makeup")
WORKING_KINDS = frozenset({"workday", "makeup"})
DEFAULT_FIRST_YEAR = 2020
Light = Literal["green", "yellow", "red"]

# chinesecalendar names holidays in English; the table keeps the Chinese name people read.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


class BeyondCalendar(BanwenError):
    """A computation needs a day the loaded calendar does not hold: refused, never guessed."""

    def __init__(self, day: date, first: date | None, last: date | None) -> None:
        if first is None or last is None:
            loaded_zh, loaded_en = "日历为空（请运行 banwen calendar seed）", "the calendar is empty (run banwen calendar seed)"
        else:
            loaded_zh, loaded_en = f"已载入 {first} 至 {last}", f"loaded: {first} to {last}"
        super().__init__(f"{day} 不在已载入的工作日历内（{loaded_zh}），无法计算期限。",
                         f"{day} is outside the loaded working-day calendar ({loaded_en}); no deadline can be computed.")
        self.day = day


class UnknownYear(BanwenError):
    """chinesecalendar has no data for a year: we refuse instead of inventing its holidays."""

    def __init__(self, year: int, first: int, last: int) -> None:
        super().__init__(f"chinesecalendar 没有 {year} 年的节假日数据（只有 {first}–{last} 年）；请升级该软件包或手工录入。",
                         f"chinesecalendar has no holiday data for {year} (only {first}–{last}); "
                         "upgrade the package or enter the year by hand.")


class BadTimeLimit(BanwenError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh, en)


# --- seeding ---------------------------------------------------------------------------------


def package_years() -> tuple[int, int]:
    """The first and last year the installed chinesecalendar knows."""
    from chinese_calendar import constants

    years = [d.year for d in constants.holidays]
    return min(years), max(years)


def national_days(first_year: int, last_year: int) -> list[tuple[date, str, str | None]]:
    """(day, kind, name) for every day of the years, from chinesecalendar; pure.

    A weekday holiday or a weekend day inside a holiday is ``holiday`` (with the holiday's name);
    a Saturday or Sunday made a working day (调休) is ``makeup``, named after the holiday it pays for.
    """
    import chinese_calendar as cc

    lo, hi = package_years()
    for year in (first_year, last_year):
        if not lo <= year <= hi:
            raise UnknownYear(year, lo, hi)
    if first_year > last_year:
        raise BanwenError(f"起始年份 {first_year} 晚于结束年份 {last_year}。", f"First year {first_year} is after last year {last_year}.")
    out: list[tuple[date, str, str | None]] = []
    day, end = date(first_year, 1, 1), date(last_year, 12, 31)
    while day <= end:
        off, label = cc.get_holiday_detail(day)
        name = HOLIDAY_NAMES.get(label, label) if label else None
        if off:
            kind = "holiday" if name else "weekend"
        else:
            kind = "makeup" if day.weekday() >= 5 else "workday"
        out.append((day, kind, name if kind in ("holiday", "makeup") else None))
        day += timedelta(days=1)
    return out


async def seed(first_year: int, last_year: int) -> int:
    """Write the national calendar for the years into ``calendar_day``; returns the rows written.

    Rows edited by hand (any source other than chinesecalendar) are kept as they are: a re-seed
    after a package upgrade must not undo a deployment's own decisions.
    """
    days = national_days(first_year, last_year)
    first, last = days[0][0], days[-1][0]
    async with in_transaction():
        kept = set(await CalendarDay.filter(day__gte=first, day__lte=last).exclude(source=PACKAGE)
                   .values_list("day", flat=True))
        await CalendarDay.filter(day__gte=first, day__lte=last, source=PACKAGE).delete()
        rows = [CalendarDay(day=d, kind=k, name=n, source=PACKAGE) for d, k, n in days if d not in kept]
        await CalendarDay.bulk_create(rows, batch_size=500)
    return len(rows)


async def seed_if_empty() -> int:
    """Seed the default years when the table is empty (``banwen init``); 0 when it already has rows."""
    if await CalendarDay.exists():
        return 0
    return await seed(DEFAULT_FIRST_YEAR, package_years()[1])


async def set_day(day: date, kind: str, name: str | None = None) -> CalendarDay:
    """A hand edit of one day for the whole deployment; it survives later re-seeds."""
    if kind not in KINDS:
        raise BanwenError(f"未知的日子类型 “{kind}”（可用：{', '.join(KINDS)}）。", f"Unknown day kind '{kind}' (use: {', '.join(KINDS)}).")
    async with in_transaction():
        row = await CalendarDay.get_or_none(day=day)
        if row is None:
            row = CalendarDay(day=day)
        row.kind, row.name, row.source = kind, name, MANUAL
        await row.save()
    return row


async def loaded_range() -> tuple[date | None, date | None]:
    """The first and last day in the table (None, None when it is empty)."""
    first = await CalendarDay.all().order_by("day").first()
    last = await CalendarDay.all().order_by("-day").first()
    return (first.day if first else None), (last.day if last else None)


async def days_between(first: date, last: date) -> list[CalendarDay]:
    return await CalendarDay.filter(day__gte=first, day__lte=last).order_by("day")


# --- the pure calendar -----------------------------------------------------------------------


def _clock(text: str) -> time:
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


@dataclass(frozen=True)
class Rules:
    """A unit's working-time rules from its resolved ``calendar.yaml`` (defaults: gov_base's)."""

    start: time = time(8, 30)
    end: time = time(17, 30)
    cutoff: time = time(17, 30)
    classes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    warning: Mapping[str, Any] = field(default_factory=lambda: {"working_days_left": 1})

    @classmethod
    def of(cls, calendar: Mapping[str, Any]) -> Rules:
        hours = calendar.get("office_hours") or {}
        start = _clock(hours["start"]) if "start" in hours else cls.start
        end = _clock(hours["end"]) if "end" in hours else cls.end
        if end <= start:
            raise BanwenError(f"办公时间的下班 {end:%H:%M} 不晚于上班 {start:%H:%M}。",
                              f"Office hours end ({end:%H:%M}) is not after their start ({start:%H:%M}).")
        return cls(start=start, end=end, cutoff=_clock(calendar["cutoff"]) if calendar.get("cutoff") else end,
                   classes={c["id"]: c for c in calendar.get("time_limit_classes") or []},
                   warning=calendar.get("warning") or {"working_days_left": 1})


@dataclass(frozen=True)
class Deadline:
    """A computed deadline and why: what limit, from which day or moment it was counted."""

    due: datetime
    received_at: datetime
    starts: datetime  # the moment counting starts (after cut-off / non-working-day adjustments)
    working_days: int | None = None
    working_hours: int | None = None
    limit_class: str | None = None

    def explain(self) -> tuple[str, str]:
        what_zh = f"{self.working_days} 个工作日" if self.working_days else f"{self.working_hours} 个工作小时"
        what_en = f"{self.working_days} working day(s)" if self.working_days else f"{self.working_hours} working hour(s)"
        if self.limit_class:
            what_zh, what_en = f"时限类别 {self.limit_class}：{what_zh}", f"time-limit class {self.limit_class}: {what_en}"
        if self.working_days:
            moved = self.starts.date() != self.received_at.date()
            zh = (f"收文 {self.received_at:%Y-%m-%d %H:%M}" + (f"，视为 {self.starts:%Y-%m-%d} 收到" if moved else "")
                  + f"（收文当日不计）；{what_zh}，期限为 {self.due:%Y-%m-%d %H:%M}。")
            en = (f"received {self.received_at:%Y-%m-%d %H:%M}" + (f", counted as received on {self.starts:%Y-%m-%d}" if moved else "")
                  + f" (the day of receipt does not count); {what_en}, due {self.due:%Y-%m-%d %H:%M}.")
        else:
            zh = (f"收文 {self.received_at:%Y-%m-%d %H:%M}，自 {self.starts:%Y-%m-%d %H:%M} 起计（仅办公时间）；"
                  f"{what_zh}，期限为 {self.due:%Y-%m-%d %H:%M}。")
            en = (f"received {self.received_at:%Y-%m-%d %H:%M}, counted from {self.starts:%Y-%m-%d %H:%M} (office hours only); "
                  f"{what_en}, due {self.due:%Y-%m-%d %H:%M}.")
        return zh, en


def aware(moment: datetime) -> datetime:
    """``moment`` in Asia/Shanghai; a naive datetime is refused rather than assumed to be local."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BanwenError(f"时间 {moment} 没有时区。", f"The time {moment} has no time zone.")
    return moment.astimezone(TZ)


class WorkCalendar:
    """Working days and hours over the loaded rows plus a unit's overrides; pure, no I/O.

    ``working`` maps each loaded day to whether it is a working day; any other day is outside
    the calendar and every question about it raises ``BeyondCalendar``.
    """

    def __init__(self, working: Mapping[date, bool], rules: Rules | None = None) -> None:
        self._working = dict(working)
        self.rules = rules or Rules()
        self.first = min(self._working) if self._working else None
        self.last = max(self._working) if self._working else None

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[date, str]], calendar: Mapping[str, Any] | None = None) -> WorkCalendar:
        """From (day, kind) rows and a resolved ``calendar.yaml`` whose overrides win for its unit."""
        working = {d: k in WORKING_KINDS for d, k in rows}
        for o in (calendar or {}).get("overrides") or []:
            working[date.fromisoformat(o["date"])] = o["kind"] == "working_day"
        return cls(working, Rules.of(calendar or {}))

    def is_working(self, day: date) -> bool:
        try:
            return self._working[day]
        except KeyError:
            raise BeyondCalendar(day, self.first, self.last) from None

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working(day):
            day += timedelta(days=1)
        return day

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, TZ)

    def receipt_day(self, received_at: datetime) -> date:
        """The day an item counts as received: after the cut-off or on a day off → the next working day."""
        at = aware(received_at)
        day = at.date()
        if not self.is_working(day) or at.time() > self.rules.cutoff:
            return self.next_working_day(day)
        return day

    def add_working_days(self, received_at: datetime, n: int) -> datetime:
        """End of office hours of the n-th working day after receipt; the day of receipt does not count."""
        if n < 1:
            raise BadTimeLimit(f"工作日数必须至少为 1（收到 {n}）。", f"Working days must be at least 1 (got {n}).")
        day = self.receipt_day(received_at)
        for _ in range(n):
            day = self.next_working_day(day)
        return self._at(day, self.rules.end)

    def hours_start(self, received_at: datetime) -> datetime:
        """When the working-hours clock starts: now within office hours, else the next opening."""
        at = aware(received_at)
        day, clock = at.date(), at.time()
        if not self.is_working(day) or clock >= self.rules.end or clock > self.rules.cutoff:
            return self._at(self.next_working_day(day), self.rules.start)
        return max(at, self._at(day, self.rules.start))

    def add_working_hours(self, received_at: datetime, hours: float) -> datetime:
        """The moment ``hours`` of office time after receipt, skipping nights and non-working days."""
        if hours <= 0:
            raise BadTimeLimit(f"工作小时数必须大于 0（收到 {hours}）。", f"Working hours must be more than 0 (got {hours}).")
        cur = self.hours_start(received_at)
        left = timedelta(hours=hours)
        while True:
            available = self._at(cur.date(), self.rules.end) - cur
            if left <= available:
                return cur + left
            left -= available
            cur = self._at(self.next_working_day(cur.date()), self.rules.start)

    def deadline(self, received_at: datetime, time_limit: Mapping[str, Any]) -> Deadline:
        """The deadline for ``{class: id}``, ``{working_days: n}`` or ``{working_hours: h}``."""
        spec, cls = dict(time_limit), None
        if "class" in spec:
            cls = spec["class"]
            if cls not in self.rules.classes:
                known = ", ".join(self.rules.classes) or "—"
                raise BadTimeLimit(f"时限类别 “{cls}” 未在 calendar.yaml 中定义（已有：{known}）。",
                                   f"Time-limit class '{cls}' is not defined in calendar.yaml (defined: {known}).")
            spec = dict(self.rules.classes[cls])
        at = aware(received_at)
        if spec.get("working_days"):
            n = int(spec["working_days"])
            return Deadline(self.add_working_days(at, n), at, self._at(self.receipt_day(at), time(0)),
                            working_days=n, limit_class=cls)
        if spec.get("working_hours"):
            h = int(spec["working_hours"])
            return Deadline(self.add_working_hours(at, h), at, self.hours_start(at), working_hours=h, limit_class=cls)
        raise BadTimeLimit("时限须为 {class: 类别}、{working_days: n} 或 {working_hours: h}。",
                           "A time limit is {class: id}, {working_days: n} or {working_hours: h}.")

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """Office time on working days between two moments (zero when ``end`` is not after ``start``)."""
        a, b = aware(start), aware(end)
        total = timedelta()
        day = a.date()
        while day <= b.date():
            if self.is_working(day):
                lo = max(a, self._at(day, self.rules.start))
                hi = min(b, self._at(day, self.rules.end))
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def light(self, received_at: datetime, deadline: datetime, now: datetime, warning: Mapping[str, Any] | None = None) -> Light:
        """Green, yellow from the warning point on, red once overdue.

        The warning point counts office time, not wall-clock time: "1 working day left" is one
        office day's worth of hours before the deadline, and a share is of the working time allowed.
        """
        if aware(now) > aware(deadline):
            return "red"
        rule = warning if warning is not None else self.rules.warning
        left = self.working_time(now, deadline)
        if "working_days_left" in rule:
            day = datetime.combine(date.min, self.rules.end) - datetime.combine(date.min, self.rules.start)
            return "yellow" if left <= day * int(rule["working_days_left"]) else "green"
        if "share_left" in rule:
            allowed = self.working_time(received_at, deadline)
            if allowed <= timedelta():
                return "yellow"
            return "yellow" if left / allowed < float(rule["share_left"]) else "green"
        return "green"


# --- loading ---------------------------------------------------------------------------------


async def unit_calendar(unit_id: str) -> dict[str, Any]:
    """The unit's resolved ``calendar.yaml`` from its published version (empty when it has none)."""
    unit = await store.get_unit(unit_id)
    if not unit.published_version:
        raise NotFound(f"单位 “{unit_id}” 还没有发布的版本。", f"Unit '{unit_id}' has no published version yet.")
    with tenant_scope(unit_id):
        v = await BundleVersion.get(number=unit.published_version)
    return dict((v.resolved or {}).get("calendar") or {})


async def load(unit_id: str | None = None) -> WorkCalendar:
    """The deployment's calendar, with ``unit_id``'s published overrides and rules when given."""
    rows = await CalendarDay.all().values_list("day", "kind")
    calendar = await unit_calendar(unit_id) if unit_id else {}
    return WorkCalendar.from_rows(rows, calendar)  # type: ignore[arg-type]
