"""On time, late and overdue per department, for any stage with a deadline rule.

A year's deadline for a whole cohort (every project's goals by 一上, every Q3 tracking form)
is one date: it is computed once here with the administrators' rule and the working-day
calendar, and the counting against it is done in SQL by the stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from workflow.calendar import rules
from workflow.calendar.workdays import load_calendar
from workflow.core.clock import bureau_tz
from workflow.dashboards.registry import Chart, Column, Measure, View
from workflow.dashboards.scope import StatsScope

COLUMNS = (
    Column("department", Measure.label),
    Column("on_time", Measure.count),
    Column("late", Measure.count),
    Column("overdue", Measure.count),
    Column("on_time_rate", Measure.rate, charted=False),
)
RATE_OF = {"on_time_rate": ("on_time", ("on_time", "late", "overdue"))}


@dataclass(frozen=True, slots=True)
class Due:
    """A cohort's due date and the first moment (UTC) that is late."""

    day: dt.date
    late_from: dt.datetime
    passed: bool  # the due day is over (today is after it)


async def cohort_due(
    session: AsyncSession, rule_key: str, events: Mapping[str, dt.date], today: dt.date
) -> Due | None:
    """The due date of a cohort under the rule in force; None when its trigger has no date."""
    rule = (await rules.load_rules(session))[rule_key]
    start = events.get(rule.trigger)
    if start is None:
        return None
    calendar = await load_calendar(session, years=(start.year, start.year + 1))
    day = rule.deadline(start, calendar).due
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=bureau_tz())
    return Due(day, midnight.astimezone(dt.UTC), today > day)


def rate(numerator: Any, denominators: Iterable[Any]) -> Decimal | None:
    """A fraction, exact; None when there is nothing to divide by."""
    total = sum((Decimal(value or 0) for value in denominators), Decimal(0))
    return Decimal(numerator or 0) / total if total else None


def timeliness_view(
    key: str, scope: StatsScope, rows: Iterable[Sequence[Any]], *, order: int
) -> View:
    """Per department: on time, late, overdue and the on-time rate, most overdue first."""
    folded = scope.fold(rows)
    lines = [
        (name, on_time, late, overdue, rate(on_time, (on_time, late, overdue)))
        for name, on_time, late, overdue in folded
        if on_time or late or overdue
    ]
    lines.sort(key=lambda line: (-line[3], line[4] if line[4] is not None else 2, line[0]))
    return View(key, Chart.stacked, COLUMNS, tuple(lines), order=order, ratios=RATE_OF)
