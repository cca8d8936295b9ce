"""A small finance bureau for review-chain tests: org chart, people with roles, projects.

Built directly in the database (the org import and invitations are tested elsewhere).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from storage.db import Database
from storage.models import (
    BudgetYear,
    GoalVersion,
    Indicator,
    Organisation,
    Person,
    Project,
    ProjectCodepartment,
    Role,
    RoleAssignment,
    ScheduleItem,
)
from workflow.core.access import Actor

YEAR = 2026

# code -> (name, kind, parent code, section code)
ORGS: dict[str, tuple[str, str, str | None, str | None]] = {
    "BIZ1": ("教科文科", "business_section", None, None),
    "BIZ2": ("社保科", "business_section", None, None),
    "PERF": ("绩效管理科", "performance_section", None, None),
    "BUDGET": ("预算科", "budget_section", None, None),
    "EDU": ("市教育局", "department", None, "BIZ1"),
    "SCHOOL": ("市第一中学", "unit", "EDU", None),
    "HEALTH": ("市卫健委", "department", None, "BIZ2"),
    "CULTURE": ("市文旅局", "department", None, "BIZ1"),
}

# key -> (name, telegram id, [(role, org code)])
PEOPLE: dict[str, tuple[str, int, list[tuple[Role, str]]]] = {
    "edu_staff": ("张经办", 5001, [(Role.staff, "EDU")]),
    "edu_staff2": ("刘经办", 5002, [(Role.staff, "EDU")]),
    "edu_head": ("李局长", 5003, [(Role.head, "EDU")]),
    "school_staff": ("王老师", 5004, [(Role.staff, "SCHOOL")]),
    "school_head": ("赵校长", 5005, [(Role.head, "SCHOOL")]),
    "health_staff": ("陈经办", 5006, [(Role.staff, "HEALTH")]),
    "health_head": ("周主任", 5007, [(Role.head, "HEALTH")]),
    "culture_head": ("吴局长", 5008, [(Role.head, "CULTURE")]),
    "biz1": ("孙科长", 5009, [(Role.business, "BIZ1")]),
    "biz1b": ("郑科员", 5010, [(Role.business, "BIZ1")]),
    "biz2": ("冯科长", 5011, [(Role.business, "BIZ2")]),
    "perf": ("何科长", 5012, [(Role.performance, "PERF")]),
    "perf2": ("吕科员", 5013, [(Role.performance, "PERF")]),
    "expert": ("钱教授", 5014, [(Role.expert, "PERF")]),
    "expert2": ("钟研究员", 5017, [(Role.expert, "PERF")]),
    "budget": ("高科长", 5015, [(Role.budget, "BUDGET")]),
    "admin": ("管理员", 5016, [(Role.admin, "BUDGET")]),
}


@dataclass
class World:
    """Ids of everything built, and the people as Actors."""

    db: Database
    orgs: dict[str, int] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Actor:
        return self.actors[key]

    def person_id(self, key: str) -> int:
        person_id = self.actors[key].person_id
        assert person_id is not None
        return person_id


async def build_world(db: Database, *, people: dict | None = None) -> World:
    """The org chart and people above, committed."""
    world = World(db)
    async with db.transaction() as session:
        session.add(BudgetYear(year=YEAR))
        for code, (name, kind, _parent, _section) in ORGS.items():
            org = Organisation(code=code, name=name, kind=kind)
            session.add(org)
            await session.flush()
            world.orgs[code] = org.id
        for code, (_name, _kind, parent, section) in ORGS.items():
            org = await session.get(Organisation, world.orgs[code])
            org.parent_id = world.orgs[parent] if parent else None
            org.section_id = world.orgs[section] if section else None
        for key, (name, telegram_id, roles) in (people or PEOPLE).items():
            person = Person(name=name, telegram_user_id=telegram_id)
            session.add(person)
            await session.flush()
            held = frozenset((role, world.orgs[code]) for role, code in roles)
            for role, org_id in held:
                session.add(
                    RoleAssignment(person_id=person.id, role=role.value, organisation_id=org_id)
                )
            world.actors[key] = Actor(person.id, name, held)
    return world


async def make_goal(
    world: World,
    *,
    org: str = "EDU",
    name: str = "教师培训项目",
    staff: str = "edu_staff",
    key: bool = False,
    codepartments: tuple[str, ...] = (),
    amount: str = "120.5",
) -> int:
    """A project with a draft goal version (three indicators, one schedule row); its id."""
    async with world.db.transaction() as session:
        project = Project(
            year=YEAR,
            organisation_id=world.orgs[org],
            name=name,
            is_key=key,
            is_shared=bool(codepartments),
            created_by_id=world.person_id(staff),
        )
        session.add(project)
        await session.flush()
        for code in codepartments:
            session.add(
                ProjectCodepartment(project_id=project.id, organisation_id=world.orgs[code])
            )
        version = GoalVersion(
            project_id=project.id,
            person_in_charge="张经办",
            phone="13800000000",
            start_date=dt.date(YEAR, 1, 1),
            end_date=dt.date(YEAR, 12, 31),
            funds_total=Decimal(amount),
            funds_fiscal=Decimal(amount),
            funds_carryover=Decimal(0),
            funds_other=Decimal(0),
            annual_amount=Decimal(amount),
            overall_goal="提升教师教学能力",
            annual_goal="完成全市教师轮训",
            basis="教育发展规划",
        )
        session.add(version)
        await session.flush()
        rows = [
            ("产出", "数量", "培训人次", "≥", Decimal(500), None, "人次"),
            ("效益", "社会效益", "教学质量提升", "定性", None, "达成", None),
            ("满意度", "服务对象满意度", "参训教师满意度", "≥", Decimal(90), None, "%"),
        ]
        for position, (l1, l2, label, sign, value, text, unit) in enumerate(rows):
            session.add(
                Indicator(
                    goal_version_id=version.id,
                    position=position,
                    level1=l1,
                    level2=l2,
                    name=label,
                    sign=sign,
                    target_value=value,
                    target_text=text,
                    unit=unit,
                )
            )
        session.add(
            ScheduleItem(
                goal_version_id=version.id,
                content="组织培训",
                start_date=dt.date(YEAR, 3, 1),
                end_date=dt.date(YEAR, 11, 30),
            )
        )
        return version.id


DEPARTMENT_CHAIN = ("edu_head", "biz1", "perf", "budget")


async def submit_goal_version(
    world: World, goal_version_id: int, staff: str, now: dt.datetime
) -> int:
    """Hand a version to the chain as its staff would; the row version after it."""
    from workflow.review import chain as review

    async with world.db.transaction() as session:
        result = await review.enter_chain(
            session, actor=world[staff], goal_version_id=goal_version_id, now=now
        )
    assert result.ok, result
    assert result.version is not None
    return result.version


async def approve_through(
    world: World,
    goal_version_id: int,
    *,
    staff: str = "edu_staff",
    reviewers: tuple[str, ...] = DEPARTMENT_CHAIN,
    now: dt.datetime,
) -> int:
    """Submit and approve at every stage; the row version at the end."""
    from storage.models import ReviewDecision
    from workflow.review import chain as review

    version = await submit_goal_version(world, goal_version_id, staff, now)
    for who in reviewers:
        result = await review.decide(
            world.db,
            actor=world[who],
            goal_version_id=goal_version_id,
            expected_version=version,
            decision=ReviewDecision.approve,
            now=now,
        )
        assert result.ok, (who, result)
        assert result.version is not None
        version = result.version
    return version


async def invite_expert(
    world: World, goal_version_id: int, expert: str = "expert", *, by: str = "perf"
) -> None:
    """The performance section invites an expert to a key project waiting at its stage."""
    from workflow.review import experts as review_experts

    panel = await review_experts.invite_expert(
        world.db,
        actor=world[by],
        goal_version_id=goal_version_id,
        person_id=world.person_id(expert),
    )
    assert panel.ok and panel.invited == world[expert].name, panel
