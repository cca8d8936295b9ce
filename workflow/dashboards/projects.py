"""The web dashboard's project table (sorted, filtered, one page at a time, in SQL) and one
project's timeline, both inside the person's scope (`Action.VIEW_STATS`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    FinanceEvaluation,
    GoalVersion,
    Organisation,
    Person,
    Project,
    ReviewStep,
    SelfEvaluation,
    TrackingReport,
)
from workflow.core import access
from workflow.core.access import Action, Actor
from workflow.dashboards.scope import stats_scope
from workflow.evaluation.prior import RESULT_STATUSES
from workflow.review.kinds import registered

PAGE_SIZE = 50
MAX_QUERY = 50


@dataclass(frozen=True, slots=True)
class ProjectLine:
    """One project in the table."""

    id: int
    name: str
    organisation: str
    status: str
    stage: str | None
    light: str | None
    self_score: Decimal | None
    self_grade: str | None
    finance_score: Decimal | None
    finance_grade: str | None


@dataclass(frozen=True, slots=True)
class ProjectPage:
    """One page of the table and what produced it."""

    lines: tuple[ProjectLine, ...]
    total: int
    page: int
    pages: int
    sort: str
    descending: bool
    query: str
    status: str
    light: str


@dataclass(frozen=True, slots=True)
class TimelineStep:
    """One entry of a project's review timelines (every reviewed kind)."""

    at: dt.datetime
    kind: str
    stage: str | None
    decision: str
    person: str | None
    comment: str | None


@dataclass(frozen=True, slots=True)
class Timeline:
    project_id: int
    name: str
    organisation: str
    status: str
    steps: tuple[TimelineStep, ...]


def _latest(column_id, column_project, *conditions):  # type: ignore[no-untyped-def]
    """Each project's newest row of a table (the largest id), as a subquery."""
    return (
        select(column_project.label("project_id"), func.max(column_id).label("id"))
        .where(*conditions)
        .group_by(column_project)
        .subquery()
    )


async def project_page(
    db: Database,
    *,
    actor: Actor,
    year: int,
    today: dt.date,
    page: int = 1,
    sort: str = "id",
    descending: bool = False,
    query: str = "",
    status: str = "",
    light: str = "",
) -> ProjectPage:
    """A page of the year's projects the actor may see; AccessDenied when none."""
    query = query.strip()[:MAX_QUERY]
    async with db.sessions() as session:
        scope = await stats_scope(session, actor, year=year, today=today)
        goal = _latest(GoalVersion.id, GoalVersion.project_id)
        report = _latest(
            TrackingReport.id, TrackingReport.project_id, TrackingReport.ad_hoc.is_(False)
        )
        sorts = {
            "id": Project.id,
            "name": Project.name,
            "organisation": Organisation.name,
            "status": Project.status,
            "stage": GoalVersion.stage,
            "light": TrackingReport.light,
            "self_score": SelfEvaluation.total_score,
            "finance_score": FinanceEvaluation.total_score,
        }
        sort = sort if sort in sorts else "id"
        conditions = [Project.year == year, *scope.within(Project.organisation_id)]
        if query:
            pattern = f"%{query.replace('%', '').replace('_', '')}%"
            conditions.append(or_(Project.name.like(pattern), Organisation.name.like(pattern)))
        if status:
            conditions.append(Project.status == status)
        if light:
            conditions.append(TrackingReport.light == light)
        joined = (
            select(Project.id)
            .join(Organisation, Organisation.id == Project.organisation_id)
            .outerjoin(goal, goal.c.project_id == Project.id)
            .outerjoin(GoalVersion, GoalVersion.id == goal.c.id)
            .outerjoin(report, report.c.project_id == Project.id)
            .outerjoin(TrackingReport, TrackingReport.id == report.c.id)
            .outerjoin(
                SelfEvaluation,
                and_(
                    SelfEvaluation.project_id == Project.id,
                    SelfEvaluation.status.in_(RESULT_STATUSES),
                ),
            )
            .outerjoin(FinanceEvaluation, FinanceEvaluation.project_id == Project.id)
            .where(*conditions)
        )
        total = await session.scalar(select(func.count()).select_from(joined.subquery())) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 1), pages)
        key = sorts[sort]
        order = (key.desc() if descending else key.asc(), Project.id)
        rows = await session.execute(
            joined.with_only_columns(
                Project.id,
                Project.name,
                Organisation.name,
                Project.status,
                GoalVersion.stage,
                TrackingReport.light,
                SelfEvaluation.total_score,
                SelfEvaluation.grade,
                FinanceEvaluation.total_score,
                FinanceEvaluation.grade,
            )
            .order_by(*order)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
        lines = tuple(ProjectLine(*row) for row in rows)
    return ProjectPage(lines, total, page, pages, sort, descending, query, status, light)


async def project_timeline(db: Database, *, actor: Actor, project_id: int) -> Timeline | None:
    """A project's review timelines, oldest first; None when there is no such project.

    AccessDenied (audited) when the project lies outside the actor's scope.
    """
    async with db.sessions() as session:
        scope = await access.project_scope(session, project_id)
        await access.authorize(
            session,
            actor,
            Action.VIEW_STATS,
            scope=scope,
            object_type="project",
            object_id=project_id,
        )
        head = (
            await session.execute(
                select(Project.name, Organisation.name, Project.status)
                .join(Organisation, Organisation.id == Project.organisation_id)
                .where(Project.id == project_id)
            )
        ).first()
        if head is None:
            return None
        steps = await _steps(session, project_id)
    return Timeline(project_id, head[0], head[1], head[2], steps)


async def _steps(session: AsyncSession, project_id: int) -> tuple[TimelineStep, ...]:
    items = union_all(
        *(
            select(kind.table.id.label("item_id"), literal(kind.name).label("kind")).where(
                kind.table.project_id == project_id
            )
            for kind in registered()
        )
    ).subquery("items")
    rows = await session.execute(
        select(
            ReviewStep.created_at,
            ReviewStep.item_kind,
            ReviewStep.stage,
            ReviewStep.decision,
            Person.name,
            ReviewStep.comment,
        )
        .join(
            items,
            and_(items.c.item_id == ReviewStep.item_id, items.c.kind == ReviewStep.item_kind),
        )
        .outerjoin(Person, Person.id == ReviewStep.actor_id)
        .order_by(ReviewStep.created_at, ReviewStep.id)
    )
    return tuple(TimelineStep(*row) for row in rows)
