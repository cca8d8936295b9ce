"""Working days as the State Council publishes them, deadlines as DOMAIN §6 counts them."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.db import Database
from storage.models import CalendarOverride
from workflow.calendar.workdays import (
    Deadline,
    OutsideLoadedYears,
    WorkCalendar,
    add_working_days,
    calendar_deadline,
    describe_year,
    import_overrides,
    is_working_day,
    load_calendar,
    year_calendar,
)

D = dt.date
KNOWN_DAYS = st.dates(min_value=D(2005, 1, 1), max_value=D(2025, 12, 1))


# --- Worked examples -------------------------------------------------------------------------


def test_domain_example_seven_working_days_over_national_day_2026() -> None:
    # Received Mon 09-28; 09-29, 09-30, 10-08, 10-09, Sat 10-10 (调休), 10-12, 10-13.
    assert add_working_days(D(2026, 9, 28), 7) == Deadline(D(2026, 10, 13), provisional=False)


def test_national_day_2025_eight_days_off_and_two_makeup_days() -> None:
    holidays = [D(2025, 10, day) for day in range(1, 9)]
    assert not any(is_working_day(day) for day in holidays)
    assert is_working_day(D(2025, 9, 28))  # Sunday worked
    assert is_working_day(D(2025, 10, 11))  # Saturday worked
    # Thu 09-25: 09-26, Sun 09-28, 09-29, 09-30, 10-09, 10-10, Sat 10-11.
    assert add_working_days(D(2025, 9, 25), 7).due == D(2025, 10, 11)


def test_national_day_2026_seven_days_off() -> None:
    assert not any(is_working_day(D(2026, 10, day)) for day in range(1, 8))
    assert is_working_day(D(2026, 9, 20))  # Sunday worked
    assert is_working_day(D(2026, 10, 8))
    assert not is_working_day(D(2026, 10, 11))  # an ordinary Sunday


def test_spring_festival_2025() -> None:
    assert not any(is_working_day(D(2025, 1, 28) + dt.timedelta(days=n)) for n in range(8))
    assert is_working_day(D(2025, 1, 26))  # Sunday before
    assert is_working_day(D(2025, 2, 8))  # Saturday after
    # Mon 01-27: Wed 02-05 is the first working day after the festival, then 02-06, 02-07,
    # Sat 02-08.
    assert add_working_days(D(2025, 1, 27), 4).due == D(2025, 2, 8)


def test_spring_festival_2026_nine_days_off() -> None:
    assert not any(is_working_day(D(2026, 2, 15) + dt.timedelta(days=n)) for n in range(9))
    assert is_working_day(D(2026, 2, 14)) and is_working_day(D(2026, 2, 28))
    # Fri 02-13: Sat 02-14 counts, then nothing until Tue 02-24.
    assert add_working_days(D(2026, 2, 13), 2).due == D(2026, 2, 24)


def test_start_day_that_is_a_holiday_is_not_counted() -> None:
    # Received on 10-03 (holiday): the first working day after it is 10-08.
    assert add_working_days(D(2026, 10, 3), 1).due == D(2026, 10, 8)
    # chinesecalendar's own helper answers 10-09 here: the off-by-one DOMAIN §6 warns about.
    assert chinese_calendar.find_workday(1, D(2026, 10, 3)) == D(2026, 10, 9)


def test_start_on_a_makeup_saturday_is_not_counted_either() -> None:
    assert add_working_days(D(2026, 10, 10), 1).due == D(2026, 10, 12)


def test_calendar_day_deadline_landing_in_a_holiday_moves_to_next_working_day() -> None:
    # Tracking 2025: 09-30 + 15 days = 10-15, a Wednesday: stays.
    assert calendar_deadline(D(2025, 9, 30), 15).due == D(2025, 10, 15)
    # 09-25 + 10 days = 10-05, inside National Day 2025: the last day becomes 10-09.
    assert calendar_deadline(D(2025, 9, 25), 10).due == D(2025, 10, 9)
    # 30 days from 2026-01-17 = 02-16, inside the Spring Festival: 02-24.
    assert calendar_deadline(D(2026, 1, 17), 30).due == D(2026, 2, 24)


def test_calendar_day_deadline_on_a_weekend_moves_but_a_makeup_saturday_stays() -> None:
    assert calendar_deadline(D(2026, 3, 1), 13).due == D(2026, 3, 16)  # Sat 03-14 → Mon
    assert calendar_deadline(D(2026, 9, 30), 10).due == D(2026, 10, 10)  # worked Saturday


def test_three_months_after_year_end_is_march_31() -> None:
    calendar = WorkCalendar()
    assert calendar.months_deadline(D(2025, 12, 31), 3).due == D(2026, 3, 31)
    # A leap year's 90 days would end on 03-30; months do not.
    assert calendar.months_deadline(D(2023, 12, 31), 3).due == D(2024, 4, 1)  # 03-31 Sunday
    assert calendar.months_deadline(D(2025, 11, 30), 3).due == D(2026, 2, 28)  # worked Saturday


# --- Unknown years ---------------------------------------------------------------------------


def test_2027_is_unknown_to_the_installed_data() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2027, 1, 4))


def test_unknown_year_counts_weekends_only_and_says_provisional() -> None:
    # Fri 2027-01-01 would be New Year's Day; without the schedule it is an ordinary Friday.
    assert is_working_day(D(2027, 1, 1))
    assert add_working_days(D(2027, 1, 1), 1) == Deadline(D(2027, 1, 4), provisional=True)
    assert calendar_deadline(D(2027, 9, 30), 15) == Deadline(D(2027, 10, 15), provisional=True)


def test_a_deadline_reaching_into_an_unknown_year_is_provisional() -> None:
    deadline = add_working_days(D(2026, 12, 28), 7)
    assert deadline.provisional
    assert deadline.due == D(2027, 1, 6)
    assert not add_working_days(D(2026, 12, 1), 7).provisional


def test_overrides_confirmed_complete_make_a_year_known() -> None:
    loaded = frozenset({2026, 2027})
    partial = WorkCalendar(overrides={D(2027, 1, 1): False}, loaded_years=loaded)
    assert not partial.is_known(2027)  # one holiday loaded is not the year's schedule
    assert add_working_days(D(2026, 12, 31), 1, calendar=partial) == Deadline(
        D(2027, 1, 4),
        provisional=True,  # the day loaded counts, the year stays provisional
    )
    confirmed = WorkCalendar(
        overrides={D(2027, 1, 1): False}, loaded_years=loaded, complete_years=frozenset({2027})
    )
    assert confirmed.is_known(2027)
    assert add_working_days(D(2026, 12, 31), 1, calendar=confirmed) == Deadline(
        D(2027, 1, 4), provisional=False
    )


def test_overrides_beat_chinesecalendar() -> None:
    calendar = WorkCalendar(
        overrides={D(2026, 10, 8): False, D(2026, 10, 3): True}, loaded_years=frozenset({2026})
    )
    assert not calendar.is_working_day(D(2026, 10, 8))
    assert calendar.is_working_day(D(2026, 10, 3))
    # 09-28 + 7: 09-29, 09-30, 10-03, 10-09, 10-10, 10-12, 10-13.
    assert calendar.add_working_days(D(2026, 9, 28), 7).due == D(2026, 10, 13)
    assert calendar.add_working_days(D(2026, 9, 28), 3).due == D(2026, 10, 3)


def test_a_calendar_refuses_years_it_did_not_load() -> None:
    calendar = WorkCalendar(loaded_years=frozenset({2026}))
    with pytest.raises(OutsideLoadedYears):
        calendar.is_working_day(D(2025, 6, 2))


# --- Properties -------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(start=KNOWN_DAYS, days=st.integers(min_value=1, max_value=30))
def test_working_day_deadline_is_exactly_n_working_days_later(start: dt.date, days: int) -> None:
    deadline = add_working_days(start, days)
    assert deadline.due > start
    assert is_working_day(deadline.due)
    assert WorkCalendar().working_days_between(start, deadline.due) == days
    assert not deadline.provisional


@settings(max_examples=200, deadline=None)
@given(start=KNOWN_DAYS, days=st.integers(min_value=0, max_value=60))
def test_calendar_deadline_is_the_first_working_day_from_the_last_day(
    start: dt.date, days: int
) -> None:
    last_day = start + dt.timedelta(days=days)
    due = calendar_deadline(start, days).due
    assert due >= last_day and is_working_day(due)
    assert not any(
        is_working_day(last_day + dt.timedelta(days=n)) for n in range((due - last_day).days)
    )


@settings(max_examples=100, deadline=None)
@given(start=KNOWN_DAYS, days=st.integers(min_value=1, max_value=20))
def test_a_longer_count_never_ends_earlier(start: dt.date, days: int) -> None:
    assert add_working_days(start, days + 1).due > add_working_days(start, days).due


@settings(max_examples=100, deadline=None)
@given(
    day=st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 12, 31)),
    working=st.booleans(),
)
def test_an_override_always_wins(day: dt.date, working: bool) -> None:
    calendar = WorkCalendar(overrides={day: working}, loaded_years=frozenset({2026}))
    assert calendar.is_working_day(day) is working


@settings(max_examples=100, deadline=None)
@given(a=KNOWN_DAYS, apart=st.integers(min_value=-400, max_value=400))
def test_working_days_between_is_antisymmetric(a: dt.date, apart: int) -> None:
    # Deadlines lie months apart, not decades: counting day by day over decades only costs.
    b = a + dt.timedelta(days=apart)
    calendar = WorkCalendar()
    assert calendar.working_days_between(a, b) == -calendar.working_days_between(b, a)


# --- The database part -------------------------------------------------------------------------


async def test_loaded_overrides_change_the_answer(database: Database) -> None:
    async with database.transaction() as session:
        session.add(CalendarOverride(day=D(2026, 10, 8), kind="holiday"))
        session.add(CalendarOverride(day=D(2027, 10, 1), kind="holiday"))
    async with database.sessions() as session:
        calendar = await load_calendar(session, years=[2026])
    assert dict(calendar.overrides) == {D(2026, 10, 8): False}
    assert calendar.add_working_days(D(2026, 9, 28), 7).due == D(2026, 10, 14)


async def test_import_is_all_or_nothing_with_line_numbers(database: Database) -> None:
    text = "date,kind\n2027-01-01,holiday\n2027-02-30,holiday\n2027-02-06,weekend\n"
    async with database.transaction() as session:
        result = await import_overrides(session, text=text)
    assert not result.ok
    assert [(p.line, p.reason) for p in result.problems] == [(3, "bad_date"), (4, "bad_kind")]
    async with database.sessions() as session:
        assert (await year_calendar(session, year=2027)).source == "unknown"


async def test_importing_2027_makes_it_known_and_exact(database: Database) -> None:
    text = "date,kind\n2027-01-01,holiday\n2027-02-06,workday\n" + "".join(
        f"2027-02-{day:02d},holiday\n" for day in range(8, 13)
    )
    async with database.transaction() as session:
        result = await import_overrides(session, text=text, note="国办发明电", complete=True)
    assert (result.ok, result.imported, result.years) == (True, 7, (2027,))
    async with database.sessions() as session:
        calendar = await load_calendar(session, years=[2026, 2027])
        status = await year_calendar(session, year=2027)
    assert status.source == "overrides"
    assert status.workdays == (D(2027, 2, 6),)
    assert D(2027, 1, 1) in status.holidays
    # Fri 02-05: Sat 02-06 worked, the festival week off, Mon 02-15 is the second day.
    assert calendar.add_working_days(D(2027, 2, 5), 2) == Deadline(D(2027, 2, 15), False)
    # Re-importing replaces the same days instead of failing.
    async with database.transaction() as session:
        again = await import_overrides(session, text="2027-02-06,holiday\n")
    assert (again.imported, again.replaced) == (1, 1)


def test_describe_year_lists_the_exceptions_of_2026() -> None:
    status = describe_year(WorkCalendar(), 2026)
    assert status.source == "library"
    assert set(status.workdays) >= {D(2026, 2, 14), D(2026, 2, 28), D(2026, 9, 20), D(2026, 10, 10)}
    assert D(2026, 10, 8) not in status.holidays and D(2026, 10, 7) in status.holidays
