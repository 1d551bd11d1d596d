"""Task deadlines (runtime.timers.deadlines) on the calendar ``banwen init`` seeds, through ``plan`` and the engine.

The two dates of the issue: received Wednesday 2026-09-30 with 3 working days → end of Saturday
2026-10-10 (National Day 10-01…10-07 skipped, 10-10 a make-up working day); received Thursday
2026-09-24 with 1 working day → end of Monday 2026-09-28 (Mid-Autumn 09-25…09-27 skipped).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "flows"))  # the flow tests' helpers
from flowtools import doc_data, open_tasks, people_of

from runtime import db, records
from runtime.cli import cli
from runtime.flows import engine
from runtime.settings import Settings
from runtime.timers import calendar as cal
from runtime.timers.deadlines import Plan, calendar_for, plan
from runtime.timers.reminders import fire_due
from tenants.models import AuditEvent, Task
from tenants.scope import tenant_scope

CITY = ["init", "--demo", "--units", "2", "--users", "60", "--exchange-units", "1"]


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=cal.TZ)


@pytest.fixture
def city(cli_env: dict[str, str], settings: Settings) -> Settings:
    result = CliRunner().invoke(cli, CITY, env=cli_env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return settings


@pytest.fixture
async def unit(city: Settings) -> AsyncIterator[str]:
    """The first demo unit, with the database open."""
    await db.connect(city)
    try:
        yield (await people_of()).unit
    finally:
        await db.close()


async def test_working_day_limits_of_the_issue(unit: str) -> None:
    c = await calendar_for(unit)
    p = plan(c, at("2026-09-30 10:00"), {"working_days": 3})
    # yellow from the opening of the last working day (one working day left), due reminder an hour before the end
    assert (p.deadline, p.warn_at, p.due_at) == (at("2026-10-10 17:30"), at("2026-10-10 08:30"), at("2026-10-10 16:30"))
    assert "2026-10-10 17:30" in p.note and "the day of receipt does not count" in p.note

    p = plan(c, at("2026-09-24 10:00"), {"working_days": 1})
    assert (p.deadline, p.warn_at, p.due_at) == (at("2026-09-28 17:30"), at("2026-09-28 08:30"), at("2026-09-28 16:30"))

    # the seed calendar.yaml's classes: 一般件 one working day, 会签件 three
    assert plan(c, at("2026-09-24 10:00"), {"class": "general"}).deadline == at("2026-09-28 17:30")
    assert plan(c, at("2026-09-30 10:00"), {"class": "countersign"}).deadline == at("2026-10-10 17:30")


async def test_share_left_warning_walks_back_over_office_time(unit: str) -> None:
    c = await calendar_for(unit)
    p = plan(c, at("2026-09-30 10:00"), {"working_days": 3}, warning={"share_left": 0.5})
    # 34.5 office hours allowed (09-30 from 10:00, 10-08, 10-09, 10-10); half of them before the deadline
    # is all of 10-10 (9 h) and 8 h 15 min of 10-09: from 09:15 on 10-09
    assert p.warn_at == at("2026-10-09 09:15")
    assert p.due_at == at("2026-10-10 16:30")


async def test_working_hour_limits(unit: str) -> None:
    c = await calendar_for(unit)
    p = plan(c, at("2026-09-28 15:30"), {"working_hours": 4})  # 2 h on Monday, 2 h on Tuesday
    assert p.deadline == at("2026-09-29 10:30")
    assert p.due_at == at("2026-09-29 09:30")  # an office hour before
    assert p.warn_at == at("2026-09-28 15:30")  # less than a working day allowed: yellow from the start
    assert "4 working hour(s)" in p.note

    p = plan(c, at("2026-11-06 16:30"), {"class": "urgent"})  # 急件, 4 working hours, over a weekend
    assert p.deadline == at("2026-11-09 11:30")
    assert p.due_at == at("2026-11-09 10:30")

    p = plan(c, at("2026-11-09 10:00"), {"working_hours": 1})
    assert (p.deadline, p.due_at) == (at("2026-11-09 11:00"), at("2026-11-09 10:30"))  # half the limit when shorter

    p = plan(c, at("2026-11-06 17:00"), {"working_hours": 1})  # 30 min on Friday, 30 on Monday
    assert p.deadline == at("2026-11-09 09:00")
    assert p.due_at == at("2026-11-09 08:30")  # half the allowed office time before: Monday's opening


async def test_a_limit_past_the_calendar_gets_a_note_and_no_deadline(unit: str) -> None:
    c = await calendar_for(unit)
    assert c.last == date(2026, 12, 31)
    p = plan(c, at("2026-12-30 10:00"), {"working_days": 3})
    assert (p.deadline, p.warn_at, p.due_at) == (None, None, None)
    assert "2027-01-01" in p.note and "outside the loaded working-day calendar" in p.note

    p = plan(c, at("2026-09-30 10:00"), {"class": "nope"})
    assert p.deadline is None and "'nope' is not defined" in p.note
    assert plan(c, at("2026-09-30 10:00"), None) == Plan()


async def test_the_engine_gives_a_new_task_the_planned_deadline(unit: str) -> None:
    p = await people_of(unit)
    drafter = p.staff()
    rec = await records.create(unit, "outgoing_doc", doc_data("关于期限的通知"), drafter)
    inst = await engine.start(unit, rec.id, drafter)
    [task] = await open_tasks(unit, inst.id)
    assert task.node == "dept_review"
    expected = plan(await calendar_for(unit), task.created_at, {"class": "general"})
    assert expected.deadline is not None
    assert (task.deadline, task.warn_at, task.due_at, task.deadline_note) == \
        (expected.deadline, expected.warn_at, expected.due_at, expected.note)


async def test_the_sweep_fills_in_a_deadline_once_the_calendar_reaches_it(unit: str) -> None:
    p = await people_of(unit)
    drafter = p.staff()
    rec = await records.create(unit, "outgoing_doc", doc_data("跨年收文"), drafter)
    inst = await engine.start(unit, rec.id, drafter)
    [task] = await open_tasks(unit, inst.id)
    # as if the task had come in on 2026-12-30, when its one working day ran into an unloaded 2027
    received = at("2026-12-30 18:00")  # after the cut-off: counts as received on 12-31
    beyond = plan(await calendar_for(unit), received, {"class": "general"})
    assert beyond.deadline is None
    with tenant_scope(unit):
        await Task.filter(id=task.id).update(created_at=received, deadline=None, warn_at=None, due_at=None,
                                             deadline_note=beyond.note)

    first = await fire_due(at("2026-12-30 19:00"), unit=unit)
    assert first["deadlines"] == [] and first["errors"] == []
    with tenant_scope(unit):
        assert (await Task.get(id=task.id)).deadline is None

    # the deployment enters the first days of 2027 by hand (New Year's Day off, then a weekend)
    await cal.set_day(date(2027, 1, 1), "holiday", "元旦")
    await cal.set_day(date(2027, 1, 2), "weekend")
    await cal.set_day(date(2027, 1, 3), "weekend")
    for d in range(4, 9):
        await cal.set_day(date(2027, 1, d), "workday")

    second = await fire_due(at("2026-12-30 19:00"), unit=unit)
    assert second["deadlines"] == [{"unit": unit, "task": task.id, "deadline": "2027-01-04 17:30"}]
    assert second["fired"] == []  # nothing is due yet on 12-30
    with tenant_scope(unit):
        row = await Task.get(id=task.id)
        events = await AuditEvent.filter(obj=f"task:{task.id}", action="deadline_set").count()
    assert (row.deadline, row.warn_at, row.due_at) == (at("2027-01-04 17:30"), at("2027-01-04 08:30"), at("2027-01-04 16:30"))
    assert "2027-01-04 17:30" in row.deadline_note
    assert events == 1
    assert (await fire_due(at("2026-12-30 19:00"), unit=unit))["deadlines"] == []
