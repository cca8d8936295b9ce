"""Opening the Q3 tracking (绩效跟踪, DOMAIN §2.6): one task per issued project, once.

`open_tracking` creates a draft 绩效跟踪表 for every project of the year whose issued goal
version is in force (superseded versions, 不予预算安排 and withdrawn projects have none), and
tells the people who fill it through the outbox. Opening again creates nothing twice: the
workflow skips projects that have their task, and a unique index on (project, period) for
periodic tasks refuses what a concurrent opening slipped in. The performance section may
also track any issued project ad hoc, with its own due date and a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    GoalVersion,
    GoalVersionStatus,
    Project,
    ProjectStatus,
    ReportStatus,
    TrackingReport,
)
from storage.types import utcnow
from workflow.core import access, audit
from workflow.core.access import Action, Actor
from workflow.core.clock import local_day
from workflow.notify.queue import queue_for_people
from workflow.review.notices import money_text
from workflow.tracking.tasks import due_of, q3_end, responsible_people

UNFINISHED = (ReportStatus.draft.value, ReportStatus.submitted.value, ReportStatus.returned.value)


@dataclass(frozen=True, slots=True)
class Opened:
    """What one opening did."""

    year: int
    opened: list[int] = field(default_factory=list)  # tracking_report ids created
    existing: int = 0  # projects that had their task already


async def _in_force(session: AsyncSession, year: int) -> list[tuple[Project, GoalVersion]]:
    """Issued projects of `year` with the goal version in force."""
    rows = await session.execute(
        select(Project, GoalVersion)
        .join(GoalVersion, GoalVersion.project_id == Project.id)
        .where(
            Project.year == year,
            Project.status == ProjectStatus.issued.value,
            GoalVersion.status == GoalVersionStatus.issued.value,
        )
        .order_by(Project.id)
    )
    return [(project, version) for project, version in rows]


async def _periodic_projects(session: AsyncSession, period_end: dt.date) -> set[int]:
    rows = await session.scalars(
        select(TrackingReport.project_id).where(
            TrackingReport.period_end == period_end, TrackingReport.ad_hoc.is_(False)
        )
    )
    return set(rows)


async def count_to_open(db: Database, *, actor: Actor, year: int) -> Opened:
    """How many tasks opening `year` would create, and how many exist (for a confirmation)."""
    async with db.sessions() as session:
        await access.authorize(
            session, actor, Action.OPEN_TRACKING, object_type="budget_year", object_id=year
        )
        have = await _periodic_projects(session, q3_end(year))
        projects = [project.id for project, _ in await _in_force(session, year)]
        missing = [pid for pid in projects if pid not in have]
        return Opened(year, opened=[0] * len(missing), existing=len(projects) - len(missing))


async def _notify(session: AsyncSession, project: Project, report: TrackingReport) -> None:
    """The people who fill the form hear of the task once, with a button to its card."""
    due = await due_of(session, report)
    queue_for_people(
        session,
        await responsible_people(session, project.organisation_id),
        template="tracking_opened",
        context={
            "project": project.name,
            "year": project.year,
            "period_end": report.period_end,
            "ad_hoc": report.ad_hoc,
            "reason": report.reason,
            "due": due.due,
            "provisional": due.provisional,
            "budget": money_text(report.budget_initial),
        },
        buttons=[[("tracking_start", {"tracking": ["c", report.id]})]],  # built by the bot
        dedupe_prefix=f"tracking:{project.id}:{report.period_end.isoformat()}"
        + (":adhoc" if report.ad_hoc else ""),
    )


async def _open(db: Database, actor: Actor, year: int, now: dt.datetime) -> Opened:
    async with db.transaction() as session:
        await access.authorize(
            session, actor, Action.OPEN_TRACKING, object_type="budget_year", object_id=year
        )
        period_end = q3_end(year)
        have = await _periodic_projects(session, period_end)
        candidates = await _in_force(session, year)
        opened: list[int] = []
        for project, version in candidates:
            if project.id in have:
                continue
            report = TrackingReport(
                project_id=project.id or 0,
                goal_version_id=version.id or 0,
                period_end=period_end,
                ad_hoc=False,
                status=ReportStatus.draft.value,
                budget_initial=version.annual_amount,
                created_at=now,
            )
            session.add(report)
            await session.flush()
            opened.append(report.id or 0)
            await _notify(session, project, report)
        audit.record(
            session,
            action=Action.OPEN_TRACKING.value,
            actor_id=actor.person_id,
            object_type="budget_year",
            object_id=year,
            detail={"opened": opened},
        )
        return Opened(year, opened, existing=len(candidates) - len(opened))


async def open_tracking(
    db: Database, *, actor: Actor, year: int, now: dt.datetime | None = None
) -> Opened:
    """Open the year's Q3 tracking: a task for every issued project that has none yet."""
    now = now or utcnow()
    try:
        return await _open(db, actor, year, now)
    except IntegrityError:
        # Someone opened the same tasks a moment ago: what is left to open, open now.
        return await _open(db, actor, year, now)


class AdHocOutcome(StrEnum):
    """What asking for an ad-hoc tracking came to."""

    opened = "opened"
    not_issued = "not_issued"  # no issued goal version in force: nothing to track against
    duplicate = "duplicate"  # a task for this project and period, or an unfinished ad hoc
    past_due = "past_due"  # the due date is before today
    reason_required = "reason_required"


@dataclass(frozen=True, slots=True)
class AdHoc:
    """The result of an ad-hoc tracking request."""

    outcome: AdHocOutcome
    report_id: int | None = None
    project: str | None = None


async def open_ad_hoc(
    db: Database,
    *,
    actor: Actor,
    project_id: int,
    due_date: dt.date,
    reason: str,
    now: dt.datetime | None = None,
) -> AdHoc:
    """The performance section tracks one issued project now (progress up to today)."""
    async with db.transaction() as session:
        return await open_ad_hoc_in_session(
            session,
            actor=actor,
            project_id=project_id,
            due_date=due_date,
            reason=reason,
            now=now or utcnow(),
        )


async def open_ad_hoc_in_session(
    session: AsyncSession,
    *,
    actor: Actor,
    project_id: int,
    due_date: dt.date,
    reason: str,
    now: dt.datetime,
) -> AdHoc:
    """open_ad_hoc in the caller's transaction (the short form's submit)."""
    today = local_day(now)
    scope = await access.project_scope(session, project_id)
    await access.authorize(
        session,
        actor,
        Action.TRACK_AD_HOC,
        scope=scope,
        object_type="project",
        object_id=project_id,
    )
    if not reason.strip():
        return AdHoc(AdHocOutcome.reason_required)
    if due_date < today:
        return AdHoc(AdHocOutcome.past_due)
    found = next(((p, v) for p, v in await _in_force_project(session, project_id)), None)
    if found is None:
        return AdHoc(AdHocOutcome.not_issued)
    project, version = found
    if await _clashes(session, project_id, today):
        return AdHoc(AdHocOutcome.duplicate, project=project.name)
    report = TrackingReport(
        project_id=project_id,
        goal_version_id=version.id or 0,
        period_end=today,
        ad_hoc=True,
        status=ReportStatus.draft.value,
        budget_initial=version.annual_amount,
        due_date=due_date,
        reason=reason.strip(),
        created_at=now,
    )
    session.add(report)
    await session.flush()
    audit.record(
        session,
        action=Action.TRACK_AD_HOC.value,
        actor_id=actor.person_id,
        object_type="project",
        object_id=project_id,
        detail={"tracking_report_id": report.id, "due_date": due_date.isoformat()},
    )
    await _notify(session, project, report)
    return AdHoc(AdHocOutcome.opened, report.id, project.name)


async def _in_force_project(
    session: AsyncSession, project_id: int
) -> list[tuple[Project, GoalVersion]]:
    rows = await session.execute(
        select(Project, GoalVersion)
        .join(GoalVersion, GoalVersion.project_id == Project.id)
        .where(
            Project.id == project_id,
            Project.status == ProjectStatus.issued.value,
            GoalVersion.status == GoalVersionStatus.issued.value,
        )
    )
    return [(project, version) for project, version in rows]


async def _clashes(session: AsyncSession, project_id: int, period_end: dt.date) -> bool:
    """A task for the same project and period, or an ad-hoc one not finished yet."""
    found = await session.scalar(
        select(TrackingReport.id)
        .where(
            TrackingReport.project_id == project_id,
            (TrackingReport.period_end == period_end)
            | (TrackingReport.ad_hoc.is_(True) & TrackingReport.status.in_(UNFINISHED)),
        )
        .limit(1)
    )
    return found is not None


async def ad_hoc_check(db: Database, *, actor: Actor, project_id: int, now: dt.datetime) -> AdHoc:
    """Whether the actor may track this project ad hoc now (`opened` means: go ahead)."""
    async with db.sessions() as session:
        scope = await access.project_scope(session, project_id)
        await access.authorize(
            session,
            actor,
            Action.TRACK_AD_HOC,
            scope=scope,
            object_type="project",
            object_id=project_id,
        )
        found = next(((p, v) for p, v in await _in_force_project(session, project_id)), None)
        if found is None:
            return AdHoc(AdHocOutcome.not_issued)
        if await _clashes(session, project_id, local_day(now)):
            return AdHoc(AdHocOutcome.duplicate, project=found[0].name)
        return AdHoc(AdHocOutcome.opened, project=found[0].name)
