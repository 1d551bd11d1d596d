"""Working days and deadlines (runtime.timers.calendar) on the real chinesecalendar data for 2026.

The pure ``WorkCalendar`` tests build the calendar from the package's days; the database tests
seed ``calendar_day`` and publish a unit from a fixture bundle with its own ``calendar.yaml``.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from runtime.timers import calendar as cal
from tenants import store
from tenants.bundle import read_folder
from tenants.models import CalendarDay

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bundles"
GOV_BASE = Path(__file__).resolve().parents[3] / "seeds" / "templates" / "gov_base" / "calendar.yaml"


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=cal.TZ)


@pytest.fixture(scope="module")
def days_2026() -> list[tuple[date, str, str | None]]:
    return cal.national_days(2026, 2026)


@pytest.fixture
def wc(days_2026) -> cal.WorkCalendar:
    from ruamel.yaml import YAML

    return cal.WorkCalendar.from_rows([(d, k) for d, k, _ in days_2026], YAML(typ="safe").load(GOV_BASE.read_text("utf-8")))


def test_national_day_and_spring_festival_2026_with_their_make_up_days(days_2026) -> None:
    kinds = {d: (k, n) for d, k, n in days_2026}
    assert len(days_2026) == 365
    for d in range(1, 8):
        assert kinds[date(2026, 10, d)] == ("holiday", "国庆节")
    assert kinds[date(2026, 9, 20)] == ("makeup", "国庆节")  # a Sunday worked
    assert kinds[date(2026, 10, 10)] == ("makeup", "国庆节")  # a Saturday worked
    assert kinds[date(2026, 10, 11)] == ("weekend", None)
    for d in range(15, 24):
        assert kinds[date(2026, 2, d)] == ("holiday", "春节")
    assert kinds[date(2026, 2, 14)] == ("makeup", "春节")  # Saturday
    assert kinds[date(2026, 2, 28)] == ("makeup", "春节")  # Saturday
    assert kinds[date(2026, 9, 24)][0] == "workday"


def test_working_days_skip_holidays_and_count_make_up_days(wc) -> None:
    # the two cases: the day of receipt does not count
    assert wc.add_working_days(at("2026-09-30 16:00"), 3) == at("2026-10-10 17:30")
    assert wc.add_working_days(at("2026-09-24 10:00"), 1) == at("2026-09-28 17:30")
    # Spring Festival: received Friday 02-13, one day → Saturday 02-14 is a make-up working day
    assert wc.add_working_days(at("2026-02-13 09:00"), 1) == at("2026-02-14 17:30")
    assert wc.add_working_days(at("2026-02-14 09:00"), 1) == at("2026-02-24 17:30")
    assert wc.is_working(date(2026, 2, 28)) and not wc.is_working(date(2026, 2, 22))


def test_receipt_after_cut_off_on_a_holiday_and_on_a_make_up_sunday(wc) -> None:
    assert wc.add_working_days(at("2026-09-29 17:30"), 1) == at("2026-09-30 17:30")  # at the cut-off: same day
    assert wc.add_working_days(at("2026-09-29 17:31"), 1) == at("2026-10-08 17:30")  # after: received 09-30
    assert wc.add_working_days(at("2026-10-03 11:00"), 1) == at("2026-10-09 17:30")  # holiday: received 10-08
    assert wc.add_working_days(at("2026-09-20 11:00"), 1) == at("2026-09-21 17:30")  # make-up Sunday counts
    d = wc.deadline(at("2026-09-29 18:00"), {"class": "general"})
    zh, en = d.explain()
    assert d.due == at("2026-10-08 17:30") and "2026-09-30" in zh and "counted as received on 2026-09-30" in en


def test_working_hours_over_a_night_a_weekend_and_a_holiday(wc) -> None:
    assert wc.add_working_hours(at("2026-09-28 15:30"), 4) == at("2026-09-29 10:30")  # 2 h today, 2 h tomorrow
    assert wc.add_working_hours(at("2026-09-30 16:00"), 4) == at("2026-10-08 11:00")  # over National Day
    assert wc.add_working_hours(at("2026-11-06 16:30"), 2) == at("2026-11-09 09:30")  # Friday → Monday
    assert wc.add_working_hours(at("2026-11-09 07:00"), 2) == at("2026-11-09 10:30")  # before start → from start
    assert wc.add_working_hours(at("2026-11-09 19:00"), 2) == at("2026-11-10 10:30")  # after end → next day
    assert wc.deadline(at("2026-11-09 19:00"), {"class": "urgent"}).due == at("2026-11-10 12:30")
    assert wc.deadline(at("2026-11-09 08:30"), {"working_hours": 9}).due == at("2026-11-09 17:30")  # a full day
    assert wc.deadline(at("2026-11-09 09:00"), {"working_hours": 9}).due == at("2026-11-10 09:00")


def test_times_from_another_zone_are_converted_and_naive_ones_refused(wc) -> None:
    from datetime import UTC

    utc = datetime(2026, 9, 30, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
    assert wc.add_working_days(utc, 3) == at("2026-10-10 17:30")
    with pytest.raises(cal.BanwenError, match="time zone"):
        wc.add_working_days(datetime(2026, 9, 30, 16, 0), 3)
    with pytest.raises(cal.BadTimeLimit, match="nope"):
        wc.deadline(at("2026-09-30 16:00"), {"class": "nope"})


def test_beyond_the_loaded_calendar_is_an_error_naming_the_date(wc) -> None:
    with pytest.raises(cal.BeyondCalendar) as info:
        wc.add_working_days(at("2026-12-30 10:00"), 3)
    assert "2027-01-01" in info.value.en and "2026-01-01 to 2026-12-31" in info.value.en and "2027-01-01" in info.value.zh
    with pytest.raises(cal.BeyondCalendar):
        wc.is_working(date(2025, 12, 31))


def test_the_package_refuses_years_it_does_not_know() -> None:
    last = cal.package_years()[1]
    with pytest.raises(cal.UnknownYear) as info:
        cal.national_days(2026, last + 1)
    assert str(last + 1) in info.value.zh and str(last + 1) in info.value.en


def test_three_lights(wc) -> None:
    received, due = at("2026-09-30 16:00"), at("2026-10-10 17:30")
    days = {"working_days_left": 1}
    assert wc.light(received, due, at("2026-10-08 09:00"), days) == "green"  # 10-08, 10-09, 10-10 left
    assert wc.light(received, due, at("2026-10-09 17:00"), days) == "green"  # half an hour + one day left
    assert wc.light(received, due, at("2026-10-09 17:30"), days) == "yellow"  # one office day left
    assert wc.light(received, due, at("2026-10-10 08:00"), days) == "yellow"
    assert wc.light(received, due, at("2026-10-10 17:31"), days) == "red"
    share = {"share_left": 0.5}  # allowed: 1.5 h on 09-30 + 3 × 9 h = 28.5 h
    assert wc.light(received, due, at("2026-10-08 12:00"), share) == "green"  # 23 h left
    assert wc.light(received, due, at("2026-10-09 14:00"), share) == "yellow"  # 12.5 h left
    assert wc.light(received, due, at("2026-10-11 09:00"), share) == "red"
    assert wc.light(received, due, at("2026-10-10 10:00")) == "yellow"  # the unit's own rule (gov_base: 1 day)


# --- with the database -----------------------------------------------------------------------


async def publish_unit(tmp_path: Path, calendar_yaml: str) -> str:
    folder = tmp_path / "unit"
    shutil.copytree(FIXTURES / "valid_unit", folder)
    (folder / "calendar.yaml").write_text(calendar_yaml, encoding="utf-8")
    await store.create_unit({"id": "test_bureau", "name": "测试局", "level": "县区", "extends": ["gov_documents"]}, author="ops")
    # no users are created here, so the org names none (the fixture's org.yaml refers to its people)
    (folder / "org.yaml").write_text("format_version: 1\ndepartments:\n  - {id: office, name: 综合办公室}\n", "utf-8")
    await store.save_draft("test_bureau", read_folder(folder), "ops")
    await store.publish("test_bureau", "ops", "日历调整")
    return "test_bureau"


async def test_seed_writes_every_day_and_keeps_hand_edits(database) -> None:
    assert await cal.seed(2025, 2026) == 730
    assert await CalendarDay.filter(day__gte=date(2026, 10, 1), day__lte=date(2026, 10, 7), kind="holiday").count() == 7
    row = await CalendarDay.get(day=date(2026, 10, 10))
    assert (row.kind, row.name, row.source) == ("makeup", "国庆节", "chinesecalendar")
    await cal.set_day(date(2026, 10, 9), "holiday", "台风停工")
    assert await cal.seed(2026, 2026) == 364  # re-seed: the hand-edited day is not rewritten
    row = await CalendarDay.get(day=date(2026, 10, 9))
    assert (row.kind, row.name, row.source) == ("holiday", "台风停工", "manual")
    assert await CalendarDay.all().count() == 730
    wc = await cal.load()
    assert wc.add_working_days(at("2026-09-30 16:00"), 3) == at("2026-10-12 17:30")  # 10-08, 10-10, 10-12
    assert await cal.seed_if_empty() == 0


async def test_a_units_overrides_apply_to_that_unit_only(database, tmp_path: Path) -> None:
    await cal.seed(2026, 2026)
    unit = await publish_unit(tmp_path, (
        "format_version: 1\n"
        "time_limit_classes:\n  - {id: general, name: 一般件, working_days: 2}\n"
        "office_hours: {start: \"09:00\", end: \"17:00\"}\n"
        "cutoff: \"16:00\"\n"
        "warning: {share_left: 0.5}\n"
        "overrides:\n  - {date: \"2026-10-07\", kind: working_day, name: 防汛值班}\n"
        "  - {date: \"2026-10-08\", kind: day_off, name: 补休}\n"))
    mine, national = await cal.load(unit), await cal.load()
    assert mine.is_working(date(2026, 10, 7)) and not mine.is_working(date(2026, 10, 8))
    assert not national.is_working(date(2026, 10, 7))
    # 16:30 is after this unit's 16:00 cut-off: counted from 10-07 (its duty day), due 10-10 at 17:00
    assert mine.deadline(at("2026-09-30 16:30"), {"class": "general"}).due == at("2026-10-10 17:00")
    assert national.deadline(at("2026-09-30 16:30"), {"working_days": 2}).due == at("2026-10-09 17:30")
    assert mine.rules.warning == {"share_left": 0.5}


async def test_load_refuses_an_unknown_unit(database) -> None:
    with pytest.raises(cal.NotFound):
        await cal.load("no_such_unit")


def test_a_full_year_spans_every_day(days_2026) -> None:
    assert [d for d, _, _ in days_2026] == [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
