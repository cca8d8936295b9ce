"""前置条件: a continuing project whose last year's rectification is still open is approved at
a stage only after a reviewer there acknowledged it; the card carries ☑️ for it; a new
version or the next stage asks again; a project without one is approved as ever."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import OutboxMessage, RectificationRequest, ReviewDecision
from tests.evaluation_world import evaluated_project
from tests.review_world import World, build_world, submit_goal_version
from tests.test_evaluation_prior import NOW, continuing
from workflow.review import chain as review
from workflow.review.kinds import GOAL
from workflow.review.precondition import acknowledge


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def decide(world: World, who: str, goal: int, version: int) -> review.ReviewResult:
    return await review.decide_on(
        world.db,
        actor=world[who],
        kind=GOAL,
        item_id=goal,
        expected_version=version,
        decision=ReviewDecision.approve,
        now=NOW,
    )


async def test_an_open_rectification_is_acknowledged_at_each_stage_before_approval(
    world: World,
) -> None:
    last = await evaluated_project(world)
    async with world.db.transaction() as session:
        session.add(
            RectificationRequest(
                project_id=last.project_id, source="spot_check", content="整改", status="open"
            )
        )
    _, goal = await continuing(world, last.project_id)
    version = await submit_goal_version(world, goal, "edu_staff", NOW)
    async with world.db.sessions() as session:
        card = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.template == "review_card")
            )
        ).first()
    assert card.buttons[0][0][0] == "review_precondition_ack"

    refused = await decide(world, "edu_head", goal, version)
    assert refused.outcome.value == "precondition_unacknowledged"
    assert (
        await acknowledge(
            world.db, actor=world["health_head"], item_id=goal, version=version, now=NOW
        )
        == "denied"
    )
    assert (
        await acknowledge(world.db, actor=world["edu_head"], item_id=goal, version=version, now=NOW)
        == "acknowledged"
    )
    head = await decide(world, "edu_head", goal, version)
    assert head.ok
    # The next stage sees it too, and acknowledges for itself.
    business = await decide(world, "biz1", goal, head.version)
    assert business.outcome.value == "precondition_unacknowledged"
    await acknowledge(world.db, actor=world["biz1"], item_id=goal, version=head.version, now=NOW)
    assert (await decide(world, "biz1", goal, head.version)).ok


async def test_without_an_open_rectification_nothing_is_asked(world: World) -> None:
    last = await evaluated_project(world)
    _, goal = await continuing(world, last.project_id)
    version = await submit_goal_version(world, goal, "edu_staff", NOW)
    assert (
        await acknowledge(world.db, actor=world["edu_head"], item_id=goal, version=version, now=NOW)
        == "not_needed"
    )
    assert (await decide(world, "edu_head", goal, version)).ok
