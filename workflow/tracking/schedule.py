"""The Q3 tracking period opens by itself: the day after the rule's trigger date of a year.

The `tracking` rule (deadline_rule table) names the event that starts its clock (09-30 by
default, `q3_end`); from the next day until the year ends, a daily run opens the tasks of
every issued project that has none yet. Opening is idempotent, so the daily run, a restart
and an administrator's `/opentracking` never open anything twice, and a bot that was down
on 1 October catches up on its first run.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from storage.db import Database
from storage.models import Project, ProjectStatus
from workflow.calendar import triggers
from workflow.calendar.rules import TRACKING, load_rules
from workflow.core.access import TERMINAL
from workflow.core.clock import local_day
from workflow.tracking.opening import Opened, open_tracking

log = logging.getLogger(__name__)


async def years_to_open(db: Database, *, today: dt.date) -> list[int]:
    """Budget years with issued projects whose tracking period is open today."""
    async with db.sessions() as session:
        rule = (await load_rules(session))[TRACKING]
        years = set(
            await session.scalars(
                select(Project.year).where(Project.status == ProjectStatus.issued.value)
            )
        )
    due = []
    for year in sorted(years):
        starts = triggers.budget_year_events(year).get(rule.trigger)
        if starts is None:  # a trigger that is not a date of the year: no automatic opening
            log.warning("tracking rule trigger %s has no date in %s", rule.trigger, year)
            continue
        if starts < today <= triggers.year_end(year):
            due.append(year)
    return due


async def open_due_periods(db: Database, *, now: dt.datetime) -> dict[int, Opened]:
    """Open every tracking period that is open today; what each opening did."""
    opened = {}
    for year in await years_to_open(db, today=local_day(now)):
        opened[year] = await open_tracking(db, actor=TERMINAL, year=year, now=now)
    return opened
