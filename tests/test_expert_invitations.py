"""Expert review of key projects: the performance section invites; only the invited take part."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import (
    AuditEntry,
    ExpertAssignment,
    GoalVersion,
    OutboxMessage,
    ReviewDecision,
)
from tests.review_world import World, approve_through, build_world, invite_expert, make_goal
from workflow.core.access import settle_refusals
from workflow.review import chain as review
from workflow.review import experts as review_experts
from workflow.review import views as review_views
from workflow.review.chain import Outcome

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def at_performance(world: World, *, key: bool = True, name: str = "重点实验室建设") -> int:
    gv = await make_goal(world, name=name, key=key)
    await approve_through(world, gv, reviewers=("edu_head", "biz1"), now=NOW)
    return gv


async def rows(world: World, model, *conditions) -> list:
    async with world.db.transaction() as session:
        return list(await session.scalars(select(model).where(*conditions).order_by(model.id)))


async def row_version(world: World, gv: int) -> int:
    async with world.db.transaction() as session:
        return (await session.get(GoalVersion, gv)).version


async def opinion(world: World, who: str, gv: int, decision=ReviewDecision.expert_agree):
    return await review.give_opinion(
        world.db,
        actor=world[who],
        goal_version_id=gv,
        expected_version=await row_version(world, gv),
        decision=decision,
        now=NOW,
    )


async def test_only_the_invited_expert_sees_the_project_and_gives_an_opinion(
    world: World,
) -> None:
    gv = await at_performance(world)
    panel = await review_experts.expert_panel(world.db, actor=world["perf"], goal_version_id=gv)
    assert [(e.name, e.invited) for e in panel.experts] == [("钱教授", False), ("钟研究员", False)]
    for who in ("expert", "expert2"):  # the expert role alone grants nothing
        assert await review_views.todo(world.db, actor=world[who], now=NOW) == []
        view = await review_views.details(world.db, actor=world[who], goal_version_id=gv)
        assert view.outcome is Outcome.denied
        assert (await opinion(world, who, gv)).outcome is Outcome.denied

    invited = await review_experts.invite_expert(
        world.db, actor=world["perf"], goal_version_id=gv, person_id=world.person_id("expert")
    )
    assert invited.invited == "钱教授"
    assert [(e.name, e.invited) for e in invited.experts] == [("钱教授", True), ("钟研究员", False)]
    (assignment,) = await rows(world, ExpertAssignment)
    assert (assignment.person_id, assignment.invited_by_id) == (
        world.person_id("expert"),
        world.person_id("perf"),
    )
    (card,) = await rows(world, OutboxMessage, OutboxMessage.template == "expert_card")
    assert card.person_id == world.person_id("expert")
    assert [i.task for i in await review_views.todo(world.db, actor=world["expert"], now=NOW)] == [
        "opinion"
    ]
    details = await review_views.details(world.db, actor=world["expert"], goal_version_id=gv)
    assert details.ok
    # The colleague who was not invited still has nothing to see or say.
    assert await review_views.todo(world.db, actor=world["expert2"], now=NOW) == []
    assert (await opinion(world, "expert2", gv)).outcome is Outcome.denied
    assert (await opinion(world, "expert", gv)).ok
    again = await review_experts.expert_panel(world.db, actor=world["perf2"], goal_version_id=gv)
    assert [(e.name, e.gave_opinion) for e in again.experts] == [
        ("钱教授", True),
        ("钟研究员", False),
    ]
    audit = await rows(world, AuditEntry, AuditEntry.action == "expert_invited")
    assert [(a.actor_id, a.object_id) for a in audit] == [(world.person_id("perf"), gv)]


async def test_only_the_performance_section_invites_and_only_at_its_stage(
    world: World,
) -> None:
    early = await make_goal(world, name="重点项目甲", key=True)
    await approve_through(world, early, reviewers=("edu_head",), now=NOW)
    expert = world.person_id("expert")
    too_early = await review_experts.invite_expert(
        world.db, actor=world["perf"], goal_version_id=early, person_id=expert
    )
    assert too_early.outcome is Outcome.already_handled  # it waits at the business section
    gv = await at_performance(world, name="重点项目乙")
    not_theirs = await review_experts.invite_expert(
        world.db, actor=world["biz1"], goal_version_id=gv, person_id=expert
    )
    assert not_theirs.outcome is Outcome.denied
    ordinary = await at_performance(world, key=False, name="一般项目")
    no_experts = await review_experts.invite_expert(
        world.db, actor=world["perf"], goal_version_id=ordinary, person_id=expert
    )
    assert no_experts.outcome is Outcome.not_found
    not_an_expert = await review_experts.invite_expert(
        world.db, actor=world["perf"], goal_version_id=gv, person_id=world.person_id("biz1")
    )
    assert not_an_expert.outcome is Outcome.not_found
    assert await rows(world, ExpertAssignment) == []
    assert await rows(world, OutboxMessage, OutboxMessage.template == "expert_card") == []
    await settle_refusals()
    refusals = await rows(world, AuditEntry, AuditEntry.allowed.is_(False))
    assert [(r.actor_id, r.object_id) for r in refusals] == [(world.person_id("biz1"), gv)]


async def test_simultaneous_invitations_of_one_expert_invite_once(world: World) -> None:
    gv = await at_performance(world)
    results = await asyncio.gather(
        *(
            review_experts.invite_expert(
                world.db,
                actor=world[who],
                goal_version_id=gv,
                person_id=world.person_id("expert"),
            )
            for who in ("perf", "perf2", "perf", "perf2")
        )
    )
    assert all(r.ok for r in results)
    assert [r.invited for r in results if r.invited] == ["钱教授"]
    assert len(await rows(world, ExpertAssignment)) == 1
    assert len(await rows(world, OutboxMessage, OutboxMessage.template == "expert_card")) == 1


async def test_an_opinion_closes_its_experts_card_and_the_decision_closes_the_rest(
    world: World,
) -> None:
    gv = await at_performance(world)
    await invite_expert(world, gv, "expert")
    await invite_expert(world, gv, "expert2")
    cards = {
        m.person_id: m
        for m in await rows(world, OutboxMessage, OutboxMessage.template == "expert_card")
    }
    assert set(cards) == {world.person_id("expert"), world.person_id("expert2")}

    assert (await opinion(world, "expert", gv, ReviewDecision.expert_agree)).ok
    closed = await rows(
        world,
        OutboxMessage,
        OutboxMessage.template == "expert_card",
        OutboxMessage.edit_of_id.is_not(None),
    )
    assert [c.edit_of_id for c in closed] == [cards[world.person_id("expert")].id]
    assert closed[0].context["settled"]["decision"] == "expert_agree"

    version = await row_version(world, gv)
    decided = await review.decide(
        world.db,
        actor=world["perf"],
        goal_version_id=gv,
        expected_version=version,
        decision=ReviewDecision.approve,
        now=NOW,
    )
    assert decided.ok
    edited = {
        c.edit_of_id
        for c in await rows(world, OutboxMessage, OutboxMessage.edit_of_id.is_not(None))
    }
    open_before = await rows(
        world,
        OutboxMessage,
        OutboxMessage.template.in_(["review_card", "expert_card", "expert_opinion_notice"]),
        OutboxMessage.edit_of_id.is_(None),
    )
    at_performance_stage = {m.id for m in open_before if m.context["item"]["version"] == version}
    # Every card of the performance stage is closed now: both experts', both reviewers',
    # and the opinion notices the reviewers got.
    assert at_performance_stage <= edited
    assert len(at_performance_stage) == 2 + 2 + 2
