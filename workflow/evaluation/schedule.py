"""The self-evaluation period opens by itself: the day after the rule's trigger date of a year.

The `self_evaluation` rule (deadline_rule table) names the event that starts its clock (12-31
by default, `year_end`); from the next day until the following year ends, a daily run opens
the self-evaluation of every issued project that has none yet. Opening is idempotent, so the
daily run, a restart and an administrator's `/openevaluation` never open anything twice, and
a bot that was down on 1 January catches up on its first run.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from storage.db import Database
from storage.models import Project, ProjectStatus
from workflow.calendar import triggers
from workflow.calendar.rules import SELF_EVALUATION, load_rules
from workflow.core.access import TERMINAL
from workflow.core.clock import local_day
from workflow.evaluation.opening import Opened, open_evaluation

log = logging.getLogger(__name__)


def opening_day(year: int, trigger: str) -> dt.date | None:
    """The first day `year`'s self-evaluation is open; None when the trigger has no date."""
    starts = triggers.budget_year_events(year).get(trigger)
    return None if starts is None else starts + dt.timedelta(days=1)


async def years_to_open(db: Database, *, today: dt.date) -> list[int]:
    """Budget years with issued projects whose self-evaluation period is open today."""
    async with db.sessions() as session:
        rule = (await load_rules(session))[SELF_EVALUATION]
        years = set(
            await session.scalars(
                select(Project.year).where(Project.status == ProjectStatus.issued.value)
            )
        )
    due = []
    for year in sorted(years):
        opens = opening_day(year, rule.trigger)
        if opens is None:  # a trigger that is not a date of the year: no automatic opening
            log.warning("self_evaluation rule trigger %s has no date in %s", rule.trigger, year)
            continue
        # Open until the following year ends: late is better than never for a report owed.
        if opens <= today <= triggers.year_end(year + 1):
            due.append(year)
    return due


async def open_due_periods(db: Database, *, now: dt.datetime) -> dict[int, Opened]:
    """Open every self-evaluation period that is open today; what each opening did."""
    opened = {}
    for year in await years_to_open(db, today=local_day(now)):
        opened[year] = await open_evaluation(db, actor=TERMINAL, year=year, now=now)
    return opened
