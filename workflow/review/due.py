"""How long a reviewer has: the stage's deadline rule counted in working days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from workflow.calendar.rules import Rule, load_rules, review_rule_key
from workflow.calendar.workdays import WorkCalendar, load_calendar, years_around
from workflow.core.clock import local_day


@dataclass(frozen=True, slots=True)
class StageDue:
    """A reviewer's due date, the working days left (negative when late), and whether the
    calendar behind it is a weekends-only guess."""

    due: dt.date
    days_left: int
    provisional: bool


@dataclass(frozen=True)
class DueCalculator:
    """The stage rules and one calendar, loaded once for many items."""

    rules: dict[str, Rule]
    calendar: WorkCalendar
    today: dt.date

    @classmethod
    async def load(
        cls, session: AsyncSession, *, now: dt.datetime, entered: Iterable[dt.datetime] = ()
    ) -> DueCalculator:
        """Rules and the calendar for today and every stage entry given."""
        today = local_day(now)
        days = [today, *(local_day(moment) for moment in entered)]
        calendar = await load_calendar(session, years=years_around(*days, margin=2))
        return cls(await load_rules(session), calendar, today)

    def stage_due(self, stage: str, entered_at: dt.datetime | None) -> StageDue | None:
        """The due date at `stage` for an item that arrived at `entered_at`."""
        rule = self.rules.get(review_rule_key(stage))
        if rule is None or entered_at is None:
            return None
        deadline = rule.deadline(local_day(entered_at), self.calendar)
        left = self.calendar.working_days_between(self.today, deadline.due)
        return StageDue(deadline.due, left, deadline.provisional)
