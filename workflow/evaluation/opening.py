"""Opening the self-evaluation (部门自评价, DOMAIN §2.7): one per issued project, once.

`open_evaluation` creates a draft 项目支出绩效自评表 for every project of the year whose issued
goal version is in force (superseded versions, 不予预算安排 and withdrawn projects have none),
with the issued annual amount as 年初预算数, and tells the people who fill it through the
outbox. Opening again creates nothing twice: the workflow skips projects that have their
self-evaluation, and the table's unique project refuses what a concurrent opening slipped in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

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
    SelfEvaluation,
)
from storage.types import utcnow
from workflow.calendar.workdays import Deadline
from workflow.core import access, audit
from workflow.core.access import Action, Actor
from workflow.evaluation.tasks import due_of
from workflow.notify.queue import queue_for_people
from workflow.review.notices import money_text
from workflow.tracking.tasks import responsible_people


@dataclass(frozen=True, slots=True)
class Opened:
    """What one opening did."""

    year: int
    opened: list[int] = field(default_factory=list)  # self_evaluation ids created
    existing: int = 0  # projects that had their self-evaluation already


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


async def _evaluated_projects(session: AsyncSession, year: int) -> set[int]:
    rows = await session.scalars(
        select(SelfEvaluation.project_id)
        .join(Project, Project.id == SelfEvaluation.project_id)
        .where(Project.year == year)
    )
    return set(rows)


async def count_to_open(db: Database, *, actor: Actor, year: int) -> Opened:
    """How many self-evaluations opening `year` would create, and how many exist."""
    async with db.sessions() as session:
        await access.authorize(
            session, actor, Action.OPEN_EVALUATION, object_type="budget_year", object_id=year
        )
        have = await _evaluated_projects(session, year)
        projects = [project.id for project, _ in await _in_force(session, year)]
        missing = [pid for pid in projects if pid not in have]
        return Opened(year, opened=[0] * len(missing), existing=len(projects) - len(missing))


async def _notify(
    session: AsyncSession, project: Project, evaluation: SelfEvaluation, due: Deadline
) -> None:
    """The people who fill the form hear of the task once, with a button to its card."""
    queue_for_people(
        session,
        await responsible_people(session, project.organisation_id),
        template="evaluation_opened",
        context={
            "project": project.name,
            "year": project.year,
            "due": due.due,
            "provisional": due.provisional,
            "budget": money_text(evaluation.budget_initial),
        },
        buttons=[[("evaluation_start", {"evaluation": ["c", evaluation.id]})]],  # built by the bot
        dedupe_prefix=f"self_evaluation:{evaluation.id}",
    )


async def _open(db: Database, actor: Actor, year: int, now: dt.datetime) -> Opened:
    async with db.transaction() as session:
        await access.authorize(
            session, actor, Action.OPEN_EVALUATION, object_type="budget_year", object_id=year
        )
        have = await _evaluated_projects(session, year)
        candidates = await _in_force(session, year)
        due = await due_of(session, year)
        opened: list[int] = []
        for project, version in candidates:
            if project.id in have:
                continue
            evaluation = SelfEvaluation(
                project_id=project.id or 0,
                goal_version_id=version.id or 0,
                status=ReportStatus.draft.value,
                budget_initial=version.annual_amount,
                created_at=now,
            )
            session.add(evaluation)
            await session.flush()
            opened.append(evaluation.id or 0)
            await _notify(session, project, evaluation, due)
        audit.record(
            session,
            action=Action.OPEN_EVALUATION.value,
            actor_id=actor.person_id,
            object_type="budget_year",
            object_id=year,
            detail={"opened": opened},
        )
        return Opened(year, opened, existing=len(candidates) - len(opened))


async def open_evaluation(
    db: Database, *, actor: Actor, year: int, now: dt.datetime | None = None
) -> Opened:
    """Open the year's self-evaluation: one for every issued project that has none yet."""
    now = now or utcnow()
    try:
        return await _open(db, actor, year, now)
    except IntegrityError:
        # Someone opened the same self-evaluations a moment ago: what is left, open now.
        return await _open(db, actor, year, now)
