"""The goal review stages' due items: a goal version waiting at a reviewer's stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GoalVersion, GoalVersionStatus, Project
from workflow.calendar import rules, triggers
from workflow.calendar.registry import DueSubject, due_source
from workflow.core.clock import local_day

DAY = dt.timedelta(days=1)


@due_source("review.goal_stages")
async def goal_reviews_due(session: AsyncSession, today: dt.date) -> AsyncIterator[DueSubject]:
    """Every goal version in review at a stage with a time limit."""
    rows = await session.execute(
        select(GoalVersion, Project)
        .join(Project, Project.id == GoalVersion.project_id)
        .where(
            GoalVersion.status == GoalVersionStatus.in_review.value,
            GoalVersion.stage.in_([stage.value for stage in rules.REVIEWED_STAGES]),
            GoalVersion.stage_entered_at.is_not(None),
        )
    )
    for version, project in rows:
        yield DueSubject(
            rules.review_rule_key(version.stage),
            f"gv{version.id}.{version.version}",
            project,
            triggers.merged(
                triggers.stage_entered(version.stage_entered_at),
                triggers.budget_year_events(project.year),
            ),
            # The arrival notice told them on the day; reminders start the day after.
            notify_from=local_day(version.stage_entered_at) + DAY,
            stage=version.stage,
            reviewers=version.stage,
        )
