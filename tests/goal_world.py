"""A small bureau for goal declaration tests, and the answers of a real declaration."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from storage.db import Database
from storage.models import (
    BudgetYear,
    GoalVersion,
    Indicator,
    Organisation,
    Person,
    Project,
    RoleAssignment,
    SelfEvaluation,
)
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome, DraftResult
from workflow.goals import declaration as goals
from workflow.people.persons import load_actor

NOW = dt.datetime(2025, 9, 15, 2, 0, tzinfo=dt.UTC)


@dataclass
class GoalWorld:
    """Ids the tests refer to."""

    section: int
    department: int
    unit: int
    other_department: int
    staff: int  # staff of the department
    colleague: int  # another staff member of the same department
    unit_staff: int  # staff of the unit and of the department
    outsider: int  # staff of the other department
    head: int
    last_year_project: int = 0


async def build_goal_world(
    db: Database, *, telegram_ids: dict[str, int] | None = None
) -> GoalWorld:
    """A department with a unit, another department, and their people; budget year 2026."""
    ids = telegram_ids or {}
    async with db.transaction() as session:
        section = Organisation(code="S1", name="社会保障科", kind="business_section")
        session.add(section)
        await session.flush()
        department = Organisation(
            code="D01", name="市人力资源和社会保障局", kind="department", section_id=section.id
        )
        other = Organisation(code="D02", name="市教育局", kind="department", section_id=section.id)
        session.add_all([department, other])
        await session.flush()
        unit = Organisation(
            code="D01U1", name="市职业技能鉴定中心", kind="unit", parent_id=department.id
        )
        session.add(unit)
        session.add(BudgetYear(year=2026, indicator_tree_version="2021"))
        session.add(BudgetYear(year=2025, indicator_tree_version="2019", issued_at=NOW))
        people = {}
        for key, name in [
            ("staff", "王芳"),
            ("colleague", "李明"),
            ("unit_staff", "赵丽"),
            ("outsider", "陈静"),
            ("head", "张局长"),
        ]:
            person = Person(name=name, telegram_user_id=ids.get(key))
            session.add(person)
            people[key] = person
        await session.flush()
        roles = [
            ("staff", "staff", department.id),
            ("colleague", "staff", department.id),
            ("unit_staff", "staff", unit.id),
            ("unit_staff", "staff", department.id),
            ("outsider", "staff", other.id),
            ("head", "head", department.id),
        ]
        for key, role, org in roles:
            session.add(RoleAssignment(person_id=people[key].id, role=role, organisation_id=org))
        await session.flush()
        return GoalWorld(
            section=section.id,
            department=department.id,
            unit=unit.id,
            other_department=other.id,
            staff=people["staff"].id,
            colleague=people["colleague"].id,
            unit_staff=people["unit_staff"].id,
            outsider=people["outsider"].id,
            head=people["head"].id,
        )


async def add_last_year(db: Database, world: GoalWorld) -> int:
    """An issued 2025 training project with two indicators and its self-evaluation."""
    async with db.transaction() as session:
        project = Project(
            year=2025, organisation_id=world.department, name="职业技能提升培训", status="issued"
        )
        session.add(project)
        await session.flush()
        version = GoalVersion(
            project_id=project.id,
            status="issued",
            overall_goal="三年培训一万人次",
            annual_goal="2025 年培训 3000 人次",
            funds_total=Decimal(300),
        )
        session.add(version)
        await session.flush()
        session.add_all(
            [
                Indicator(
                    goal_version_id=version.id,
                    position=0,
                    level1="产出",
                    level2="数量",
                    name="培训人次",
                    sign="≥",
                    target_value=Decimal(3000),
                    unit="人次",
                ),
                Indicator(
                    goal_version_id=version.id,
                    position=1,
                    level1="效益",
                    level2="可持续影响",
                    name="长效机制",
                    sign="定性",
                    target_text="良",
                ),
            ]
        )
        session.add(
            SelfEvaluation(
                project_id=project.id,
                goal_version_id=version.id,
                status="accepted",
                total_score=Decimal("86.5"),
                grade="良",
                problems="培训后跟踪不足",
            )
        )
        await session.flush()
        world.last_year_project = project.id
        return project.id


# What a staff member types, question by question, for a full declaration (one department,
# so the organisation is not asked). Rows are entered in the sub-forms as listed.
HEADER_ANSWERS = [
    ("year", "2026"),
    ("attribute", "新增"),
    ("name", "职业技能提升培训"),
    ("person_in_charge", "王芳"),
    ("phone", "0519-87654321"),
    ("start_date", "2026-01-01"),
    ("end_date", "2026年12月31日"),
    ("funds_total", "120"),
    ("funds_fiscal", "100"),
    ("funds_carryover", "15.5"),
    ("funds_other", "4.5"),
    ("annual_amount", "120万元"),
    ("overall_goal", "全年开展职业技能培训，提升劳动者就业能力。"),
    ("annual_goal", "2026 年培训 3000 人次，取证率不低于 85%。"),
]
SCHEDULE_ROWS = [
    ["制定培训计划", "2026-01-01", "2026-02-28"],
    ["组织开展培训", "2026-03-01", "2026-11-30"],
]
TAIL_ANSWERS = [("basis", "《职业技能提升行动方案》"), ("is_key", "否"), ("is_shared", "否")]
INDICATOR_ROWS = [
    ["产出", "数量", "培训人次", "≥", "3000", "人次", "10"],
    ["产出", "质量", "取证率", "≥", "85", "%", "10"],
    ["效益", "社会效益", "就业率提升", "定性", "良", None, "20"],
    ["满意度", "服务对象满意度", "学员满意度", "≥", "90", "%", "10"],
]


# --- driving the declaration through the draft workflow ---------------------------------


async def begin(db: Database, person: int) -> DraftResult:
    actor = await actor_of_person_db(db, person)
    result = await goals.start_declaration(db, actor=actor, now=NOW)
    assert result.outcome is DraftOutcome.moved
    return result


async def actor_of_person_db(db: Database, person: int):
    async with db.sessions() as session:
        return await load_actor(session, person_id=person)


async def goal_row_version(db: Database, goal_version_id: int) -> int:
    async with db.sessions() as session:
        return (await session.get(GoalVersion, goal_version_id)).version


def where(result: DraftResult) -> str:
    return str(result.view.cursor)


async def say(db: Database, person: int, text: str, expect_at: str | None = None) -> DraftResult:
    """Answer the current question; check which question it was."""
    if expect_at is not None:
        current = await drafts.current_draft(db, person_id=person)
        assert where(current) == expect_at
    result = await drafts.answer(db, person_id=person, text=text, now=NOW)
    assert result.outcome is DraftOutcome.moved, (text, result.problem)
    return result


async def press(db: Database, person: int, operation, **kwargs) -> DraftResult:
    view = (await drafts.current_draft(db, person_id=person)).view
    return await operation(
        db, person_id=person, draft_id=view.id, version=view.version, now=NOW, **kwargs
    )


async def fill_rows(db: Database, person: int, rows: list[list[str | None]]) -> DraftResult:
    result = None
    for number, row in enumerate(rows):
        if number:
            result = await press(db, person, drafts.add_row)
        for value in row:
            if value is not None:
                result = await say(db, person, value)
    return result


async def fill_header(db: Database, person: int, header=HEADER_ANSWERS) -> DraftResult:
    for field, text in header:
        result = await say(db, person, text, expect_at=field)
    return result


async def declare(db: Database, person: int, header=HEADER_ANSWERS) -> DraftResult:
    await begin(db, person)
    await fill_header(db, person, header)
    assert where(await fill_rows(db, person, SCHEDULE_ROWS)) == "schedule#menu"
    await press(db, person, drafts.finish_rows)
    for field, text in TAIL_ANSWERS:
        await say(db, person, text, expect_at=field)
    assert where(await fill_rows(db, person, INDICATOR_ROWS)) == "indicators#menu"
    result = await press(db, person, drafts.finish_rows)
    assert result.view.cursor.is_summary, result.problem
    return result


async def declared(db: Database, person: int) -> DraftResult:
    """A full declaration, confirmed at the summary (`record` is the SubmittedGoal)."""
    await declare(db, person)
    result = await press(db, person, drafts.submit)
    assert result.outcome is DraftOutcome.submitted, result.problem
    return result


async def continue_last_year(db: Database, world: GoalWorld) -> DraftResult:
    """A 延续 declaration of last year's project, its indicators copied; at the name."""
    await begin(db, world.staff)
    for text in ("2026", "延续"):
        await say(db, world.staff, text)
    await press(db, world.staff, drafts.choose, index=0)
    return await say(db, world.staff, "是")


# The header after `continue_last_year`: year and attribute are answered already.
CONTINUING_HEADER = [(f, t) for f, t in HEADER_ANSWERS if f not in ("year", "attribute")]
