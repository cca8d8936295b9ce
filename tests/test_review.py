"""The review chain: the four project shapes, returns at every stage, races and stale presses."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.ui.callbacks import button_data
from bot.ui.render import render
from storage.db import Database
from storage.models import (
    AuditEntry,
    GoalVersion,
    Indicator,
    OutboxMessage,
    Project,
    ReviewDecision,
    ReviewStage,
    ReviewStep,
)
from tests.review_world import World, build_world, invite_expert, make_goal
from workflow.core.access import settle_refusals
from workflow.review import chain as review
from workflow.review.chain import Outcome

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # a Monday morning in Shanghai
APPROVE, RETURN = ReviewDecision.approve, ReviewDecision.return_

# Who decides at each stage, per project shape (see tests.review_world).
SHAPES: dict[str, dict] = {
    "department": {"org": "EDU", "staff": "edu_staff", "key": False, "co": ()},
    "unit": {"org": "SCHOOL", "staff": "school_staff", "key": False, "co": ()},
    "key": {"org": "EDU", "staff": "edu_staff", "key": True, "co": ()},
    "shared": {"org": "EDU", "staff": "edu_staff", "key": False, "co": ("HEALTH", "CULTURE")},
}
CHAINS = {
    "department": [
        ("head", "edu_head"),
        ("business", "biz1"),
        ("performance", "perf"),
        ("budget", "budget"),
    ],
    "unit": [
        ("head", "school_head"),
        ("supervisor", "edu_head"),
        ("business", "biz1"),
        ("performance", "perf"),
        ("budget", "budget"),
    ],
    "key": [
        ("head", "edu_head"),
        ("business", "biz1"),
        ("performance", "perf"),
        ("budget", "budget"),
    ],
    "shared": [
        ("lead", "edu_head"),
        ("business", "biz1"),
        ("performance", "perf"),
        ("budget", "budget"),
    ],
}


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def submit(world: World, goal_version_id: int, staff: str = "edu_staff") -> int:
    """Hand the version to the chain as its staff would; the row version after it."""
    async with world.db.transaction() as session:
        result = await review.enter_chain(
            session, actor=world[staff], goal_version_id=goal_version_id, now=NOW
        )
    assert result.ok, result
    assert result.version is not None
    return result.version


async def version_row(world: World, goal_version_id: int) -> GoalVersion:
    async with world.db.transaction() as session:
        row = await session.get(GoalVersion, goal_version_id)
        assert row is not None
        return row


def delivered(button: list) -> list[str]:
    """A stored button as the bot sends it: its label key and its callback data."""
    key, data = button
    return [key, button_data(data)]


async def timeline(world: World, goal_version_id: int) -> list[tuple[str | None, str, int | None]]:
    async with world.db.transaction() as session:
        steps = await session.scalars(
            select(ReviewStep)
            .where(ReviewStep.item_kind == "goal_version", ReviewStep.item_id == goal_version_id)
            .order_by(ReviewStep.id)
        )
        return [(s.stage, s.decision, s.actor_id) for s in steps]


async def messages(world: World, template: str) -> list[OutboxMessage]:
    async with world.db.transaction() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == template)
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def card_holders(world: World, goal_version_id: int, version: int) -> set[int]:
    """Who got a reviewer card for this state of the item."""
    return {
        m.person_id
        for m in await messages(world, "review_card")
        if m.context["item"]["goal_version_id"] == goal_version_id
        and m.context["item"]["version"] == version
    }


async def decide(world: World, who: str, gv: int, version: int, decision=APPROVE, comment=None):
    return await review.decide(
        world.db,
        actor=world[who],
        goal_version_id=gv,
        expected_version=version,
        decision=decision,
        comment=comment,
        now=NOW,
    )


async def give_expert_opinion(world: World, gv: int, version: int) -> None:
    result = await review.give_opinion(
        world.db,
        actor=world["expert"],
        goal_version_id=gv,
        expected_version=version,
        decision=ReviewDecision.expert_agree_with_changes,
        comment="指标需细化",
        now=NOW,
    )
    assert result.ok, result


async def new_goal(world: World, shape: str, name: str = "教师培训项目") -> int:
    spec = SHAPES[shape]
    return await make_goal(
        world,
        org=spec["org"],
        staff=spec["staff"],
        key=spec["key"],
        codepartments=spec["co"],
        name=name,
    )


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_each_project_shape_goes_through_its_whole_chain(world: World, shape: str) -> None:
    gv = await new_goal(world, shape)
    staff = SHAPES[shape]["staff"]
    version = await submit(world, gv, staff)
    for stage, reviewer in CHAINS[shape]:
        row = await version_row(world, gv)
        assert (row.stage, row.status) == (stage, "in_review")
        assert await card_holders(world, gv, version) == {
            world.person_id(k) for s, k in CHAINS[shape] if s == stage
        } | ({world.person_id("biz1b")} if stage == "business" else set()) | (
            {world.person_id("perf2")} if stage == "performance" else set()
        )
        if stage == "performance" and SHAPES[shape]["key"]:
            await invite_expert(world, gv)
            await give_expert_opinion(world, gv, version)
        result = await decide(world, reviewer, gv, version)
        assert result.outcome is Outcome.moved and result.stage == stage
        version = result.version
    row = await version_row(world, gv)
    assert (row.status, row.stage) == ("approved", "issuance")
    steps = await timeline(world, gv)
    decisions = [(s, d) for s, d, _ in steps if d != "expert_agree_with_changes"]
    assert decisions == [(CHAINS[shape][0][0], "submit")] + [
        (stage, "approve") for stage, _ in CHAINS[shape]
    ]
    async with world.db.transaction() as session:
        project = await session.scalar(select(Project).where(Project.id == row.project_id))
        assert project.status == "approved"
    # The submitter, the organisation's staff and its head heard every one of the decisions.
    outcomes = await messages(world, "review_outcome")
    submitter = world.person_id(staff)
    assert len([m for m in outcomes if m.person_id == submitter]) == len(CHAINS[shape])
    final = [m for m in outcomes if m.person_id == submitter][-1]
    assert (final.context["decided_stage"], final.context["item"]["status"]) == (
        "budget",
        "approved",
    )


async def test_the_key_project_waits_for_an_expert_before_performance_decides(
    world: World,
) -> None:
    gv = await new_goal(world, "key")
    version = await submit(world, gv)
    for who in ("edu_head", "biz1"):
        version = (await decide(world, who, gv, version)).version
    # The performance section's card offers 邀请专家; no expert has a card before invited.
    perf_card = next(
        m
        for m in await messages(world, "review_card")
        if m.person_id == world.person_id("perf") and m.context["item"]["version"] == version
    )
    assert delivered(perf_card.buttons[0][2]) == ["review_invite_experts", f"rv:ex:{gv}:{version}"]
    assert await messages(world, "expert_card") == []
    early = await decide(world, "perf", gv, version)
    assert early.outcome is Outcome.awaiting_experts
    assert (await version_row(world, gv)).stage == "performance"

    await invite_expert(world, gv, "expert")
    experts = [
        m for m in await messages(world, "expert_card") if m.context["item"]["version"] == version
    ]
    assert [m.person_id for m in experts] == [world.person_id("expert")]
    assert delivered(experts[0].buttons[0][0]) == ["expert_agree", f"rv:ea:{gv}:{version}"]
    await give_expert_opinion(world, gv, version)
    notices = await messages(world, "expert_opinion_notice")
    assert {m.person_id for m in notices} == {world.person_id("perf"), world.person_id("perf2")}
    assert notices[0].context["comment"] == "指标需细化"
    again = await review.give_opinion(
        world.db,
        actor=world["expert"],
        goal_version_id=gv,
        expected_version=version,
        decision=ReviewDecision.expert_agree,
        now=NOW,
    )
    assert again.outcome is Outcome.already_handled  # one opinion per expert per round
    assert (await decide(world, "perf", gv, version)).ok


async def test_experts_have_no_say_on_ordinary_projects_or_at_other_stages(world: World) -> None:
    ordinary = await new_goal(world, "department")
    version = await submit(world, ordinary)
    for who in ("edu_head", "biz1"):
        version = (await decide(world, who, ordinary, version)).version
    refused = await review.give_opinion(
        world.db,
        actor=world["expert"],
        goal_version_id=ordinary,
        expected_version=version,
        decision=ReviewDecision.expert_agree,
        now=NOW,
    )
    assert refused.outcome is Outcome.denied
    key = await new_goal(world, "key", name="重点项目")
    key_version = await submit(world, key)
    for who in ("edu_head", "biz1"):
        key_version = (await decide(world, who, key, key_version)).version
    await invite_expert(world, key)
    await give_expert_opinion(world, key, key_version)
    key_version = (await decide(world, "perf", key, key_version)).version
    late = await review.give_opinion(
        world.db,
        actor=world["expert"],
        goal_version_id=key,
        expected_version=key_version,
        decision=ReviewDecision.expert_agree,
        now=NOW,
    )
    assert late.outcome is Outcome.already_handled  # at the budget section now
    opinions = [d for _, d, _ in await timeline(world, key) if d.startswith("expert")]
    assert opinions == ["expert_agree_with_changes"]


async def test_a_shared_project_is_decided_by_the_lead_and_followed_by_co_departments(
    world: World,
) -> None:
    gv = await new_goal(world, "shared")
    version = await submit(world, gv)
    co_head = await decide(world, "health_head", gv, version)
    assert co_head.outcome is Outcome.denied
    assert (await version_row(world, gv)).version == version
    result = await decide(world, "edu_head", gv, version)
    assert result.ok and result.stage == "lead"
    # The co-department may follow the item: a stale press tells it who handled it.
    stale = await decide(world, "health_head", gv, version)
    assert stale.outcome is Outcome.already_handled and stale.handled.by == "李局长"


UNIT_STAGES = [stage for stage, _ in CHAINS["unit"]]


async def card_of(world: World, gv: int, version: int, who: str) -> OutboxMessage:
    """The reviewer card `who` got for this state of the item."""
    found = [
        m
        for m in await messages(world, "review_card")
        if m.context["item"]["goal_version_id"] == gv
        and m.context["item"]["version"] == version
        and m.person_id == world.person_id(who)
    ]
    assert len(found) == 1, (who, found)
    return found[0]


async def raise_funds(world: World, gv: int) -> None:
    """The staff's correction: 资金总额 and one indicator target changed."""
    async with world.db.transaction() as session:
        row = await session.get(GoalVersion, gv)
        assert row is not None
        row.funds_total = Decimal("500")
        indicator = await session.scalar(
            select(Indicator).where(Indicator.goal_version_id == gv, Indicator.name == "培训人次")
        )
        assert indicator is not None
        indicator.target_value = Decimal("800")


@pytest.mark.parametrize("returning_stage", UNIT_STAGES)
async def test_a_return_at_any_stage_sends_the_resubmission_through_the_whole_chain(
    world: World, returning_stage: str
) -> None:
    gv = await new_goal(world, "unit")
    version = await submit(world, gv, "school_staff")
    chain = CHAINS["unit"]
    for stage, who in chain:
        if stage == returning_stage:
            break
        version = (await decide(world, who, gv, version)).version
    reviewer = dict(chain)[returning_stage]

    no_reason = await decide(world, reviewer, gv, version, RETURN, comment="   ")
    assert no_reason.outcome is Outcome.reason_required
    assert (await version_row(world, gv)).version == version

    returned = await decide(world, reviewer, gv, version, RETURN, comment="年度目标不够量化")
    assert returned.ok
    row = await version_row(world, gv)
    assert (row.status, row.stage) == ("returned", returning_stage)
    outcome = (await messages(world, "review_outcome"))[-3:]
    assert {m.person_id for m in outcome} == {
        world.person_id("school_staff"),
        world.person_id("school_head"),
    }
    notice = next(m for m in outcome if m.person_id == world.person_id("school_staff"))
    assert notice.context["comment"] == "年度目标不够量化"
    assert notice.context["decision"] == "return"
    assert [delivered(b) for b in notice.buttons[0]] == [
        ["review_fix", f"rv:fx:{gv}:{returned.version}"]
    ]

    # The returning reviewer's old card is stale now.
    stale = await decide(world, reviewer, gv, version)
    assert stale.outcome is Outcome.already_handled and stale.handled.decision == "return"

    # 资金总额 120.5 → 500 and one target 500 → 800: every stage sees it again, from the first.
    await raise_funds(world, gv)
    version = await submit(world, gv, "school_staff")
    row = await version_row(world, gv)
    assert (row.status, row.stage) == ("in_review", UNIT_STAGES[0])
    decided_before = UNIT_STAGES[: UNIT_STAGES.index(returning_stage) + 1]
    for stage, who in chain:
        card = await card_of(world, gv, version, who)
        changes = card.context["changes"]
        if stage in decided_before:
            assert {(c["row"], c["field"], c["old"], c["new"]) for c in changes["rows"]} == {
                ("", "funds_total", "120.5", "500"),
                ("产出/数量/培训人次", "target_value", "500", "800"),
            }
            assert changes["yours"] is True
            assert changes["decision"] == ("return" if stage == returning_stage else "approve")
            text = render("review_card", **card.context)
            assert "资金总额（万元）：120.5 → 500" in text
            assert "指标“培训人次”·指标值：500 → 800" in text
        else:
            assert changes is None  # it reaches them for the first time
        assert (await version_row(world, gv)).stage == stage
        version = (await decide(world, who, gv, version)).version
    assert (await version_row(world, gv)).status == "approved"
    steps = await timeline(world, gv)
    assert [d for _, d, _ in steps].count("approve") == len(decided_before) - 1 + len(chain)


async def test_an_unchanged_resubmission_says_so_on_every_card(world: World) -> None:
    gv = await new_goal(world, "department")
    version = await submit(world, gv)
    for who in ("edu_head", "biz1", "perf"):
        version = (await decide(world, who, gv, version)).version
    returned = await decide(world, "budget", gv, version, RETURN, comment="请补充测算依据")
    assert returned.ok
    version = await submit(world, gv)
    for who in ("edu_head", "biz1", "perf", "budget"):
        card = await card_of(world, gv, version, who)
        assert card.context["changes"]["rows"] == []
        assert "无变化" in render("review_card", **card.context)
        version = (await decide(world, who, gv, version)).version
    assert (await version_row(world, gv)).status == "approved"


async def test_an_approved_or_in_review_version_cannot_be_submitted_again(world: World) -> None:
    gv = await new_goal(world, "department")
    await submit(world, gv)
    async with world.db.transaction() as session:
        again = await review.enter_chain(
            session, actor=world["edu_staff"], goal_version_id=gv, now=NOW
        )
    assert again.outcome is Outcome.not_submittable
    assert [d for _, d, _ in await timeline(world, gv)] == ["submit"]


# The race drill: 12 presses here, 100 in `make drill` (PERFBOT_DRILL=full), both databases.
RACE_PRESSES = 100 if os.environ.get("PERFBOT_DRILL") == "full" else 12


@pytest.mark.parametrize("presses", [RACE_PRESSES])
async def test_simultaneous_presses_give_exactly_one_transition(
    world: World, monkeypatch: pytest.MonkeyPatch, presses: int
) -> None:
    gv = await new_goal(world, "department")
    version = await submit(world, gv)
    version = (await decide(world, "edu_head", gv, version)).version

    # Every press reads the item before any of them writes: the worst race there is.
    # (beyond 12, in groups of 5: each waiting press holds one of the pool's 15 connections)
    barrier = asyncio.Barrier(presses if presses <= 12 else 5)
    load_item = review.load_item

    async def load_then_wait(session, kind, item_id):
        item = await load_item(session, kind, item_id)
        await barrier.wait()
        return item

    monkeypatch.setattr(review, "load_item", load_then_wait)
    reviewers = ["biz1", "biz1b"] * (presses // 2)
    decisions = [APPROVE if i % 3 else RETURN for i in range(presses)]
    # On SQLite one process's write units queue one after another, so the race can only come
    # from several processes: each press gets a connection pool of its own, as a process has.
    pools = (
        [Database(world.db.url) for _ in range(presses)]
        if world.db.dialect == "sqlite"
        else [world.db] * presses
    )
    try:
        results = await asyncio.gather(
            *(
                decide(replace(world, db=pool), who, gv, version, decision, comment="理由")
                for pool, who, decision in zip(pools, reviewers, decisions, strict=True)
            )
        )
    finally:
        for pool in pools:
            if pool is not world.db:
                await pool.dispose()
    monkeypatch.setattr(review, "load_item", load_item)

    moved = [r for r in results if r.outcome is Outcome.moved]
    print(f"race drill ({world.db.dialect}): {presses} presses, {len(moved)} transition")
    assert len(moved) == 1
    winner = moved[0]
    losers = [r for r in results if r is not winner]
    assert all(r.outcome is Outcome.already_handled for r in losers)
    winner_name = world[reviewers[results.index(winner)]].name
    assert {r.handled.by for r in losers} == {winner_name}
    assert {r.handled.decision for r in losers} == {winner.decision}

    row = await version_row(world, gv)
    assert row.version == version + 1
    business_steps = [s for s in await timeline(world, gv) if s[0] == "business"]
    assert len(business_steps) == 1
    outcome_notices = [
        m
        for m in await messages(world, "review_outcome")
        if m.context["item"]["version"] == version + 1
    ]
    assert sorted(m.person_id for m in outcome_notices) == sorted(
        world.person_id(k) for k in ("edu_staff", "edu_staff2", "edu_head")
    )
    next_cards = await card_holders(world, gv, version + 1)
    if winner.decision == "approve":
        assert next_cards == {world.person_id("perf"), world.person_id("perf2")}
    else:
        assert next_cards == set()


async def test_stale_forged_and_unauthorised_presses_change_nothing(world: World) -> None:
    edu = await new_goal(world, "department")
    edu_version = await submit(world, edu)
    health = await make_goal(world, org="HEALTH", staff="health_staff", name="基层医疗")
    health_version = await submit(world, health, "health_staff")

    # Another item's id: the education head presses on the health commission's goal.
    other = await decide(world, "edu_head", health, health_version)
    assert other.outcome is Outcome.denied
    # A stage the person has no role for: the business section at the head stage.
    wrong_stage = await decide(world, "biz1", edu, edu_version)
    assert wrong_stage.outcome is Outcome.denied
    # A version the item never had, and an item that does not exist.
    future = await decide(world, "edu_head", edu, edu_version + 5)
    assert future.outcome is Outcome.already_handled
    missing = await decide(world, "edu_head", 999_999, 1)
    assert missing.outcome is Outcome.not_found
    # A stranger to the item pressing an old version learns nothing about it.
    stranger_stale = await decide(world, "health_head", edu, edu_version - 1)
    assert stranger_stale.outcome is Outcome.denied and stranger_stale.handled is None

    assert (await version_row(world, edu)).version == edu_version
    assert (await version_row(world, health)).version == health_version
    assert [d for _, d, _ in await timeline(world, edu)] == ["submit"]
    await settle_refusals()
    async with world.db.transaction() as session:
        refusals = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.allowed.is_(False)))
        )
    assert {(r.actor_id, r.object_id) for r in refusals} == {
        (world.person_id("edu_head"), health),
        (world.person_id("biz1"), edu),
        (world.person_id("health_head"), edu),
    }


def test_stages_follow_the_project_shape() -> None:
    from storage.models import Organisation

    department = Organisation(code="D", name="D", kind="department")
    unit = Organisation(code="U", name="U", kind="unit")
    plain = Project(year=2026, organisation_id=1, name="p")
    shared = Project(year=2026, organisation_id=1, name="p", is_shared=True)
    S = ReviewStage
    tail = (S.business, S.performance, S.budget)
    assert review.stages_for(plain, department) == (S.head, *tail)
    assert review.stages_for(plain, unit) == (S.head, S.supervisor, *tail)
    assert review.stages_for(shared, department) == (S.lead, *tail)
    key = Project(year=2026, organisation_id=1, name="p", is_key=True)
    assert review.stages_for(key, department) == (S.head, *tail) and review.needs_experts(key)


async def edits_of(world: World, message_ids: list[int]) -> list[OutboxMessage]:
    """The outbox edits of these messages."""
    async with world.db.transaction() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.edit_of_id.in_(message_ids))
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def test_when_one_reviewer_decides_every_card_of_that_state_is_closed(world: World) -> None:
    from bot.ui.render import render

    gv = await new_goal(world, "department")
    version = await submit(world, gv)
    version = (await decide(world, "edu_head", gv, version)).version
    cards = [
        m for m in await messages(world, "review_card") if m.context["item"]["version"] == version
    ]
    assert {m.person_id for m in cards} == {world.person_id("biz1"), world.person_id("biz1b")}
    assert await edits_of(world, [m.id for m in cards]) == []

    await decide(world, "biz1b", gv, version)
    edits = {edit.edit_of_id: edit for edit in await edits_of(world, [m.id for m in cards])}
    assert set(edits) == {m.id for m in cards}  # the colleague's card, and the decider's own
    for card in cards:
        assert "请审核" in render(card.template, **card.context)  # as it was sent
        edit = edits[card.id]
        assert (edit.person_id, edit.template, edit.buttons) == (
            card.person_id,
            "review_card",
            None,
        )
        settled = edit.context["settled"]
        assert (settled["by"], settled["decision"], settled["stage"]) == (
            "郑科员",
            "approve",
            "business",
        )
        assert (settled["status"], settled["next_stage"]) == ("in_review", "performance")
        text = render(edit.template, **edit.context)
        mine = card.person_id == world.person_id("biz1b")
        assert ("您已处理" if mine else "已由 郑科员 处理") in text and "绩效管理科审核中" in text
        assert "请审核" not in text and "还剩" not in text
    # The next stage's cards are open; a second decision on the old state closes nothing again.
    next_cards = [
        m
        for m in await messages(world, "review_card")
        if m.context["item"]["version"] == version + 1
    ]
    assert next_cards and await edits_of(world, [m.id for m in next_cards]) == []
    stale = await decide(world, "biz1", gv, version)
    assert stale.outcome is Outcome.already_handled
    assert len(await edits_of(world, [m.id for m in cards])) == len(cards)


async def test_a_card_shows_the_item_in_brief_and_the_working_days_left(world: World) -> None:
    from bot.ui.render import render
    from workflow.calendar import rules as deadlines

    await deadlines.ensure_default_rules(world.db)  # a review stage allows 5 working days
    gv = await new_goal(world, "unit")
    await submit(world, gv, "school_staff")
    (card,) = [
        m
        for m in await messages(world, "review_card")
        if m.person_id == world.person_id("school_head")
    ]
    assert card.context["due"] == {"date": "2026-03-09", "days_left": 5, "provisional": False}
    text = render(card.template, **card.context)
    for fragment in (
        "待审核：绩效目标部门主要领导审定",
        "项目：<b>教师培训项目</b>（2026 年度）",
        "单位：市第一中学（主管部门：市教育局）",
        "年度申请额：120.50 万元",
        "年度目标：完成全市教师轮训",
        "产出·培训人次 ≥500人次",
        "满意度·参训教师满意度 ≥90%",
        "还剩 5 个工作日（截止 2026-03-09）",
    ):
        assert fragment in text, fragment
    assert [[label for label, _ in row] for row in card.buttons] == [
        ["review_approve", "review_return"],
        ["review_approve_comment", "review_more"],
        ["review_details", "review_history", "review_form"],
    ]
