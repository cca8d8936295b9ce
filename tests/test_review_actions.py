"""催办 and the submitter's receipt: once per working day, recorded, reviewers told."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from bot.ui.callbacks import button_data
from bot.ui.render import render
from storage.db import Database
from storage.models import AuditEntry, OutboxMessage, ReviewNudge, ReviewStep
from tests.review_world import World, approve_through, build_world, make_goal
from workflow.review import nudge as review_nudge
from workflow.review.chain import Outcome

MONDAY = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in the bureau
SATURDAY = dt.datetime(2026, 3, 7, 2, 0, tzinfo=dt.UTC)
SUNDAY = dt.datetime(2026, 3, 8, 2, 0, tzinfo=dt.UTC)
GOAL = "goal_version"


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def outbox(world: World, template: str) -> list[OutboxMessage]:
    async with world.db.transaction() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == template)
                .order_by(OutboxMessage.id)
            )
        )


async def nudge(world: World, who: str, gv: int, version: int, now: dt.datetime):
    return await review_nudge.nudge(
        world.db, actor=world[who], kind=GOAL, item_id=gv, expected_version=version, now=now
    )


async def test_the_submitter_gets_a_receipt_with_withdraw_and_nudge(world: World) -> None:
    gv = await make_goal(world)
    version = await approve_through(world, gv, reviewers=(), now=MONDAY)
    (receipt,) = await outbox(world, "review_receipt")
    assert receipt.person_id == world.person_id("edu_staff")
    assert [[key, button_data(data)] for key, data in receipt.buttons[0]] == [
        ["review_withdraw", f"rv:wd:{gv}:{version}"],
        ["review_nudge", f"rv:ng:{gv}:{version}"],
    ]
    assert "撤回" in render(receipt.template, **receipt.context)
    # Approved at the head, the submitter still may withdraw at the business stage.
    version = await approve_through(
        world, await make_goal(world, name="乙"), reviewers=("edu_head",), now=MONDAY
    )
    (notice,) = [
        m
        for m in await outbox(world, "review_outcome")
        if m.person_id == world.person_id("edu_staff")
    ]
    assert notice.buttons[0][0][0] == "review_withdraw"


async def test_a_nudge_reaches_the_reviewers_once_per_working_day(world: World) -> None:
    gv = await make_goal(world)
    version = await approve_through(world, gv, reviewers=(), now=MONDAY)

    stranger = await nudge(world, "biz1", gv, version, MONDAY)
    assert stranger.outcome is Outcome.denied

    first, second = await asyncio.gather(
        nudge(world, "edu_staff", gv, version, MONDAY),
        nudge(world, "edu_staff2", gv, version, MONDAY),
    )
    outcomes = sorted([first.outcome, second.outcome])
    assert outcomes == sorted([Outcome.moved, Outcome.nudged_today])
    refused = first if first.outcome is Outcome.nudged_today else second
    winner = "张经办" if first.ok else "刘经办"
    assert refused.handled is not None and refused.handled.by == winner

    cards = await outbox(world, "review_card")
    nudged = [m for m in cards if "nudge" in m.context]
    assert [m.person_id for m in nudged] == [world.person_id("edu_head")]
    text = render("review_card", **nudged[0].context)
    assert f"{winner} 催办" in text
    assert [key for key, _ in nudged[0].buttons[0]][:2] == ["review_approve", "review_return"]

    # Saturday counts for Monday the 9th; Sunday is the same working day: refused.
    assert (await nudge(world, "edu_staff", gv, version, SATURDAY)).ok
    assert (await nudge(world, "edu_staff", gv, version, SUNDAY)).outcome is Outcome.nudged_today
    async with world.db.transaction() as session:
        days = list(await session.scalars(select(ReviewNudge.day).order_by(ReviewNudge.day)))
        steps = list(
            await session.scalars(
                select(ReviewStep.decision).where(ReviewStep.item_id == gv).order_by(ReviewStep.id)
            )
        )
        audited = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "review_nudge"))
        )
    assert days == [dt.date(2026, 3, 2), dt.date(2026, 3, 9)]
    assert steps == ["submit", "nudge", "nudge"]
    assert len(audited) == 2

    # Once the head decides, the old state cannot be nudged.
    after = await approve_through_head(world, gv, version)
    stale = await nudge(world, "edu_staff", gv, version, MONDAY + dt.timedelta(days=1))
    assert stale.outcome is Outcome.already_handled and after


async def approve_through_head(world: World, gv: int, version: int) -> int:
    from storage.models import ReviewDecision
    from workflow.review import chain as review

    result = await review.decide(
        world.db,
        actor=world["edu_head"],
        goal_version_id=gv,
        expected_version=version,
        decision=ReviewDecision.approve,
        now=MONDAY,
    )
    assert result.ok and result.version is not None
    return result.version


async def test_the_history_shows_invitations_nudges_and_the_current_deadline(
    world: World,
) -> None:
    from tests.review_world import invite_expert
    from workflow.review import views as review_views

    gv = await make_goal(world, key=True)
    version = await approve_through(world, gv, reviewers=("edu_head", "biz1"), now=MONDAY)
    await invite_expert(world, gv)
    assert (await nudge(world, "edu_staff", gv, version, MONDAY)).ok
    view = await review_views.timeline(world.db, actor=world["edu_staff"], goal_version_id=gv)
    assert view.ok
    decisions = [s["decision"] for s in view.context["steps"]]
    assert decisions[:3] == ["submit", "approve", "approve"]
    assert set(decisions[3:]) == {"invite_expert", "nudge"}
    assert view.context["due"] is not None and view.context["waiting_stage"] == "performance"
    text = render(view.template, **view.context)
    for fragment in ("邀请专家 钱教授 评审", "催办", "📍 当前：绩效管理科审核", "截止"):
        assert fragment in text, fragment
