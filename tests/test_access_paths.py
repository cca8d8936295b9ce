"""No action escapes the one permission check: paths found by the access audit, driven as
the bot drives them, each asserting what the person gets and what the audit log keeps.

The policy itself (every role × every action) is the matrix in tests/test_access.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import AuditEntry, BudgetYear, GoalVersion
from tests.review_world import (
    YEAR,
    World,
    approve_through,
    build_world,
    invite_expert,
    make_goal,
)
from workflow.calendar.view import deadlines_for
from workflow.core import access
from workflow.core.access import AccessDenied, Action
from workflow.goals import issuance, projects
from workflow.goals.context import load_goal_context
from workflow.goals.disclosure import disclosure

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
ISSUED = dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def _project_of(world: World, goal_version_id: int) -> int:
    async with world.db.sessions() as session:
        version = await session.get(GoalVersion, goal_version_id)
    assert version is not None
    return version.project_id


async def _refusals(db: Database) -> list[tuple[str, int | None]]:
    await access.settle_refusals()
    async with db.sessions() as session:
        rows = await session.execute(
            select(AuditEntry.action, AuditEntry.actor_id)
            .where(AuditEntry.allowed.is_(False))
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


async def test_an_expert_sees_the_key_projects_granted_and_their_goal_sheets(
    world: World,
) -> None:
    """The 申报表 button of an expert's card and /projects: granted key projects only."""
    key = await make_goal(world, name="重点项目", key=True)
    await approve_through(world, key, reviewers=("edu_head", "biz1"), now=NOW)
    await invite_expert(world, key)  # the performance section organises the expert review
    ordinary = await make_goal(world, name="一般项目")
    await approve_through(world, ordinary, reviewers=("edu_head", "biz1"), now=NOW)

    sheet = await projects.goal_sheet(
        world.db, actor=world["expert"], project_id=await _project_of(world, key)
    )
    assert sheet.name == "重点项目" and len(sheet.indicators) == 3
    assert not sheet.may_edit
    with pytest.raises(AccessDenied):
        await projects.goal_sheet(
            world.db, actor=world["expert"], project_id=await _project_of(world, ordinary)
        )
    assert await _refusals(world.db) == [("view_project", world.person_id("expert"))]
    # /projects lists what they were granted, and nobody else gains the key project.
    page = await projects.list_projects(world.db, actor=world["expert"])
    assert [(line.name, line.codepartment) for line in page.lines] == [("重点项目", False)]
    health = await projects.list_projects(world.db, actor=world["health_staff"])
    assert health.lines == ()


async def test_deadlines_show_a_business_section_only_its_departments_lateness(
    world: World,
) -> None:
    async with world.db.transaction() as session:
        budget_year = await session.get(BudgetYear, YEAR)
        assert budget_year is not None
        budget_year.goal_submission_date = dt.date(2026, 2, 20)  # drafts are now overdue
    await make_goal(world, name="教师培训项目")
    await make_goal(world, org="HEALTH", staff="health_staff", name="乡村医生培训")

    late_for = {}
    for who in ("biz1", "biz2", "perf", "edu_staff"):
        view = await deadlines_for(world.db, actor=world[who], now=NOW)
        late_for[who] = sorted(row.project for row in view.late)
    assert late_for == {
        "biz1": ["教师培训项目"],
        "biz2": ["乡村医生培训"],
        "perf": ["乡村医生培训", "教师培训项目"],
        "edu_staff": [],  # departments see their own items under "mine", not who is late
    }
    mine = await deadlines_for(world.db, actor=world["health_staff"], now=NOW)
    assert [row.project for row in mine.mine] == ["乡村医生培训"]


async def test_deadlines_refuse_someone_who_may_view_no_project(world: World) -> None:
    with pytest.raises(AccessDenied):
        await deadlines_for(world.db, actor=world["admin"], now=NOW)
    assert await _refusals(world.db) == [("view_project", world.person_id("admin"))]


@pytest.fixture
async def issued(world: World) -> World:
    """An issued goal of the education bureau (BIZ1) and one of the health commission (BIZ2)."""
    education = await make_goal(world, name="教师培训项目")
    await approve_through(world, education, now=NOW)
    health = await make_goal(world, org="HEALTH", staff="health_staff", name="乡村医生培训")
    chain = ("health_head", "biz2", "perf", "budget")
    await approve_through(world, health, staff="health_staff", reviewers=chain, now=NOW)
    await issuance.issue_year(world.db, actor=world["budget"], year=YEAR, expected=2, now=ISSUED)
    return world


async def test_finance_sections_export_a_named_departments_disclosure(issued: World) -> None:
    world = issued
    for who in ("perf", "budget", "biz1"):
        table = await disclosure(world.db, actor=world[who], year=YEAR, organisation_code="EDU")
        assert (table.department, [p.name for p in table.projects]) == (
            "市教育局",
            ["教师培训项目"],
        ), who
    # Without a department of their own, they are asked to name one (nothing is refused).
    asked = await disclosure(world.db, actor=world["perf"], year=YEAR)
    assert asked.organisation_needed and asked.empty
    # A business section reaches its own departments only; staff reach only their own.
    with pytest.raises(AccessDenied):
        await disclosure(world.db, actor=world["biz1"], year=YEAR, organisation_code="HEALTH")
    with pytest.raises(AccessDenied):
        await disclosure(world.db, actor=world["edu_staff"], year=YEAR, organisation_code="HEALTH")
    # An unknown code is refused like another's organisation, revealing nothing.
    with pytest.raises(AccessDenied):
        await disclosure(world.db, actor=world["edu_staff"], year=YEAR, organisation_code="NOPE")
    # Someone whose roles export nothing is refused before anything is looked up.
    with pytest.raises(AccessDenied):
        await disclosure(world.db, actor=world["admin"], year=YEAR)
    assert [action for action, _ in await _refusals(world.db)] == [Action.EXPORT_DISCLOSURE] * 4


async def test_the_goal_form_shows_last_years_project_only_to_who_may_view_it(
    world: World,
) -> None:
    """A draft naming another organisation's project as its predecessor loads nothing of it."""
    own = await _project_of(world, await make_goal(world, name="教师培训项目"))
    other = await _project_of(
        world, await make_goal(world, org="HEALTH", staff="health_staff", name="乡村医生培训")
    )
    answers = {"year": YEAR + 1, "organisation": world.orgs["EDU"], "attribute": "continuing"}
    async with world.db.sessions() as session:
        person = world.person_id("edu_staff")
        mine = await load_goal_context(session, person, {**answers, "predecessor": own})
        forged = await load_goal_context(session, person, {**answers, "predecessor": other})
    assert mine["predecessor"]["name"] == "教师培训项目"
    assert len(mine["predecessor"]["indicators"]) == 3
    assert forged["predecessor"] is None
