"""A small bureau for deadline tests: one department, its sections, and who works where."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.db import Database
from storage.models import (
    BudgetYear,
    GoalVersion,
    Organisation,
    OutboxMessage,
    Person,
    Project,
    Role,
    RoleAssignment,
)
from workflow.core.access import Actor

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at_local(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A bureau-local wall-clock time as an aware UTC datetime."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(
        dt.UTC
    )


@dataclass
class World:
    """Ids of everything the tests refer to."""

    section: int
    performance_section: int
    budget_section: int
    department: int
    other_department: int
    staff: int
    head: int
    business: int
    performance: int
    budget: int
    admin: int
    other_staff: int
    project: int = 0
    goal: int = 0
    held: dict[int, list[tuple[str, int]]] = field(default_factory=dict)

    def actor(self, person_id: int) -> Actor:
        """The Actor of a person of this world, with the roles build_world gave them."""
        roles = frozenset((Role(role), org) for role, org in self.held.get(person_id, ()))
        return Actor(person_id=person_id, name=str(person_id), roles=roles)


async def build_world(db: Database) -> World:
    """Sections, two departments, one person per role."""
    async with db.transaction() as session:
        section = Organisation(code="S1", name="教科文科", kind="business_section")
        performance_section = Organisation(code="S2", name="绩效管理科", kind="performance_section")
        budget_section = Organisation(code="S3", name="预算科", kind="budget_section")
        session.add_all([section, performance_section, budget_section])
        await session.flush()
        department = Organisation(
            code="D1", name="市教育局", kind="department", section_id=section.id
        )
        other = Organisation(code="D2", name="市卫健委", kind="department", section_id=section.id)
        session.add_all([department, other])
        await session.flush()
        people = {
            name: Person(name=label, telegram_user_id=tg)
            for name, label, tg in [
                ("staff", "张经办", 101),
                ("head", "李局长", 102),
                ("business", "王科员", 103),
                ("performance", "赵科员", 104),
                ("budget", "钱科员", 105),
                ("admin", "孙管理", 106),
                ("other_staff", "周经办", 107),
            ]
        }
        session.add_all(people.values())
        await session.flush()
        roles = [
            ("staff", "staff", department.id),
            ("head", "head", department.id),
            ("business", "business", section.id),
            ("performance", "performance", performance_section.id),
            ("budget", "budget", budget_section.id),
            ("admin", "admin", budget_section.id),
            ("other_staff", "staff", other.id),
        ]
        session.add_all(
            RoleAssignment(person_id=people[name].id, role=role, organisation_id=org)
            for name, role, org in roles
        )
    held: dict[int, list[tuple[str, int]]] = {}
    for name, role, org in roles:
        held.setdefault(people[name].id, []).append((role, org))
    return World(
        held=held,
        section=section.id,
        performance_section=performance_section.id,
        budget_section=budget_section.id,
        department=department.id,
        other_department=other.id,
        **{name: person.id for name, person in people.items()},
    )


async def add_project(
    db: Database,
    world: World,
    *,
    year: int = 2026,
    status: str = "issued",
    name: str = "教师培训",
    organisation_id: int | None = None,
    goal_submission_date: dt.date | None = None,
) -> int:
    """A project with one goal version; the budget year is created when missing."""
    async with db.transaction() as session:
        budget_year = await session.get(BudgetYear, year)
        if budget_year is None:
            session.add(BudgetYear(year=year, goal_submission_date=goal_submission_date))
            await session.flush()
        project = Project(
            year=year, organisation_id=organisation_id or world.department, name=name, status=status
        )
        session.add(project)
        await session.flush()
        goal = GoalVersion(
            project_id=project.id, status="issued" if status == "issued" else "draft"
        )
        session.add(goal)
        await session.flush()
    world.project, world.goal = project.id, goal.id
    return project.id


@dataclass(frozen=True)
class Sent:
    """An outbox row as the test compares it."""

    day: dt.date
    person: int
    template: str
    slot: str


async def outbox(db: Database) -> list[Sent]:
    """Every queued message, oldest first, with the local day it was queued."""
    async with db.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [
            Sent(
                row.created_at.astimezone(SHANGHAI).date(),
                row.person_id,
                row.template,
                _step(row.context),
            )
            for row in rows
        ]


def _step(context: dict) -> str:
    if "slot" in context:
        return context["slot"]
    if "level" in context:
        return f"escalate_{context['level']}"
    return str(context.get("year"))
