"""Self-evaluation's due items: every issued project evaluates itself after its year ends."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Project, ProjectStatus, ReportStatus, SelfEvaluation
from workflow.calendar import rules, triggers
from workflow.calendar.registry import (
    PROJECT_COLUMNS,
    DueSubject,
    ProjectRef,
    due_source,
    not_reminded,
    project_subject,
)
from workflow.core.clock import local_day

DAY = dt.timedelta(days=1)
STREAM_ROWS = 2000  # rows fetched at a time: memory stays flat in the number of projects
DONE_REPORTS = (ReportStatus.submitted.value, ReportStatus.accepted.value)


@due_source("evaluation.self_evaluation")
async def self_evaluations_due(session: AsyncSession, today: dt.date) -> AsyncIterator[DueSubject]:
    """Every issued project without a submitted self-evaluation, once its year has ended."""
    # Only years that have ended, only projects without a done report: chosen in SQL.
    latest = today.year if today > triggers.year_end(today.year) else today.year - 1
    done = select(SelfEvaluation.id).where(
        SelfEvaluation.project_id == Project.id, SelfEvaluation.status.in_(DONE_REPORTS)
    )
    rows = await session.stream(
        select(*PROJECT_COLUMNS).where(
            Project.status == ProjectStatus.issued.value,
            Project.year <= latest,
            ~done.exists(),
            not_reminded(rules.SELF_EVALUATION, project_subject(), Project.organisation_id),
        )
    )
    async for part in rows.partitions(STREAM_ROWS):
        for row in part:
            project = ProjectRef(*row)
            year_end = triggers.year_end(project.year)
            if today > year_end:
                yield DueSubject(
                    rules.SELF_EVALUATION,
                    f"p{project.id}",
                    project,
                    triggers.budget_year_events(project.year),
                    notify_from=year_end + DAY,
                )


@due_source("evaluation.review")
async def evaluation_reviews_due(
    session: AsyncSession, today: dt.date
) -> AsyncIterator[DueSubject]:
    """Every submitted self-evaluation waiting at the head or the performance section, on
    the review clock of that stage (the rule table's review.<stage>)."""
    del today
    rows = await session.execute(
        select(SelfEvaluation, Project)
        .join(Project, Project.id == SelfEvaluation.project_id)
        .where(
            SelfEvaluation.status == ReportStatus.submitted.value,
            SelfEvaluation.stage.in_([stage.value for stage in rules.REVIEWED_STAGES]),
            SelfEvaluation.stage_entered_at.is_not(None),
        )
    )
    for evaluation, project in rows:
        entered = evaluation.stage_entered_at
        assert entered is not None and evaluation.stage is not None
        yield DueSubject(
            rules.review_rule_key(evaluation.stage),
            f"se{evaluation.id}.{evaluation.version}",
            project,
            triggers.merged(
                triggers.stage_entered(entered), triggers.budget_year_events(project.year)
            ),
            notify_from=local_day(entered) + DAY,
            stage=evaluation.stage,
            reviewers=evaluation.stage,
        )
