"""加签: a stage waits for the people added to it to sign, each addition and signature once."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from bot.ui.render import render
from storage.db import Database
from storage.models import OutboxMessage, ReviewDecision, ReviewStep
from tests.review_world import World, approve_through, build_world, make_goal
from workflow.review import chain as review
from workflow.review import cosign
from workflow.review.chain import Outcome

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
GOAL = "goal_version"


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def add(world: World, who: str, gv: int, version: int, person: str):
    return await cosign.add_reviewer(
        world.db,
        actor=world[who],
        kind=GOAL,
        item_id=gv,
        expected_version=version,
        person_id=world.person_id(person),
        now=NOW,
    )


async def approve(world: World, who: str, gv: int, version: int):
    return await review.decide(
        world.db,
        actor=world[who],
        goal_version_id=gv,
        expected_version=version,
        decision=ReviewDecision.approve,
        now=NOW,
    )


async def test_the_stage_approves_only_after_the_added_person_signed(world: World) -> None:
    gv = await make_goal(world)
    version = await approve_through(world, gv, reviewers=("edu_head",), now=NOW)
    # Only the stage's reviewers add; the added person must be able to view the item.
    assert (await add(world, "edu_staff", gv, version, "perf")).outcome is Outcome.denied
    assert (await add(world, "biz1", gv, version, "health_staff")).outcome is Outcome.denied

    first, second = await asyncio.gather(
        add(world, "biz1", gv, version, "perf"), add(world, "biz1", gv, version, "perf")
    )
    assert sorted([first.outcome, second.outcome]) == sorted(
        [Outcome.moved, Outcome.already_handled]
    )
    async with world.db.transaction() as session:
        card = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.template == "review_cosign")
        )
    assert card.person_id == world.person_id("perf")
    assert [key for key, _ in card.buttons[0]] == ["review_cosign"]
    assert "孙科长 请您会签" in render(card.template, **card.context)

    blocked = await approve(world, "biz1b", gv, version)
    assert blocked.outcome is Outcome.awaiting_cosign

    async def sign(who: str):
        return await cosign.sign(
            world.db, actor=world[who], kind=GOAL, item_id=gv, expected_version=version, now=NOW
        )

    assert (await sign("budget")).outcome is Outcome.denied  # not asked
    signed = await asyncio.gather(sign("perf"), sign("perf"))
    assert sorted(s.outcome for s in signed) == sorted([Outcome.moved, Outcome.already_handled])
    assert (await approve(world, "biz1b", gv, version)).ok
    async with world.db.transaction() as session:
        steps = list(
            await session.scalars(
                select(ReviewStep.decision).where(ReviewStep.item_id == gv).order_by(ReviewStep.id)
            )
        )
    assert steps == ["submit", "approve", "add_reviewer", "cosign", "approve"]


async def test_a_return_is_not_held_up_by_a_pending_signature(world: World) -> None:
    gv = await make_goal(world)
    version = await approve_through(world, gv, reviewers=("edu_head",), now=NOW)
    assert (await add(world, "biz1", gv, version, "perf")).ok
    returned = await review.decide(
        world.db,
        actor=world["biz1"],
        goal_version_id=gv,
        expected_version=version,
        decision=ReviewDecision.return_,
        comment="请补充测算依据",
        now=NOW,
    )
    assert returned.ok
