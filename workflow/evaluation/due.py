"""Self-evaluation's due items: every issued project evaluates itself after its year ends."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Project, ProjectStatus, ReportStatus, SelfEvaluation
from workflow.calendar import rules, triggers
from workflow.calendar.registry import DueSubject, due_source

DAY = dt.timedelta(days=1)
DONE_REPORTS = (ReportStatus.submitted.value, ReportStatus.accepted.value)


@due_source("evaluation.self_evaluation")
async def self_evaluations_due(session: AsyncSession, today: dt.date) -> AsyncIterator[DueSubject]:
    """Every issued project without a submitted self-evaluation, once its year has ended."""
    issued = await session.scalars(
        select(Project).where(Project.status == ProjectStatus.issued.value)
    )
    evaluated = set(
        await session.scalars(
            select(SelfEvaluation.project_id).where(SelfEvaluation.status.in_(DONE_REPORTS))
        )
    )
    for project in issued:
        year_end = triggers.year_end(project.year)
        if today > year_end and project.id not in evaluated:
            yield DueSubject(
                rules.SELF_EVALUATION,
                f"p{project.id}",
                project,
                triggers.budget_year_events(project.year),
                notify_from=year_end + DAY,
            )
