"""Results' due items: the 30-day rectification plan after an evaluation or spot-check report.

The notice gives a department 30 days to send its plan (or status) after finance's key
evaluation report and after a spot check of its self-evaluation alike (DOMAIN §8).
Requests on tracking owe a written reply instead (workflow/tracking/due.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RectificationSource
from workflow.calendar import rules, triggers
from workflow.calendar.registry import DueSubject, due_source
from workflow.core.clock import local_day
from workflow.tracking.due import open_rectifications, stored_due

DAY = dt.timedelta(days=1)
PLAN_SOURCES = (RectificationSource.evaluation.value, RectificationSource.spot_check.value)


@due_source("results.rectification_plan")
async def rectification_plans_due(
    session: AsyncSession, today: dt.date
) -> AsyncIterator[DueSubject]:
    """Every open request on an evaluation or spot-check report owes a plan within 30 days."""
    for request, project in await open_rectifications(session, PLAN_SOURCES):
        yield DueSubject(
            rules.RECTIFICATION_PLAN,
            f"rr{request.id}.{request.version}",
            project,
            triggers.merged(
                triggers.evaluation_report(request.issued_at),
                triggers.rectification_issued(request.issued_at),
                triggers.budget_year_events(project.year),
            ),
            notify_from=local_day(request.issued_at) + DAY,
            stored_due=stored_due(request),
        )
