"""撤回 by the submitter and 转交 to a colleague: once each on the timeline, cards closed."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from bot.ui.render import render
from storage.db import Database
from storage.models import GoalVersion, OutboxMessage, Project, ReviewDecision
from tests.review_world import World, approve_through, build_world, make_goal
from workflow.review import chain as review
from workflow.review import handover
from workflow.review import views as review_views
from workflow.review.chain import Outcome

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=2)
GOAL = "goal_version"


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def row(world: World, gv: int) -> GoalVersion:
    async with world.db.transaction() as session:
        found = await session.get(GoalVersion, gv)
        assert found is not None
        return found


async def cards(world: World) -> list[OutboxMessage]:
    async with world.db.transaction() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == "review_card")
                .order_by(OutboxMessage.id)
            )
        )


async def history(world: World, gv: int) -> list[tuple[str, str, str]]:
    view = await review_views.timeline(world.db, actor=world["edu_staff"], goal_version_id=gv)
    assert view.ok
    return [(s["who"], s["stage"], s["decision"]) for s in view.context["steps"]]


async def test_the_submitter_withdraws_once_and_the_cards_close(world: World) -> None:
    gv = await make_goal(world)
    version = await approve_through(world, gv, reviewers=(), now=NOW)
    head_card = (await cards(world))[-1]
    # Someone else may not withdraw it.
    other = await handover.withdraw(
        world.db, actor=world["edu_staff2"], kind=GOAL, item_id=gv, expected_version=version
    )
    assert other.outcome is Outcome.denied
    # A double press withdraws once.
    first, second = await asyncio.gather(
        *(
            handover.withdraw(
                world.db,
                actor=world["edu_staff"],
                kind=GOAL,
                item_id=gv,
                expected_version=version,
                now=NOW,
            )
            for _ in range(2)
        )
    )
    assert sorted([first.outcome, second.outcome]) == sorted(
        [Outcome.moved, Outcome.already_handled]
    )
    withdrawn = await row(world, gv)
    assert (withdrawn.status, withdrawn.stage) == ("draft", "head")
    async with world.db.transaction() as session:
        project = await session.get(Project, withdrawn.project_id)
        assert project is not None and project.status == "draft"
    closed = [c for c in await cards(world) if c.edit_of_id == head_card.id]
    assert len(closed) == 1 and closed[0].context["settled"]["decision"] == "withdraw"
    assert [d for _, _, d in await history(world, gv)] == ["submit", "withdraw"]
    async with world.db.transaction() as session:
        told = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.template == "review_handover")
            )
        )
    assert world.person_id("edu_head") in {m.person_id for m in told}
    assert "已撤回" in render(told[0].template, **told[0].context)
    # Resubmitted, it goes to the stage it was withdrawn from.
    async with world.db.transaction() as session:
        again = await review.enter_chain(
            session, actor=world["edu_staff"], goal_version_id=gv, now=LATER
        )
    assert again.ok and again.next_stage == "head"


async def test_nobody_withdraws_what_a_reviewer_already_acted_on(world: World) -> None:
    gv = await make_goal(world)
    version = await approve_through(world, gv, reviewers=("edu_head",), now=NOW)
    stale = await handover.withdraw(
        world.db, actor=world["edu_staff"], kind=GOAL, item_id=gv, expected_version=version - 1
    )
    assert stale.outcome is Outcome.already_handled
    returned = await review.decide(
        world.db,
        actor=world["biz1"],
        goal_version_id=gv,
        expected_version=version,
        decision=ReviewDecision.return_,
        comment="请补充依据",
        now=NOW,
    )
    late = await handover.withdraw(
        world.db,
        actor=world["edu_staff"],
        kind=GOAL,
        item_id=gv,
        expected_version=returned.version or 0,
    )
    assert late.outcome is Outcome.already_handled
    assert (await row(world, gv)).status == "returned"


async def test_a_reviewer_transfers_to_a_colleague_of_the_same_role_only(world: World) -> None:
    gv = await make_goal(world)
    version = await approve_through(world, gv, reviewers=("edu_head", "biz1"), now=NOW)
    entered = (await row(world, gv)).stage_entered_at
    before = await cards(world)
    # Not to someone of another section, not by someone who may not decide here.
    refused = await handover.transfer(
        world.db,
        actor=world["perf"],
        kind=GOAL,
        item_id=gv,
        expected_version=version,
        to_person_id=world.person_id("budget"),
    )
    assert refused.outcome is Outcome.denied
    stranger = await handover.transfer(
        world.db,
        actor=world["biz1"],
        kind=GOAL,
        item_id=gv,
        expected_version=version,
        to_person_id=world.person_id("biz1b"),
    )
    assert stranger.outcome is Outcome.denied
    moved = await handover.transfer(
        world.db,
        actor=world["perf"],
        kind=GOAL,
        item_id=gv,
        expected_version=version,
        to_person_id=world.person_id("perf2"),
        now=LATER,
    )
    assert moved.ok
    after = await row(world, gv)
    assert (after.status, after.stage, after.version) == ("in_review", "performance", version + 1)
    assert after.stage_entered_at == entered  # the stage's deadline does not move
    new_cards = [c for c in await cards(world) if c not in before and c.edit_of_id is None]
    assert [c.person_id for c in new_cards] == [world.person_id("perf2")]
    closed = {c.edit_of_id for c in await cards(world) if c.edit_of_id is not None}
    old = {c.id for c in before if c.edit_of_id is None and c.context["stage"] == "performance"}
    assert old and old <= closed
    # The old card is stale; the transfer is on the timeline once.
    again = await handover.transfer(
        world.db,
        actor=world["perf"],
        kind=GOAL,
        item_id=gv,
        expected_version=version,
        to_person_id=world.person_id("perf2"),
    )
    assert again.outcome is Outcome.already_handled
    steps = await history(world, gv)
    assert [s for s in steps if s[2] == "transfer"] == [("何科长", "performance", "transfer")]
    done = await review.decide(
        world.db,
        actor=world["perf2"],
        goal_version_id=gv,
        expected_version=version + 1,
        decision=ReviewDecision.approve,
        now=LATER,
    )
    assert done.ok and done.next_stage == "budget"
