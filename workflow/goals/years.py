"""Which budget year a command means when none is given: the one with work in it.

In the autumn the work is on next year's budget while the calendar still shows this year;
defaulting to the calendar year showed an empty list. The year in progress is the earliest
year with projects not yet issued; once every year with projects is issued, the newest of
them; with no projects at all, the calendar year.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.db import Database
from storage.models import BudgetYear, Project
from storage.types import utcnow
from workflow.core.clock import local_day


async def year_in_progress(db: Database, *, now: dt.datetime | None = None) -> int:
    """The budget year being worked on (see the module's docstring)."""
    async with db.sessions() as session:
        rows = (
            await session.execute(
                select(Project.year, BudgetYear.issued_at)
                .outerjoin(BudgetYear, BudgetYear.year == Project.year)
                .distinct()
                .order_by(Project.year)
            )
        ).all()
    open_years = [year for year, issued in rows if issued is None]
    if open_years:
        return open_years[0]
    if rows:
        return rows[-1][0]
    return local_day(now or utcnow()).year


async def newest_issued_year(db: Database, *, now: dt.datetime | None = None) -> int:
    """The newest year whose goals were issued (what a disclosure publishes), else in progress."""
    async with db.sessions() as session:
        year = await session.scalar(
            select(BudgetYear.year)
            .where(BudgetYear.issued_at.is_not(None))
            .order_by(BudgetYear.year.desc())
            .limit(1)
        )
    return year if year is not None else await year_in_progress(db, now=now)
