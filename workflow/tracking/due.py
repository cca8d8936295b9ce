"""Tracking's due items: the Q3 tracking form, finance's review of it, and the written
reply to a rectification request issued on tracking (or ad hoc).

Requests that follow an evaluation or spot-check report owe a 30-day plan instead: those are
results' (workflow/results/due.py); between them the two claim every request source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Project,
    ProjectStatus,
    RectificationRequest,
    RectificationSource,
    RectificationStatus,
    ReportStatus,
    ReviewStage,
    TrackingReport,
)
from workflow.calendar import rules, triggers
from workflow.calendar.registry import (
    PROJECT_COLUMNS,
    DueSubject,
    ProjectRef,
    due_source,
    not_reminded,
    project_subject,
)
from workflow.calendar.workdays import Deadline
from workflow.core.clock import local_day

DAY = dt.timedelta(days=1)
STREAM_ROWS = 2000  # rows fetched at a time: memory stays flat in the number of projects
DONE_REPORTS = (ReportStatus.submitted.value, ReportStatus.accepted.value)
OPEN_RECTIFICATIONS = (RectificationStatus.open.value, RectificationStatus.reopened.value)
REPLY_SOURCES = (RectificationSource.tracking.value, RectificationSource.ad_hoc.value)


@due_source("tracking.form")
async def tracking_due(session: AsyncSession, today: dt.date) -> AsyncIterator[DueSubject]:
    """Every issued project without its Q3 tracking form, once Q3 has ended."""
    # Only years whose Q3 has ended, only projects without a done report: chosen in SQL.
    latest = today.year if today >= triggers.q3_end(today.year) else today.year - 1
    done = select(TrackingReport.id).where(
        TrackingReport.project_id == Project.id,
        TrackingReport.ad_hoc.is_(False),
        TrackingReport.status.in_(DONE_REPORTS),
    )
    rows = await session.stream(
        select(*PROJECT_COLUMNS).where(
            Project.status == ProjectStatus.issued.value,
            Project.year <= latest,
            ~done.exists(),
            not_reminded(rules.TRACKING, project_subject(), Project.organisation_id),
        )
    )
    async for part in rows.partitions(STREAM_ROWS):
        for row in part:
            project = ProjectRef(*row)
            q3_end = triggers.q3_end(project.year)
            if today >= q3_end:
                yield DueSubject(
                    rules.TRACKING,
                    f"p{project.id}",
                    project,
                    triggers.budget_year_events(project.year),
                    notify_from=q3_end,
                )


@due_source("tracking.review")
async def tracking_reviews_due(session: AsyncSession, today: dt.date) -> AsyncIterator[DueSubject]:
    """Every submitted tracking form finance has not reviewed yet."""
    rows = await session.execute(
        select(TrackingReport, Project)
        .join(Project, Project.id == TrackingReport.project_id)
        .where(
            TrackingReport.status == ReportStatus.submitted.value,
            TrackingReport.submitted_at.is_not(None),
        )
    )
    for report, project in rows:
        if report.stage == ReviewStage.head.value and report.stage_entered_at is not None:
            # The department head 审定s first, on the goal review's clock for that stage.
            entered = report.stage_entered_at
            yield DueSubject(
                rules.review_rule_key(report.stage),
                f"tr{report.id}.{report.version}",
                project,
                triggers.merged(
                    triggers.stage_entered(entered), triggers.budget_year_events(project.year)
                ),
                notify_from=local_day(entered) + DAY,
                stage=report.stage,
                reviewers=report.stage,
            )
            continue
        # The performance section reviews within 7 working days of receiving it (DOMAIN §6).
        received = report.stage_entered_at or report.submitted_at
        yield DueSubject(
            rules.TRACKING_REVIEW,
            f"tr{report.id}.{report.version}",
            project,
            triggers.merged(
                triggers.tracking_submitted(received),
                triggers.budget_year_events(project.year),
            ),
            notify_from=local_day(received) + DAY,
            reviewers=ReviewStage.performance.value,
        )


async def open_rectifications(
    session: AsyncSession, sources: Sequence[str]
) -> list[tuple[RectificationRequest, Project]]:
    """The open (or reopened) rectification requests from `sources`, with their projects."""
    rows = await session.execute(
        select(RectificationRequest, Project)
        .join(Project, Project.id == RectificationRequest.project_id)
        .where(
            RectificationRequest.status.in_(OPEN_RECTIFICATIONS),
            RectificationRequest.source.in_(list(sources)),
        )
    )
    return [(request, project) for request, project in rows]


def stored_due(request: RectificationRequest) -> Deadline | None:
    """The due date finance fixed on the request, unless it was only a weekends-only guess."""
    if request.due_date is None or request.due_provisional:
        return None
    return Deadline(request.due_date, False)


@due_source("tracking.rectification_reply")
async def rectification_replies_due(
    session: AsyncSession, today: dt.date
) -> AsyncIterator[DueSubject]:
    """Every open request on tracking owes a written reply within 7 working days."""
    for request, project in await open_rectifications(session, REPLY_SOURCES):
        yield DueSubject(
            rules.RECTIFICATION_REPLY,
            f"rr{request.id}.{request.version}",
            project,
            triggers.merged(
                triggers.rectification_issued(request.issued_at),
                triggers.budget_year_events(project.year),
            ),
            notify_from=local_day(request.issued_at) + DAY,
            stored_due=stored_due(request),
        )
