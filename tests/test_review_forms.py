"""The review chain's short forms: return reasons, expert opinions, batch approval."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from bot.conversations import form_view
from bot.ui.render import render
from storage.db import Database
from storage.models import GoalVersion, OutboxMessage, ReviewDecision, ReviewStep
from tests.review_world import (
    World,
    build_world,
    invite_expert,
    make_goal,
    submit_goal_version,
)
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome
from workflow.review import batch as review_batch
from workflow.review import chain as review
from workflow.review import forms as review_forms
from workflow.review import views as review_views
from workflow.review.chain import Outcome

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def at_stage(world: World, gv: int, reviewers: tuple[str, ...], staff: str = "edu_staff"):
    version = await submit_goal_version(world, gv, staff, NOW)
    for who in reviewers:
        result = await review.decide(
            world.db,
            actor=world[who],
            goal_version_id=gv,
            expected_version=version,
            decision=ReviewDecision.approve,
            now=NOW,
        )
        version = result.version
    return version


async def confirm(world: World, who: str, opened: drafts.DraftResult) -> drafts.DraftResult:
    """Answer nothing more: confirm the summary as shown."""
    current = await drafts.current_draft(world.db, person_id=world.person_id(who))
    assert current.view is not None and current.view.step.kind == "summary"
    return await drafts.submit(
        world.db,
        person_id=world.person_id(who),
        draft_id=current.view.id,
        version=current.view.version,
        now=NOW,
    )


async def version_row(world: World, gv: int) -> GoalVersion:
    async with world.db.transaction() as session:
        return await session.get(GoalVersion, gv)


async def test_a_return_asks_for_the_reason_then_returns_exactly_that_version(
    world: World,
) -> None:
    gv = await make_goal(world)
    version = await at_stage(world, gv, ("edu_head",))
    opened = await review_forms.start_return(
        world.db, actor=world["biz1"], goal_version_id=gv, expected_version=version, now=NOW
    )
    assert opened.outcome is DraftOutcome.moved and opened.view.step.field.name == "reason"
    assert (await version_row(world, gv)).status == "in_review"  # nothing happens yet
    person = world.person_id("biz1")
    await drafts.answer(world.db, person_id=person, text="年度目标需量化", now=NOW)
    done = await confirm(world, "biz1", opened)
    assert done.outcome is DraftOutcome.submitted and done.record.ok
    row = await version_row(world, gv)
    assert (row.status, row.stage) == ("returned", "business")
    async with world.db.transaction() as session:
        steps = await session.scalars(
            select(ReviewStep).where(
                ReviewStep.item_kind == "goal_version", ReviewStep.item_id == gv
            )
        )
        last = list(steps)[-1]
    assert (last.stage, last.decision, last.comment) == ("business", "return", "年度目标需量化")


async def test_an_approval_with_a_comment_keeps_it_and_tells_the_staff(world: World) -> None:
    gv = await make_goal(world)
    version = await at_stage(world, gv, ("edu_head",))
    opened = await review_forms.start_return(
        world.db,
        actor=world["biz1"],
        goal_version_id=gv,
        expected_version=version,
        now=NOW,
        form=review_forms.APPROVE_COMMENT,
    )
    assert opened.outcome is DraftOutcome.moved and opened.view.step.field.name == "comment"
    person = world.person_id("biz1")
    await drafts.answer(world.db, person_id=person, text="请在实施中注意资金进度", now=NOW)
    done = await confirm(world, "biz1", opened)
    assert done.outcome is DraftOutcome.submitted and done.record.ok
    assert "已通过《教师培训项目》" in render("review_form_done", record=done.record)
    row = await version_row(world, gv)
    assert (row.status, row.stage) == ("in_review", "performance")
    async with world.db.transaction() as session:
        last = await session.scalar(
            select(ReviewStep).where(ReviewStep.item_id == gv).order_by(ReviewStep.id.desc())
        )
        told = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.template == "review_outcome",
                OutboxMessage.person_id == world.person_id("edu_staff"),
                OutboxMessage.dedupe_key.like(f"rv:outcome:{gv}:{row.version}:%"),
            )
        )
    assert (last.stage, last.decision, last.comment) == (
        "business",
        "approve",
        "请在实施中注意资金进度",
    )
    assert "请在实施中注意资金进度" in render(told.template, **told.context)
    history = await review_views.timeline(world.db, actor=world["edu_staff"], goal_version_id=gv)
    assert "请在实施中注意资金进度" in render(history.template, **history.context)


async def test_a_return_started_on_a_card_that_moved_on_changes_nothing(world: World) -> None:
    gv = await make_goal(world)
    version = await at_stage(world, gv, ("edu_head",))
    await review_forms.start_return(
        world.db, actor=world["biz1"], goal_version_id=gv, expected_version=version, now=NOW
    )
    await drafts.answer(world.db, person_id=world.person_id("biz1"), text="理由", now=NOW)
    approved = await review.decide(
        world.db,
        actor=world["biz1b"],
        goal_version_id=gv,
        expected_version=version,
        decision=ReviewDecision.approve,
        now=NOW,
    )
    assert approved.ok
    done = await confirm(world, "biz1", None)
    assert done.record.outcome is Outcome.already_handled
    assert done.record.handled.by == "郑科员"
    assert (await version_row(world, gv)).stage == "performance"


async def test_only_the_stage_reviewers_can_start_a_return(world: World) -> None:
    gv = await make_goal(world)
    version = await at_stage(world, gv, ())
    refused = await review_forms.start_return(
        world.db, actor=world["biz1"], goal_version_id=gv, expected_version=version, now=NOW
    )
    assert refused.outcome is Outcome.denied
    none = await drafts.current_draft(world.db, person_id=world.person_id("biz1"))
    assert none.outcome is DraftOutcome.none


async def test_an_expert_disagreeing_must_say_why(world: World) -> None:
    gv = await make_goal(world, key=True)
    version = await at_stage(world, gv, ("edu_head", "biz1"))
    await invite_expert(world, gv)
    opened = await review_forms.start_opinion(
        world.db,
        actor=world["expert"],
        goal_version_id=gv,
        expected_version=version,
        decision=ReviewDecision.expert_disagree,
        now=NOW,
    )
    assert opened.view.step.field.name == "opinion"
    shown = form_view.step(opened.view)  # marked 必填, so no 跳过 on offer
    assert "（必填）" in shown.text
    assert "跳过" not in [b.text for row in shown.markup.inline_keyboard for b in row]
    expert = world.person_id("expert")
    skipped = await drafts.skip(world.db, person_id=expert, now=NOW)
    assert skipped.outcome is DraftOutcome.refused
    assert skipped.problem.code == "opinion_required"
    await drafts.answer(world.db, person_id=expert, text="成本指标缺失", now=NOW)
    done = await confirm(world, "expert", opened)
    assert done.record.ok and done.record.decision == "expert_disagree"
    approved = await review.decide(
        world.db,
        actor=world["perf"],
        goal_version_id=gv,
        expected_version=version,
        decision=ReviewDecision.approve,
        now=NOW,
    )
    assert approved.ok


async def test_an_expert_agreeing_may_skip_the_reasons(world: World) -> None:
    gv = await make_goal(world, key=True)
    version = await at_stage(world, gv, ("edu_head", "biz1"))
    await invite_expert(world, gv)
    opened = await review_forms.start_opinion(
        world.db,
        actor=world["expert"],
        goal_version_id=gv,
        expected_version=version,
        decision=ReviewDecision.expert_agree,
        now=NOW,
    )
    shown = form_view.step(opened.view)
    assert "（可跳过）" in shown.text
    assert "跳过" in [b.text for row in shown.markup.inline_keyboard for b in row]
    skipped = await drafts.skip(world.db, person_id=world.person_id("expert"), now=NOW)
    assert skipped.outcome is DraftOutcome.moved and skipped.view.step.kind == "summary"


async def tick(world: World, who: str, gv: int, version: int, checked: bool = True):
    return await review_batch.tick(
        world.db,
        actor=world[who],
        kind="goal_version",
        item_id=gv,
        version=version,
        checked=checked,
        now=NOW,
    )


async def test_a_batch_approves_every_checked_item_still_waiting(world: World) -> None:
    waiting = []
    for name in ("甲项目", "乙项目", "丙项目"):
        gv = await make_goal(world, name=name)
        waiting.append((gv, await at_stage(world, gv, ("edu_head", "biz1"))))
    listed = await review_batch.open_checklist(world.db, actor=world["perf"], now=NOW)
    assert [(i.project, i.checked) for i in listed.items] == [
        ("甲项目", False),
        ("乙项目", False),
        ("丙项目", False),
    ]
    for gv, version in waiting:
        assert (await tick(world, "perf", gv, version)).ok
    moved_gv, moved_version = waiting[2]
    await review.decide(
        world.db,
        actor=world["perf2"],
        goal_version_id=moved_gv,
        expected_version=moved_version,
        decision=ReviewDecision.approve,
        now=NOW,
    )
    opened = await review_forms.start_batch(world.db, actor=world["perf"], now=NOW)
    assert opened.view.step.field.name == "comment"
    assert opened.view.context["projects"] == ["甲项目", "乙项目", "丙项目"]
    await drafts.answer(world.db, person_id=world.person_id("perf"), text="同意", now=NOW)
    done = await confirm(world, "perf", opened)
    batch = done.record
    assert [r.goal_version_id for r in batch.approved] == [waiting[0][0], waiting[1][0]]
    assert [r.outcome for r in batch.skipped] == [Outcome.already_handled]
    for gv, _ in waiting:
        assert (await version_row(world, gv)).stage == "budget"
    # The ticks went with the batch.
    assert await review_forms.start_batch(world.db, actor=world["perf"], now=NOW) is None


async def test_quick_ticks_are_all_kept_and_a_double_tap_ticks_once(world: World) -> None:
    waiting = []
    for name in ("甲项目", "乙项目", "丙项目"):
        gv = await make_goal(world, name=name)
        waiting.append((gv, await at_stage(world, gv, ("edu_head", "biz1"))))
    await review_batch.open_checklist(world.db, actor=world["perf"], now=NOW)
    (a, va), (b, vb), (c, vc) = waiting
    # Three presses at once, two of them the same button: nothing is lost or undone.
    await asyncio.gather(
        tick(world, "perf", a, va), tick(world, "perf", b, vb), tick(world, "perf", b, vb)
    )
    after = await tick(world, "perf", c, vc, checked=False)  # unticking what is not ticked
    assert [(i.project, i.checked) for i in after.items] == [
        ("甲项目", True),
        ("乙项目", True),
        ("丙项目", False),
    ]
    assert [
        i.project for i in (await tick(world, "perf", a, va, checked=False)).items if i.checked
    ] == ["乙项目"]
    # A new checklist starts empty.
    fresh = await review_batch.open_checklist(world.db, actor=world["perf"], now=NOW)
    assert not any(i.checked for i in fresh.items)
    assert await review_forms.start_batch(world.db, actor=world["perf"], now=NOW) is None


async def test_only_batchable_items_of_mine_can_be_ticked(world: World) -> None:
    at_head = await make_goal(world, name="甲项目")
    head_version = await at_stage(world, at_head, ())
    at_business = await make_goal(world, name="乙项目")
    business_version = await at_stage(world, at_business, ("edu_head",))
    refused = await tick(world, "perf", at_head, head_version)
    assert refused.outcome is Outcome.denied  # not the performance section's to decide
    not_batchable = await tick(world, "biz1", at_business, business_version)
    assert not_batchable.outcome is Outcome.denied  # the business section decides one by one
    stale = await tick(world, "edu_head", at_business, business_version - 1)
    assert stale.outcome is Outcome.already_handled
    async with world.db.transaction() as session:
        assert await review_batch.ticked(session, world.person_id("perf")) == []
        assert await review_batch.ticked(session, world.person_id("biz1")) == []


async def test_fixing_a_returned_goal_opens_the_goal_form_for_its_own_staff_only(
    world: World,
) -> None:
    from workflow.core.access import AccessDenied
    from workflow.goals import declaration as goals

    gv = await make_goal(world)
    version = await at_stage(world, gv, ())
    returned = await review.decide(
        world.db,
        actor=world["edu_head"],
        goal_version_id=gv,
        expected_version=version,
        decision=ReviewDecision.return_,
        comment="请补充",
        now=NOW,
    )
    with pytest.raises(AccessDenied):
        await review_forms.start_fix(
            world.db,
            actor=world["health_staff"],
            goal_version_id=gv,
            expected_version=returned.version,
            now=NOW,
        )
    form, missing = await review_forms.start_fix(
        world.db, actor=world["edu_staff"], goal_version_id=999_999, expected_version=1, now=NOW
    )
    assert missing.outcome is Outcome.not_found
    form, opened = await review_forms.start_fix(
        world.db,
        actor=world["edu_staff"],
        goal_version_id=gv,
        expected_version=returned.version,
        now=NOW,
    )
    assert form == goals.GOAL_FORM and opened.outcome is DraftOutcome.moved
    assert opened.view.data["annual_goal"] == "完成全市教师轮训"  # prefilled
