"""Tracking tasks as people see them: due dates, who answers for a project, lists and cards.

A periodic task is due by the deadline rule `tracking` (15 days after Q3 ends, moved off a
holiday, 暂定 when the year's holidays are not loaded); an ad-hoc one by the date finance
gave it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    GoalVersion,
    Organisation,
    Person,
    Project,
    Role,
    RoleAssignment,
    TrackingReport,
)
from workflow.calendar.rules import TRACKING, load_rules
from workflow.calendar.workdays import Deadline, load_calendar, years_around
from workflow.core import access
from workflow.core.access import AccessDenied, Action, Actor
from workflow.people.departments import department_name
from workflow.review.notices import indicator_row, indicators_of, money_text
from workflow.tracking.funds import latest_fund_actions

FILLABLE = ("draft", "returned")  # a report its department may (re)fill


def q3_end(year: int) -> dt.date:
    """The last day of the third quarter: the period a year's tracking reports on."""
    return dt.date(year, 9, 30)


async def due_of(session: AsyncSession, report: TrackingReport) -> Deadline:
    """When the report is due: finance's own date (ad hoc), else the 15-day rule."""
    start = report.due_date or report.period_end
    calendar = await load_calendar(session, years=years_around(start))
    if report.due_date is not None:
        return calendar.fixed_deadline(report.due_date)
    rules = await load_rules(session)
    return rules[TRACKING].deadline(report.period_end, calendar)


async def _people_with(session: AsyncSession, organisation_id: int, role: Role) -> list[int]:
    rows = await session.scalars(
        select(RoleAssignment.person_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            RoleAssignment.organisation_id == organisation_id,
            RoleAssignment.role == role.value,
            RoleAssignment.revoked_at.is_(None),
            Person.active.is_(True),
        )
        .order_by(RoleAssignment.person_id)
    )
    return list(dict.fromkeys(rows))


async def responsible_people(session: AsyncSession, organisation_id: int) -> list[int]:
    """Who fills a project's forms: its organisation's staff, else heads, else the parent's."""
    seen: set[int] = set()
    current: int | None = organisation_id
    while current is not None and current not in seen:
        seen.add(current)
        for role in (Role.staff, Role.head):
            people = await _people_with(session, current, role)
            if people:
                return people
        current = await session.scalar(
            select(Organisation.parent_id).where(Organisation.id == current)
        )
    return []


@dataclass(frozen=True, slots=True)
class TaskLine:
    """One tracking task in a list."""

    report_id: int
    project_id: int
    project: str
    organisation: str
    period_end: dt.date
    ad_hoc: bool
    status: str
    due: dt.date
    provisional: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def list_tasks(db: Database, *, actor: Actor, year: int | None = None) -> list[TaskLine]:
    """The tracking tasks the actor may see (own department and units, or finance's scope)."""
    async with db.sessions() as session:
        allowed = await access.organisations_where(session, actor, Action.VIEW_TRACKING)
        query = (
            select(TrackingReport, Project, Organisation)
            .join(Project, Project.id == TrackingReport.project_id)
            .join(Organisation, Organisation.id == Project.organisation_id)
            .where(Project.organisation_id.in_(allowed))
            .order_by(Project.year.desc(), Organisation.code, Project.name, TrackingReport.id)
        )
        if year is not None:
            query = query.where(Project.year == year)
        lines = []
        for report, project, organisation in await session.execute(query):
            due = await due_of(session, report)
            lines.append(
                TaskLine(
                    report_id=report.id or 0,
                    project_id=project.id or 0,
                    project=project.name,
                    organisation=organisation.name,
                    period_end=report.period_end,
                    ad_hoc=report.ad_hoc,
                    status=report.status,
                    due=due.due,
                    provisional=due.provisional,
                )
            )
        return lines


@dataclass(frozen=True, slots=True)
class TaskCard:
    """A tracking task's card: the project, its issued budget and indicators, read-only."""

    line: TaskLine
    year: int
    department: str
    annual_amount: Decimal | None
    indicators: tuple[dict[str, Any], ...]
    reason: str | None
    fund_action: dict[str, Any] | None
    may_fill: bool = False  # the actor may open the form now (their department's, not sent)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["annual_amount"] = money_text(self.annual_amount)
        return data


async def authorized_report(
    session: AsyncSession, actor: Actor, report_id: int, action: Action = Action.VIEW_TRACKING
) -> TrackingReport:
    """The report, when the actor may `action` on its project (AccessDenied otherwise)."""
    report = await session.get(TrackingReport, report_id)
    scope = await access.project_scope(session, report.project_id if report else 0)
    await access.authorize(
        session, actor, action, scope=scope, object_type="tracking_report", object_id=report_id
    )
    if report is None:
        raise AccessDenied(action)
    return report


async def task_card(db: Database, *, actor: Actor, report_id: int) -> TaskCard:
    """The card of one tracking task (AccessDenied when not the actor's to see)."""
    async with db.sessions() as session:
        report = await authorized_report(session, actor, report_id)
        project = await session.get(Project, report.project_id)
        version = await session.get(GoalVersion, report.goal_version_id)
        assert project is not None and version is not None
        organisation = await session.get(Organisation, project.organisation_id)
        assert organisation is not None
        due = await due_of(session, report)
        line = TaskLine(
            report_id=report_id,
            project_id=project.id or 0,
            project=project.name,
            organisation=organisation.name,
            period_end=report.period_end,
            ad_hoc=report.ad_hoc,
            status=report.status,
            due=due.due,
            provisional=due.provisional,
        )
        funds = await latest_fund_actions(session, [project.id or 0])
        return TaskCard(
            line=line,
            year=project.year,
            department=await department_name(session, organisation),
            annual_amount=version.annual_amount,
            indicators=tuple(
                indicator_row(i) for i in await indicators_of(session, version.id or 0)
            ),
            reason=report.reason,
            fund_action=funds.get(project.id or 0),
            may_fill=report.status in FILLABLE
            and access.decide(
                actor, Action.FILL_TRACKING, await access.project_scope(session, project.id or 0)
            ),
        )
