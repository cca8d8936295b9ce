"""Last year's result beside a continuing project's goals: on the reviewers' cards."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from bot.ui.render import render
from storage.db import Database
from storage.models import BudgetYear, OutboxMessage, Project, RectificationRequest
from tests.evaluation_world import evaluated_project
from tests.review_world import YEAR, World, build_world, make_goal, submit_goal_version
from workflow.evaluation.prior import prior_result
from workflow.evaluation.scoring import shown

NOW = dt.datetime(YEAR, 10, 10, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def continuing(world: World, predecessor: int | None) -> tuple[int, int]:
    """Next year's project continuing `predecessor`: (project id, goal version id)."""
    goal = await make_goal(world, name="教师培训项目（续）")
    async with world.db.transaction() as session:
        session.add(BudgetYear(year=YEAR + 1))
        await session.flush()
        project = await session.scalar(select(Project).where(Project.name == "教师培训项目（续）"))
        assert project is not None
        await session.execute(
            update(Project)
            .where(Project.id == project.id)
            .values(year=YEAR + 1, attribute="continuing", predecessor_id=predecessor)
        )
        return project.id, goal


async def cards(world: World, template: str) -> list[str]:
    async with world.db.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == template)
        )
        return [render(row.template, **row.context) for row in rows]


async def test_the_reviewer_card_shows_last_years_total_grade_and_open_rectifications(
    world: World,
) -> None:
    last = await evaluated_project(world)
    async with world.db.transaction() as session:
        for status in ("open", "reopened", "closed"):
            session.add(
                RectificationRequest(
                    project_id=last.project_id, source="tracking", content="整改", status=status
                )
            )
    project, goal = await continuing(world, last.project_id)
    async with world.db.sessions() as session:
        prior = await prior_result(session, project)
        assert await prior_result(session, last.project_id) is None  # a new project: none
    assert prior is not None
    assert (prior["total"], prior["grade"]) == (last.total, last.grade)
    assert prior["open_rectifications"] == 2 and prior["year"] == YEAR
    await submit_goal_version(world, goal, "edu_staff", NOW)
    (card,) = await cards(world, "review_card")
    line = f"上年结果（{YEAR} 年《教师培训项目》）：自评 {shown(last.total)} 分，{last.grade}"
    assert line + "（自评表待审核）；⚠️ 未完成整改 2 项" in card


async def test_a_draft_evaluation_is_no_result_and_a_new_project_shows_none(world: World) -> None:
    last = await evaluated_project(world, status="draft")
    project, goal = await continuing(world, last.project_id)
    async with world.db.sessions() as session:
        assert await prior_result(session, project) is None
    await submit_goal_version(world, goal, "edu_staff", NOW)
    (card,) = await cards(world, "review_card")
    assert "上年结果" not in card and "教师培训项目（续）" in card
