"""Issuance (批复下达): the budget section's year list, /issue once, and who hears what."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import BudgetYear, GoalVersion, OutboxMessage, Project, ReviewStep
from tests.review_world import YEAR, World, approve_through, build_world, make_goal
from workflow import issuance
from workflow.access import AccessDenied

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def three_projects(world: World) -> dict[str, int]:
    """An approved education project, an approved school project, a health one still in review."""
    edu = await make_goal(world, name="教师培训项目")
    await approve_through(world, edu, now=NOW)
    school = await make_goal(world, org="SCHOOL", staff="school_staff", name="校舍维修")
    await approve_through(
        world,
        school,
        staff="school_staff",
        reviewers=("school_head", "edu_head", "biz1", "perf", "budget"),
        now=NOW,
    )
    health = await make_goal(world, org="HEALTH", staff="health_staff", name="基层医疗")
    await approve_through(world, health, staff="health_staff", reviewers=("health_head",), now=NOW)
    return {"edu": edu, "school": school, "health": health}


async def rows(world: World, model, *conditions):
    async with world.db.transaction() as session:
        return list(await session.scalars(select(model).where(*conditions)))


async def test_the_budget_section_sees_every_project_and_those_without_budget(
    world: World,
) -> None:
    ids = await three_projects(world)
    overview = await issuance.budget_overview(world.db, actor=world["budget"], year=YEAR)
    by_name = {line.name: line for line in overview.lines}
    assert set(by_name) == {"教师培训项目", "校舍维修", "基层医疗"}
    assert by_name["基层医疗"].no_budget and by_name["基层医疗"].stage == "business"
    assert not by_name["教师培训项目"].no_budget
    assert by_name["教师培训项目"].version_status == "approved"
    assert {line.goal_version_id for line in overview.ready} == {ids["edu"], ids["school"]}
    assert by_name["校舍维修"].amount == "120.50"
    with pytest.raises(AccessDenied):
        await issuance.budget_overview(world.db, actor=world["edu_head"], year=YEAR)


async def test_issue_issues_every_approved_goal_once_and_tells_each_organisation(
    world: World,
) -> None:
    ids = await three_projects(world)
    with pytest.raises(AccessDenied):
        await issuance.issue_year(world.db, actor=world["perf"], year=YEAR, expected=2, now=LATER)
    stale = await issuance.issue_year(
        world.db, actor=world["budget"], year=YEAR, expected=5, now=LATER
    )
    assert stale.stale and not stale.issued
    assert {v.status for v in await rows(world, GoalVersion)} == {"approved", "in_review"}

    done = await issuance.issue_year(
        world.db, actor=world["budget"], year=YEAR, expected=2, now=LATER
    )
    assert {line.goal_version_id for line in done.issued} == {ids["edu"], ids["school"]}
    assert [line.name for line in done.no_budget] == ["基层医疗"]
    versions = {v.id: v for v in await rows(world, GoalVersion)}
    assert versions[ids["edu"]].status == "issued" and versions[ids["edu"]].stage is None
    assert versions[ids["edu"]].issued_at == LATER
    projects = {p.name: p.status for p in await rows(world, Project)}
    assert projects == {"教师培训项目": "issued", "校舍维修": "issued", "基层医疗": "no_budget"}
    steps = await rows(world, ReviewStep, ReviewStep.decision == "issue")
    assert sorted(s.goal_version_id for s in steps) == sorted([ids["edu"], ids["school"]])
    year_row = (await rows(world, BudgetYear))[0]
    assert year_row.issued_at == LATER

    notices = await rows(world, OutboxMessage, OutboxMessage.template == "goals_issued")
    heard = {(n.person_id, n.context["organisation"]) for n in notices}
    assert heard == {
        (world.person_id("edu_staff"), "市教育局"),
        (world.person_id("edu_staff2"), "市教育局"),
        (world.person_id("edu_head"), "市教育局"),
        (world.person_id("school_staff"), "市第一中学"),
        (world.person_id("school_head"), "市第一中学"),
        (world.person_id("health_staff"), "市卫健委"),
        (world.person_id("health_head"), "市卫健委"),
    }
    health_notice = next(n for n in notices if n.person_id == world.person_id("health_staff"))
    assert health_notice.context["issued"] == []
    assert [p["name"] for p in health_notice.context["no_budget"]] == ["基层医疗"]

    again = await issuance.issue_year(
        world.db, actor=world["budget"], year=YEAR, expected=0, now=LATER
    )
    assert not again.issued and not again.no_budget and not again.stale
    assert len(await rows(world, ReviewStep, ReviewStep.decision == "issue")) == 2


async def test_two_simultaneous_confirmations_issue_each_goal_once(world: World) -> None:
    await three_projects(world)
    results = await asyncio.gather(
        *(
            issuance.issue_year(world.db, actor=world["budget"], year=YEAR, expected=2, now=LATER)
            for _ in range(4)
        )
    )
    issued = [line.goal_version_id for r in results for line in r.issued]
    assert len(issued) == len(set(issued)) == 2
    assert len(await rows(world, ReviewStep, ReviewStep.decision == "issue")) == 2
    notices = await rows(world, OutboxMessage, OutboxMessage.template == "goals_issued")
    told = [(n.person_id, p["project_id"]) for n in notices for p in n.context["issued"]]
    assert len(told) == len(set(told))  # nobody hears of the same issuance twice
