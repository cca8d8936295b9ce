"""Goal declaration's figures for /stats: projects by status, and who declared on time."""

from __future__ import annotations

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    BudgetYear,
    GoalVersion,
    GoalVersionKind,
    Project,
    ProjectStatus,
    ReviewDecision,
    ReviewStep,
)
from workflow.calendar import rules, triggers
from workflow.dashboards.registry import (
    View,
    counts_by_label,
    figure_source,
)
from workflow.dashboards.scope import StatsScope
from workflow.dashboards.timeliness import cohort_due, timeliness_view
from workflow.goals.due import OPEN_DECLARATIONS

STATUS_ORDER = [status.value for status in ProjectStatus]


@figure_source("goals", order=10)
async def goal_figures(session: AsyncSession, scope: StatsScope) -> list[View]:
    """The year's projects by status, and the declaration's timeliness per department."""
    counted = await session.execute(
        select(Project.status, func.count())
        .where(Project.year == scope.year, *scope.within(Project.organisation_id))
        .group_by(Project.status)
    )
    by_status = dict(counted.all())
    status_view = counts_by_label(
        "goals.status",
        label="status",
        counted="projects",
        counts=by_status,
        in_order=STATUS_ORDER,
        label_section="project_status",
        order=10,
    )
    views = [status_view]
    timeliness = await _declaration_timeliness(session, scope)
    if timeliness is not None:
        views.append(timeliness)
    return views


async def _declaration_timeliness(session: AsyncSession, scope: StatsScope) -> View | None:
    """First submissions by the declaration deadline, after it, and still owed after it."""
    year = await session.get(BudgetYear, scope.year)
    if year is None or year.goal_submission_date is None:
        return None
    events = triggers.merged(
        triggers.goal_submission_date(year.goal_submission_date),
        triggers.budget_year_events(scope.year),
    )
    due = await cohort_due(session, rules.GOAL_DECLARATION, events, scope.today)
    if due is None:
        return None
    first_submission = (
        select(GoalVersion.project_id, func.min(ReviewStep.created_at).label("first"))
        .join(
            ReviewStep,
            and_(ReviewStep.item_kind == "goal_version", ReviewStep.item_id == GoalVersion.id),
        )
        .join(Project, Project.id == GoalVersion.project_id)
        .where(
            GoalVersion.kind == GoalVersionKind.initial.value,
            ReviewStep.decision == ReviewDecision.submit.value,
            Project.year == scope.year,
            *scope.within(Project.organisation_id),
        )
        .group_by(GoalVersion.project_id)
        .subquery()
    )
    first = first_submission.c.first
    owed = and_(first.is_(None), Project.status.in_(OPEN_DECLARATIONS))
    rows = await session.execute(
        select(
            Project.organisation_id,
            func.sum(case((first < due.late_from, 1), else_=0)),
            func.sum(case((first >= due.late_from, 1), else_=0)),
            func.sum(case((owed, 1 if due.passed else 0), else_=0)),
        )
        .outerjoin(first_submission, first_submission.c.project_id == Project.id)
        .where(
            Project.year == scope.year,
            Project.status != ProjectStatus.withdrawn.value,
            *scope.within(Project.organisation_id),
        )
        .group_by(Project.organisation_id)
    )
    return timeliness_view("goals.timeliness", scope, rows.all(), order=20)
