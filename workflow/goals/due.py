"""Goal declaration's due items: a draft or returned project owes its goals by 一上."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BudgetYear, Project, ProjectStatus
from workflow.calendar import rules, triggers
from workflow.calendar.registry import DueSubject, due_source, not_reminded, project_subject

OPEN_DECLARATIONS = (ProjectStatus.draft.value, ProjectStatus.returned.value)


@due_source("goals.declaration")
async def declarations_due(session: AsyncSession, today: dt.date) -> AsyncIterator[DueSubject]:
    """Every project still being declared in a year whose first submission date is set."""
    rows = await session.execute(
        select(Project, BudgetYear.goal_submission_date)
        .join(BudgetYear, BudgetYear.year == Project.year)
        .where(
            BudgetYear.goal_submission_date.is_not(None),
            Project.status.in_(OPEN_DECLARATIONS),
            not_reminded(rules.GOAL_DECLARATION, project_subject(), Project.organisation_id),
        )
    )
    for project, submission_date in rows:
        yield DueSubject(
            rules.GOAL_DECLARATION,
            f"p{project.id}",
            project,
            triggers.merged(
                triggers.goal_submission_date(submission_date),
                triggers.budget_year_events(project.year),
            ),
            # The whole declaration period counts down: every slot may remind.
            notify_from=dt.date.min,
        )
