"""Projects as people browse them: a paged list with status, a card, the full goal sheet."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    GoalVersion,
    Indicator,
    Organisation,
    Person,
    Project,
    ProjectCodepartment,
    ReviewStep,
    ScheduleItem,
)
from storage.models.enums import GoalVersionStatus, ProjectStatus, Role
from workflow.core import access
from workflow.core.access import Action, Actor
from workflow.core.clock import local_day
from workflow.goals.context import current_goal_version, goal_indicators
from workflow.goals.declaration import EDITABLE
from workflow.goals.indicator_tree import LEVEL1_ORDER
from workflow.people.departments import department_name
from workflow.review.kinds import GOAL
from workflow.tracking.funds import latest_fund_actions

PAGE_SIZE = 8


@dataclass(frozen=True, slots=True)
class ProjectLine:
    """One project in a list."""

    id: int
    name: str
    year: int
    organisation: str
    status: str
    codepartment: bool  # listed because the viewer's organisation is a co-department


@dataclass(frozen=True, slots=True)
class ProjectFilter:
    """What /projects narrows the list to: words of the name or code, status, year, stage."""

    search: str | None = None
    status: str | None = None  # a ProjectStatus value
    year: int | None = None
    stage: str | None = None  # a ReviewStage value: where the goals wait now

    @property
    def active(self) -> bool:
        """Whether anything narrows the list."""
        return any(v is not None for v in (self.search, self.status, self.year, self.stage))


@dataclass(frozen=True, slots=True)
class ProjectPage:
    """A page of the projects a person may see."""

    lines: tuple[ProjectLine, ...]
    page: int
    pages: int
    total: int
    page_size: int = PAGE_SIZE
    filters: ProjectFilter = ProjectFilter()
    viewer: str = "department"  # department, business, finance or expert: the list's title
    may_declare: bool = False  # offers 申报新项目
    years: tuple[int, ...] = ()  # the years of the visible projects, newest first

    @property
    def first_number(self) -> int:
        """The number the first line of this page has in the whole list (from 1)."""
        return self.page * self.page_size + 1


async def _visible(session: AsyncSession, actor: Actor) -> tuple[Any, set[int]]:
    """An SQL condition for the projects the actor may view, and the co-department ones.

    Their own organisations' projects stay a condition (never loaded); only the few granted
    or co-department projects outside them are loaded, each checked on its own scope.
    """
    allowed = await access.organisations_where(session, actor, Action.VIEW_PROJECT)
    outside = Project.organisation_id.not_in(allowed)
    granted = await access.granted_projects(session, actor)
    extra = await _viewable(
        session,
        actor,
        set(await session.scalars(select(Project.id).where(Project.id.in_(granted), outside))),
    )
    mine = {org for role, org in actor.roles if role in (Role.staff, Role.head)}
    codeparted = await session.scalars(
        select(ProjectCodepartment.project_id)
        .join(Project, Project.id == ProjectCodepartment.project_id)
        .where(ProjectCodepartment.organisation_id.in_(mine), outside)
    )
    shared = await _viewable(session, actor, set(codeparted) - extra)
    return or_(Project.organisation_id.in_(allowed), Project.id.in_(extra | shared)), shared


async def _viewable(session: AsyncSession, actor: Actor, candidates: set[int]) -> set[int]:
    """Those of `candidates` the policy lets `actor` view, each checked on its own scope."""
    found = set()
    for project_id in candidates:
        scope = await access.project_scope(session, project_id)
        if access.decide(actor, Action.VIEW_PROJECT, scope):
            found.add(project_id)
    return found


def viewer_of(actor: Actor) -> str:
    """Whose list /projects shows, for its title: the unit's, a section's, finance's, invited."""
    if access.may_ever(actor, Action.DECLARE_GOAL):
        return "department"
    if actor.has_role(Role.performance) or actor.has_role(Role.budget):
        return "finance"
    if actor.has_role(Role.business):
        return "business"
    return "expert" if actor.has_role(Role.expert) else "department"


def _narrowed(filters: ProjectFilter) -> list[Any]:
    """SQL conditions for the filter (the search matches the name or the unit's code)."""
    conditions: list[Any] = []
    if filters.search:
        pattern = f"%{filters.search.lower()}%"
        conditions.append(
            or_(func.lower(Project.name).like(pattern), func.lower(Organisation.code).like(pattern))
        )
    if filters.status:
        conditions.append(Project.status == filters.status)
    if filters.year:
        conditions.append(Project.year == filters.year)
    if filters.stage:
        waiting = select(GoalVersion.project_id).where(
            GoalVersion.stage == filters.stage,
            GoalVersion.status == GoalVersionStatus.in_review.value,
        )
        conditions.append(Project.id.in_(waiting))
    return conditions


async def list_projects(
    db: Database,
    *,
    actor: Actor,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    filters: ProjectFilter | None = None,
) -> ProjectPage:
    """The projects of the actor's organisations (and shared with them), newest year first."""
    filters = filters or ProjectFilter()
    async with db.sessions() as session:
        visible, shared = await _visible(session, actor)
        chosen = (
            select(Project, Organisation.name)
            .join(Organisation, Organisation.id == Project.organisation_id)
            .where(visible, *_narrowed(filters))
        )
        total = int(await session.scalar(select(func.count()).select_from(chosen.subquery())) or 0)
        pages = max(1, -(-total // page_size))
        page = min(max(page, 0), pages - 1)
        rows = await session.execute(
            chosen.order_by(Project.year.desc(), Organisation.code, Project.name, Project.id)
            .offset(page * page_size)
            .limit(page_size)
        )
        lines = tuple(
            ProjectLine(p.id, p.name, p.year, org, p.status, p.id in shared) for p, org in rows
        )
        years = tuple(
            await session.scalars(
                select(Project.year).where(visible).distinct().order_by(Project.year.desc())
            )
        )
    return ProjectPage(
        lines,
        page,
        pages,
        total,
        page_size,
        filters=filters,
        viewer=viewer_of(actor),
        may_declare=access.may_ever(actor, Action.DECLARE_GOAL),
        years=years,
    )


@dataclass(frozen=True, slots=True)
class GoalSheet:
    """Everything on a project's 项目支出绩效目标申报表."""

    project_id: int
    goal_version_id: int | None
    year: int
    name: str
    organisation: str  # 实施单位
    department: str  # 主管部门
    attribute: str
    status: str
    stage: str | None
    is_key: bool
    is_shared: bool
    codepartments: tuple[str, ...]
    person_in_charge: str | None = None
    phone: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    funds: dict[str, Decimal | None] = field(default_factory=dict)
    overall_goal: str | None = None
    annual_goal: str | None = None
    basis: str | None = None
    schedule: tuple[ScheduleItem, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    reviews: tuple[dict[str, Any], ...] = ()  # opinions on the timeline, oldest first
    may_edit: bool = False
    fund_action: dict[str, Any] | None = None  # the newest 暂缓/停止/追回/解除暂缓
    may_act_on_funds: bool = False  # the budget section, on an issued project
    may_track_ad_hoc: bool = False  # the performance section, on an issued project
    filled_by: str | None = None  # 填表人: who submitted this version (or began the project)
    filled_by_phone: str | None = None
    submitted_on: dt.date | None = None  # 填报日期: the day this version was submitted


def _ordered(indicators: list[Indicator]) -> tuple[Indicator, ...]:
    """Grouped by 一级 in form order (so merged cells are contiguous), then as entered."""
    rank = {name: i for i, name in enumerate(LEVEL1_ORDER)}
    first_seen: dict[str, int] = {}
    for indicator in indicators:
        first_seen.setdefault(f"{indicator.level1}/{indicator.level2}", indicator.position)
    return tuple(
        sorted(
            indicators,
            key=lambda i: (
                rank.get(i.level1, len(rank)),
                first_seen[f"{i.level1}/{i.level2}"],
                i.position,
            ),
        )
    )


async def goal_sheet(
    db: Database, *, actor: Actor, project_id: int, goal_version_id: int | None = None
) -> GoalSheet:
    """The project's goal sheet, if the actor may view it (AccessDenied otherwise).

    Of the version in force by default, or of `goal_version_id` (a reviewer's adjustment).
    """
    async with db.sessions() as session:
        scope = await access.project_scope(session, project_id)
        await access.authorize(
            session,
            actor,
            Action.VIEW_PROJECT,
            scope=scope,
            object_type="project",
            object_id=project_id,
        )
        project = await session.get(Project, project_id)
        if project is None:
            raise access.AccessDenied(Action.VIEW_PROJECT)
        organisation = await session.get(Organisation, project.organisation_id)
        assert organisation is not None
        codepartments = await session.scalars(
            select(Organisation.name)
            .join(ProjectCodepartment, ProjectCodepartment.organisation_id == Organisation.id)
            .where(ProjectCodepartment.project_id == project_id)
            .order_by(Organisation.code)
        )
        version = await current_goal_version(session, project_id)
        issued = project.status == ProjectStatus.issued.value
        if goal_version_id is not None:
            chosen = await session.get(GoalVersion, goal_version_id)
            version = chosen if chosen and chosen.project_id == project_id else version
        common: dict[str, Any] = {
            "project_id": project_id,
            "goal_version_id": version.id if version else None,
            "year": project.year,
            "name": project.name,
            "organisation": organisation.name,
            "department": await department_name(session, organisation),
            "attribute": project.attribute,
            "status": project.status,
            "stage": version.stage if version else None,
            "is_key": project.is_key,
            "is_shared": project.is_shared,
            "codepartments": tuple(codepartments),
            "may_edit": project.status in EDITABLE
            and access.decide(actor, Action.DECLARE_GOAL, scope),
            "fund_action": (await latest_fund_actions(session, [project_id])).get(project_id),
            "may_act_on_funds": issued and access.decide(actor, Action.FUND_ACTION, scope),
            "may_track_ad_hoc": issued and access.decide(actor, Action.TRACK_AD_HOC, scope),
        }
        if version is None:
            return GoalSheet(**common)
        filler = await session.get(Person, version.submitted_by_id or project.created_by_id or 0)
        return GoalSheet(
            **common,
            **await _version_parts(session, version),
            filled_by=filler.name if filler else None,
            filled_by_phone=(filler.phone if filler else None) or version.phone,
            submitted_on=local_day(version.submitted_at) if version.submitted_at else None,
        )


async def _version_parts(session: AsyncSession, version: GoalVersion) -> dict[str, Any]:
    schedule = await session.scalars(
        select(ScheduleItem)
        .where(ScheduleItem.goal_version_id == version.id)
        .order_by(ScheduleItem.position, ScheduleItem.id)
    )
    steps = await session.execute(
        select(ReviewStep, Organisation.name)
        .outerjoin(Organisation, Organisation.id == ReviewStep.organisation_id)
        .where(
            ReviewStep.item_kind == GOAL,
            ReviewStep.item_id == version.id,
            ReviewStep.decision != "submit",
        )
        .order_by(ReviewStep.created_at, ReviewStep.id)
    )
    return {
        "person_in_charge": version.person_in_charge,
        "phone": version.phone,
        "start_date": version.start_date,
        "end_date": version.end_date,
        "funds": {
            "total": version.funds_total,
            "fiscal": version.funds_fiscal,
            "carryover": version.funds_carryover,
            "other": version.funds_other,
            "annual": version.annual_amount,
        },
        "overall_goal": version.overall_goal,
        "annual_goal": version.annual_goal,
        "basis": version.basis,
        "schedule": tuple(schedule),
        "indicators": _ordered(await goal_indicators(session, version.id or 0)),
        "reviews": tuple(
            {
                "stage": step.stage,
                "decision": step.decision,
                "comment": step.comment,
                "organisation": org,
                "at": step.created_at,
            }
            for step, org in steps
        ),
    }
