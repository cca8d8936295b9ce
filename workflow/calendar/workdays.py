"""Chinese working days: chinesecalendar, with the administrators' overrides on top.

The arithmetic is pure (a `WorkCalendar` value answers every question); the database part
loads the overrides for whole years once, so a sweep over hundreds of deadlines costs one
query. A year that neither chinesecalendar nor the overrides know is counted weekends-only
and every answer that touched it says `provisional=True`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

import chinese_calendar
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CalendarOverride, CalendarYear, DayKind
from workflow.core import audit

T = TypeVar("T")

ONE_DAY = dt.timedelta(days=1)
# Far beyond any deadline of the notice (3 months); guards a loop against a broken calendar.
MAX_SEARCH_DAYS = 3660


@lru_cache(maxsize=64)
def library_knows(year: int) -> bool:
    """Whether chinesecalendar has the State Council's schedule for `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=4096)
def _library_is_workday(day: dt.date) -> bool:
    return chinese_calendar.is_workday(day)


class OutsideLoadedYears(LookupError):
    """A question about a year whose overrides were not loaded: answering would mislead."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """A due date, and whether it rests on a guessed (weekends-only) calendar."""

    due: dt.date
    provisional: bool = False


@dataclass(frozen=True)
class WorkCalendar:
    """Working days for a span of years: overrides beat chinesecalendar beats weekends.

    `overrides` maps a date to True (working day) or False (holiday). `loaded_years` are the
    years whose overrides were read; None means "no database", i.e. chinesecalendar alone.
    """

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    loaded_years: frozenset[int] | None = None
    # Answers already given: a sweep asks the same few questions for ~100,000 items.
    _memo: dict[tuple, Any] = field(default_factory=dict, compare=False, repr=False)

    def _remembered(self, key: tuple, compute: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # Years whose loaded schedule the administrator confirmed complete: official.
    complete_years: frozenset[int] = frozenset()

    def _check_loaded(self, day: dt.date) -> None:
        if self.loaded_years is not None and day.year not in self.loaded_years:
            raise OutsideLoadedYears(f"calendar overrides for {day.year} were not loaded")

    def year_has_overrides(self, year: int) -> bool:
        """Whether an administrator loaded anything for `year`."""
        return any(day.year == year for day in self.overrides)

    def is_known(self, year: int) -> bool:
        """Whether `year` has an official schedule: chinesecalendar's, or loaded overrides the
        administrator confirmed complete (part of a year loaded stays provisional)."""
        return self._remembered(
            ("known", year), lambda: library_knows(year) or year in self.complete_years
        )

    def is_provisional(self, day: dt.date) -> bool:
        """Whether the answer for `day` is a weekends-only guess."""
        self._check_loaded(day)
        return not self.is_known(day.year)

    def is_working_day(self, day: dt.date) -> bool:
        """Whether `day` is a working day (调休 make-up days are)."""
        self._check_loaded(day)
        if day in self.overrides:
            return self.overrides[day]
        if library_knows(day.year):
            return _library_is_workday(day)
        return day.weekday() < 5

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the first working day after it."""
        for _ in range(MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                return day
            day += ONE_DAY
        raise ValueError("no working day within ten years")

    def add_working_days(self, start: dt.date, days: int) -> Deadline:
        """ "N 个工作日" after `start`: the start day never counts, even when it is a working day.

        Counted in our own loop: chinesecalendar's find_workday is off by one when the start
        is not a working day. Zero days means the start day, or the next working day.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        return self._remembered(("working", start, days), lambda: self._add(start, days))

    def _add(self, start: dt.date, days: int) -> Deadline:
        provisional = self.is_provisional(start)
        if days == 0:
            due = self.next_working_day(start)
            return Deadline(due, provisional or self.is_provisional(due))
        day, counted = start, 0
        for _ in range(MAX_SEARCH_DAYS):
            day += ONE_DAY
            provisional = provisional or self.is_provisional(day)
            if self.is_working_day(day):
                counted += 1
                if counted == days:
                    return Deadline(day, provisional)
        raise ValueError("no deadline within ten years")

    def calendar_deadline(self, start: dt.date, days: int) -> Deadline:
        """ "N 日内" after `start` (民法典 §201, §203): start day not counted; a last day that is
        not a working day moves to the next working day."""
        if days < 0:
            raise ValueError("days must not be negative")
        return self._remembered(
            ("calendar", start, days),
            lambda: self._move_to_working_day(start + dt.timedelta(days=days)),
        )

    def months_deadline(self, start: dt.date, months: int) -> Deadline:
        """ "N 个月内" after `start` (民法典 §202): the same day N months on, or that month's
        last day when it has no such day; moved off a holiday like a calendar-day deadline."""
        if months < 0:
            raise ValueError("months must not be negative")
        year, month_index = divmod(start.month - 1 + months, 12)
        year += start.year
        month = month_index + 1
        last_day = _last_day_of_month(year, month)
        # A start on its month's last day ends on the target month's last day (12-31 → 03-31).
        if start.day == _last_day_of_month(start.year, start.month):
            day = last_day
        else:
            day = min(start.day, last_day)
        return self._move_to_working_day(dt.date(year, month, day))

    def fixed_deadline(self, day: dt.date) -> Deadline:
        """A date someone set (e.g. the budget's first submission), kept as it is."""
        return Deadline(day, self.is_provisional(day))

    def _move_to_working_day(self, last_day: dt.date) -> Deadline:
        due = self.next_working_day(last_day)
        provisional = any(
            self.is_provisional(last_day + dt.timedelta(days=offset))
            for offset in range((due - last_day).days + 1)
        )
        return Deadline(due, provisional)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative (those in (end, start]) when end < start.

        On consecutive working days this changes by exactly one, which is what the reminder
        slots ("7 working days before", "2nd working day overdue") rely on.
        """
        if end < start:
            return -self.working_days_between(end, start)
        return self._remembered(("between", start, end), lambda: self._count(start, end))

    def _count(self, start: dt.date, end: dt.date) -> int:
        count, day = 0, start
        while day < end:
            day += ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count


def _last_day_of_month(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - ONE_DAY).day


LIBRARY_CALENDAR = WorkCalendar()


def is_working_day(day: dt.date, *, calendar: WorkCalendar = LIBRARY_CALENDAR) -> bool:
    """Whether `day` is a working day in `calendar` (chinesecalendar alone by default)."""
    return calendar.is_working_day(day)


def add_working_days(
    start: dt.date, days: int, *, calendar: WorkCalendar = LIBRARY_CALENDAR
) -> Deadline:
    """The deadline `days` working days after `start` ("N 个工作日")."""
    return calendar.add_working_days(start, days)


def calendar_deadline(
    start: dt.date, days: int, *, calendar: WorkCalendar = LIBRARY_CALENDAR
) -> Deadline:
    """The deadline `days` calendar days after `start` ("N 日内")."""
    return calendar.calendar_deadline(start, days)


async def load_calendar(session: AsyncSession, *, years: Iterable[int]) -> WorkCalendar:
    """The calendar for whole `years` (their overrides read in one query)."""
    wanted = frozenset(years)
    if not wanted:
        return WorkCalendar(loaded_years=frozenset())
    first, last = min(wanted), max(wanted)
    rows = await session.scalars(
        select(CalendarOverride).where(
            CalendarOverride.day >= dt.date(first, 1, 1),
            CalendarOverride.day <= dt.date(last, 12, 31),
        )
    )
    overrides = {row.day: row.kind == DayKind.workday.value for row in rows}
    complete = await session.scalars(
        select(CalendarYear.year).where(CalendarYear.year.between(first, last))
    )
    return WorkCalendar(
        overrides=overrides,
        loaded_years=frozenset(range(first, last + 1)),
        complete_years=frozenset(complete),
    )


def years_around(*days: dt.date, margin: int = 1) -> range:
    """The years spanned by `days`, widened by `margin` years after the last one."""
    return range(min(day.year for day in days), max(day.year for day in days) + margin + 1)


# --- The administrator's overrides ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvProblem:
    """One bad line of a calendar CSV."""

    line: int
    reason: str  # key of the message: bad_header / bad_date / bad_kind / duplicate / columns
    text: str


@dataclass(frozen=True, slots=True)
class CalendarImport:
    """What an import did, or why nothing was imported."""

    problems: tuple[CsvProblem, ...] = ()
    imported: int = 0
    replaced: int = 0
    years: tuple[int, ...] = ()
    complete: bool = False  # the years were confirmed complete (official) with this import

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_calendar_csv(text: str) -> tuple[dict[dt.date, str], list[CsvProblem]]:
    """Rows of `date,kind` (kind workday or holiday); an optional header line is allowed."""
    entries: dict[dt.date, str] = {}
    problems: list[CsvProblem] = []
    kinds = {kind.value for kind in DayKind}
    for number, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        raw = ",".join(row)
        if number == 1 and [c.lower() for c in cells] == ["date", "kind"]:
            continue
        if len(cells) != 2:
            problems.append(CsvProblem(number, "columns", raw))
            continue
        try:
            day = dt.date.fromisoformat(cells[0])
        except ValueError:
            problems.append(CsvProblem(number, "bad_date", raw))
            continue
        kind = cells[1].lower()
        if kind not in kinds:
            problems.append(CsvProblem(number, "bad_kind", raw))
        elif day in entries:
            problems.append(CsvProblem(number, "duplicate", raw))
        else:
            entries[day] = kind
    return entries, problems


async def import_overrides(
    session: AsyncSession,
    *,
    text: str,
    actor_id: int | None = None,
    note: str | None = None,
    complete: bool = False,
) -> CalendarImport:
    """Load a CSV of overrides, all or nothing: any bad line and nothing is written.

    `complete`: the administrator confirms the file holds the years' whole schedule, which
    makes them official; without it the days are used but the years stay provisional.
    """
    entries, problems = parse_calendar_csv(text)
    if problems:
        return CalendarImport(problems=tuple(problems))
    if not entries:
        return CalendarImport(problems=(CsvProblem(0, "empty", ""),))
    existing = set(
        await session.scalars(
            select(CalendarOverride.day).where(CalendarOverride.day.in_(list(entries)))
        )
    )
    if existing:
        await session.execute(delete(CalendarOverride).where(CalendarOverride.day.in_(existing)))
    session.add_all(
        CalendarOverride(day=day, kind=kind, note=note, created_by_id=actor_id)
        for day, kind in sorted(entries.items())
    )
    years = tuple(sorted({day.year for day in entries}))
    if complete:
        confirmed = set(
            await session.scalars(select(CalendarYear.year).where(CalendarYear.year.in_(years)))
        )
        session.add_all(
            CalendarYear(year=year, confirmed_by_id=actor_id)
            for year in years
            if year not in confirmed
        )
    audit.record(
        session,
        action="calendar.import",
        actor_id=actor_id,
        object_type="calendar_override",
        detail={
            "days": len(entries),
            "replaced": len(existing),
            "years": list(years),
            "complete": complete,
        },
    )
    return CalendarImport(
        imported=len(entries), replaced=len(existing), years=years, complete=complete
    )


@dataclass(frozen=True, slots=True)
class YearCalendar:
    """A year's status and its exceptional days, for the admin view and the CLI."""

    year: int
    source: str  # library / overrides / library+overrides / partial (not confirmed) / unknown
    holidays: tuple[dt.date, ...]  # weekdays off
    workdays: tuple[dt.date, ...]  # weekend days worked (调休)
    override_count: int

    @property
    def known(self) -> bool:
        return self.source not in ("unknown", "partial")


def describe_year(calendar: WorkCalendar, year: int) -> YearCalendar:
    """Which days of `year` break the weekend rule, and where that knowledge comes from."""
    in_library = library_knows(year)
    has_overrides = calendar.year_has_overrides(year)
    source = {
        (True, True): "library+overrides",
        (True, False): "library",
        (False, True): "overrides" if year in calendar.complete_years else "partial",
        (False, False): "unknown",
    }[(in_library, has_overrides)]
    holidays, workdays = [], []
    day = dt.date(year, 1, 1)
    while day.year == year:
        working = calendar.is_working_day(day)
        weekend = day.weekday() >= 5
        if weekend and working:
            workdays.append(day)
        elif not weekend and not working:
            holidays.append(day)
        day += ONE_DAY
    override_count = sum(1 for day in calendar.overrides if day.year == year)
    return YearCalendar(year, source, tuple(holidays), tuple(workdays), override_count)


async def year_calendar(session: AsyncSession, *, year: int) -> YearCalendar:
    """The status of `year` from the database."""
    return describe_year(await load_calendar(session, years=[year]), year)
