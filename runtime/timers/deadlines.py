"""Deadlines of tasks and instances: when a node's time limit runs out, when to warn, when it is due.

The engine asks ``plan`` when it creates a task; the answer lives in the task's row (``deadline``,
``warn_at``, ``due_at``), which is what the reminders and the sweep read (runtime.timers.reminders).
A limit that reaches past the loaded calendar gets no deadline and a note saying why — the task is
still created, because blocking a unit's work on a missing calendar year would be worse — and the
sweep computes it once the calendar has been extended (``banwen calendar seed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise import Tortoise

from runtime.timers.calendar import TZ, BeyondCalendar, WorkCalendar, aware, load
from tenants.errors import BanwenError

_cache: dict[tuple[str, Any], WorkCalendar] = {}


@dataclass(frozen=True)
class Plan:
    """A task's timing: all None when the node has no time limit (or the calendar cannot tell)."""

    deadline: datetime | None = None
    warn_at: datetime | None = None
    due_at: datetime | None = None
    note: str | None = None  # why there is no deadline, or how it was counted (Chinese / English)


async def _signature() -> Any:
    conn = Tortoise.get_connection("default")
    rows = await conn.execute_query_dict('SELECT COUNT(*) AS n, MAX("updated_at") AS at FROM "calendar_day"')
    return (rows[0]["n"], str(rows[0]["at"])) if rows else (0, None)


async def calendar_for(unit_id: str) -> WorkCalendar:
    """The unit's working calendar, cached until the calendar table or the unit's version changes."""
    from tenants import store

    unit = await store.get_unit(unit_id)
    key = (unit_id, (unit.published_version, await _signature()))
    cal = _cache.get(key)
    if cal is None:
        cal = await load(unit_id)
        for old in [k for k in _cache if k[0] == unit_id]:
            _cache.pop(old, None)
        _cache[key] = cal
    return cal


def plan(cal: WorkCalendar, received_at: datetime, time_limit: Mapping[str, Any] | None,
         warning: Mapping[str, Any] | None = None) -> Plan:
    """The deadline of ``time_limit`` counted from ``received_at``, its warning point and due reminder.

    The warning point is where the light turns yellow (``calendar.yaml`` ``warning``: one working day
    left, or a share of the allowed time). The due reminder comes one office hour before the
    deadline (half the allowed office time when that is shorter). It used to be the opening of the
    deadline's day, but with the default warning (one working day left) that is the very moment the
    light turns yellow for every working-day limit, so the handler got two reminders at once and
    none in the last hour.
    """
    if not time_limit:
        return Plan()
    try:
        d = cal.deadline(received_at, time_limit)
    except BanwenError as exc:  # BeyondCalendar, or a limit class the unit does not define
        return Plan(note=f"{exc.zh} / {exc.en}")
    due = d.due
    start = aware(received_at)
    lead = min(timedelta(hours=1), cal.working_time(d.starts if d.working_hours else start, due) / 2)
    due_at = max(_back(cal, due, lead), start)
    warn_at = _warning_point(cal, start, due, warning if warning is not None else cal.rules.warning)
    zh, en = d.explain()
    return Plan(due, min(warn_at, due_at) if warn_at else None, due_at, f"{zh} / {en}")


def _warning_point(cal: WorkCalendar, start: datetime, due: datetime, rule: Mapping[str, Any]) -> datetime | None:
    """The first moment the light would be yellow, found by walking back over office time."""
    office = datetime.combine(date.min, cal.rules.end) - datetime.combine(date.min, cal.rules.start)
    if "working_days_left" in rule:
        left = office * int(rule["working_days_left"])
    elif "share_left" in rule:
        left = cal.working_time(start, due) * float(rule["share_left"])
    else:
        return None
    moment = _back(cal, due, left)
    return max(moment, start)


def _back(cal: WorkCalendar, due: datetime, amount: timedelta) -> datetime:
    """The moment ``amount`` of office time before ``due`` (stops at the calendar's first day)."""
    cur = aware(due)
    while amount > timedelta():
        day = cur.date()
        try:
            working = cal.is_working(day)
        except BeyondCalendar:
            return cur
        if working:
            opening = datetime.combine(day, cal.rules.start, TZ)
            closing = datetime.combine(day, cal.rules.end, TZ)
            hi = min(cur, closing)
            available = hi - opening if hi > opening else timedelta()
            if amount <= available:
                return hi - amount
            amount -= available
        cur = datetime.combine(day - timedelta(days=1), time(23, 59, 59), TZ)
    return cur
