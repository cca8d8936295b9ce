"""A new reviewable kind needs only a registration: the machine, /todo and buttons follow.

The kind here exists only in this test: tracking reports under a test route (department
head → performance section) and a code letter of their own. Nothing in the machine, /todo
or the callback parser names it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.handlers.review.cards import card_buttons, checklist_keyboard
from bot.ui.callbacks import CALLBACK_LIMIT, ReviewPress, button_data
from bot.ui.render import render
from storage.db import Database
from storage.models import (
    GoalVersion,
    OutboxMessage,
    ReportStatus,
    ReviewDecision,
    ReviewStage,
    ReviewStep,
    TrackingReport,
)
from tests.review_world import World, build_world, make_goal
from workflow.core.access import Action
from workflow.forms import drafts
from workflow.review import batch as review_batch
from workflow.review import chain as review
from workflow.review import forms as review_forms
from workflow.review import todo as review_todo
from workflow.review import views as review_views
from workflow.review.chain import Outcome
from workflow.review.kinds import (
    ReviewKind,
    Statuses,
    kind_named,
    register,
    registered,
    unregister,
)
from workflow.tracking.review_kind import TRACKING

NOW = dt.datetime(2026, 10, 12, 1, 0, tzinfo=dt.UTC)  # a Monday morning in Shanghai
KIND = "test_tracking"
APPROVE, RETURN = ReviewDecision.approve, ReviewDecision.return_


@pytest.fixture
async def world(database: Database) -> AsyncIterator[World]:
    # The test kind reviews tracking reports under a route of its own: the real tracking
    # kind steps aside for the test, so each report belongs to one kind.
    real = kind_named(TRACKING)
    unregister(TRACKING)
    register(
        ReviewKind(
            name=KIND,
            code="z",
            table=TrackingReport,
            route=lambda item: (ReviewStage.head, ReviewStage.performance),
            statuses=Statuses(
                waiting=ReportStatus.submitted.value,
                returned=ReportStatus.returned.value,
                approved=ReportStatus.accepted.value,
                submittable=(ReportStatus.draft.value, ReportStatus.returned.value),
            ),
            fix_action=Action.DECLARE_GOAL,
        )
    )
    yield await build_world(database)
    unregister(KIND)
    register(real)


async def new_report(world: World, name: str = "教师培训项目") -> int:
    """A draft tracking report of a new EDU project; its id."""
    goal_version_id = await make_goal(world, name=name)
    async with world.db.transaction() as session:
        version = await session.get(GoalVersion, goal_version_id)
        assert version is not None
        report = TrackingReport(
            project_id=version.project_id,
            goal_version_id=goal_version_id,
            period_end=dt.date(2026, 9, 30),
        )
        session.add(report)
        await session.flush()
        assert report.id is not None
        return report.id


async def submit(world: World, report_id: int, when: dt.datetime = NOW) -> int:
    """The EDU staff submits the report; its row version afterwards."""
    async with world.db.transaction() as session:
        entered = await review.enter(
            session, actor=world["edu_staff"], kind=KIND, item_id=report_id, now=when
        )
    assert entered.ok and entered.version is not None
    return entered.version


async def report_row(world: World, report_id: int) -> TrackingReport:
    async with world.db.transaction() as session:
        row = await session.get(TrackingReport, report_id)
        assert row is not None
        return row


async def outbox(world: World, template: str) -> list[OutboxMessage]:
    async with world.db.transaction() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == template)
                .order_by(OutboxMessage.id)
            )
        )


def presses_on(message: OutboxMessage) -> list[ReviewPress]:
    """The presses the message's buttons make, as the bot sends and parses them."""
    found = [ReviewPress.parse(button_data(data)) for row in message.buttons for _, data in row]
    assert None not in found
    return [press for press in found if press is not None]


def press_named(message: OutboxMessage, action: str) -> ReviewPress:
    return next(press for press in presses_on(message) if press.action == action)


async def steps(world: World, report_id: int) -> list[tuple[str | None, str]]:
    async with world.db.transaction() as session:
        rows = await session.scalars(
            select(ReviewStep)
            .where(ReviewStep.item_kind == KIND, ReviewStep.item_id == report_id)
            .order_by(ReviewStep.id)
        )
        return [(step.stage, step.decision) for step in rows]


async def test_a_new_kind_goes_through_the_machine_from_enter_to_return(world: World) -> None:
    report = await new_report(world)
    await submit(world, report)

    # The first stage's reviewer, and only they, get a card whose buttons name the kind.
    (card,) = [c for c in await outbox(world, "review_item_card") if c.edit_of_id is None]
    assert card.person_id == world.person_id("edu_head")
    assert "教师培训项目" in render(card.template, **card.context)
    approve = press_named(card, "ap")
    assert (approve.kind, approve.item_id) == (KIND, report)
    assert button_data(card.buttons[0][0][1]).startswith(f"rv:ap:z{report}:")

    # It waits in the head's /todo; the business section has nothing to do.
    (waiting,) = await review_todo.todo(world.db, actor=world["edu_head"], now=NOW)
    assert (waiting.kind, waiting.item_id, waiting.task) == (KIND, report, "review")
    assert await review_todo.todo(world.db, actor=world["biz1"], now=NOW) == []

    # Stage 1 approves from the card's own button.
    approved = await review.decide_on(
        world.db,
        actor=world["edu_head"],
        kind=approve.kind,
        item_id=approve.item_id,
        expected_version=approve.version,
        decision=APPROVE,
        now=NOW,
    )
    assert approved.ok
    row = await report_row(world, report)
    assert (row.status, row.stage) == ("submitted", "performance")
    closed = [c for c in await outbox(world, "review_item_card") if c.edit_of_id == card.id]
    assert len(closed) == 1 and closed[0].context["settled"]["yours"] is True
    perf_cards = [
        c
        for c in await outbox(world, "review_item_card")
        if c.edit_of_id is None and c.context["stage"] == "performance"
    ]
    assert {c.person_id for c in perf_cards} == {
        world.person_id("perf"),
        world.person_id("perf2"),
    }

    # Stage 2 returns: refused without a reason, and nothing changes.
    back = press_named(perf_cards[0], "rt")
    no_reason = await review.decide_on(
        world.db,
        actor=world["perf"],
        kind=back.kind,
        item_id=back.item_id,
        expected_version=back.version,
        decision=RETURN,
        comment="  ",
        now=NOW,
    )
    assert no_reason.outcome is Outcome.reason_required
    assert (await report_row(world, report)).version == back.version

    # Two presses on the same card state: exactly one transition, the other is told.
    first, second = await asyncio.gather(
        review.decide_on(
            world.db,
            actor=world["perf"],
            kind=back.kind,
            item_id=back.item_id,
            expected_version=back.version,
            decision=RETURN,
            comment="偏差原因未说明",
            now=NOW,
        ),
        review.decide_on(
            world.db,
            actor=world["perf2"],
            kind=back.kind,
            item_id=back.item_id,
            expected_version=back.version,
            decision=APPROVE,
            now=NOW,
        ),
    )
    results = sorted([first, second], key=lambda r: r.outcome is not Outcome.moved)
    assert [r.outcome for r in results] == [Outcome.moved, Outcome.already_handled]
    winner = "何科长" if results[0].decision == "return" else "吕科员"
    assert results[1].handled is not None and results[1].handled.by == winner
    again = await review.decide_on(
        world.db,
        actor=world["perf"],
        kind=back.kind,
        item_id=back.item_id,
        expected_version=back.version,
        decision=RETURN,
        comment="再退一次",
        now=NOW,
    )
    assert again.outcome is Outcome.already_handled
    decided = (await steps(world, report))[2:]
    assert len(decided) == 1 and decided[0][0] == "performance"

    # The timeline shows every step, to the staff who submitted it.
    history = await review_views.timeline_of(
        world.db, actor=world["edu_staff"], kind=KIND, item_id=report
    )
    assert history.ok
    assert [(s["stage"], s["decision"]) for s in history.context["steps"]] == await steps(
        world, report
    )
    assert [s["decision"] for s in history.context["steps"]][:2] == ["submit", "approve"]
    text = render(history.template, **history.context)
    assert "李局长" in text and "部门主要领导审定" in text


async def test_a_returned_item_of_the_new_kind_tells_its_staff_and_waits_for_a_fix(
    world: World,
) -> None:
    report = await new_report(world)
    version = await submit(world, report)
    version = (
        await review.decide_on(
            world.db,
            actor=world["edu_head"],
            kind=KIND,
            item_id=report,
            expected_version=version,
            decision=APPROVE,
            now=NOW,
        )
    ).version
    returned = await review.decide_on(
        world.db,
        actor=world["perf"],
        kind=KIND,
        item_id=report,
        expected_version=version,
        decision=RETURN,
        comment="偏差原因未说明",
        now=NOW,
    )
    assert returned.ok and returned.status == "returned"
    notices = await outbox(world, "review_item_outcome")
    notice = next(n for n in notices if n.context["decision"] == "return")
    told = {n.person_id for n in notices if n.context["decision"] == "return"}
    assert world.person_id("edu_staff") in told and world.person_id("biz1") not in told
    assert "偏差原因未说明" in render(notice.template, **notice.context)
    (fix,) = await review_todo.todo(world.db, actor=world["edu_staff"], now=NOW)
    assert (fix.kind, fix.item_id, fix.task) == (KIND, report, "fix")
    # Resubmitted, it goes through the whole route again, from its first stage.
    await submit(world, report)
    assert (await report_row(world, report)).stage == "head"


async def test_the_new_kind_is_approved_in_a_batch_alongside_goal_versions(
    world: World,
) -> None:
    report = await new_report(world, "乙项目")
    version = await submit(world, report)
    version = (
        await review.decide_on(
            world.db,
            actor=world["edu_head"],
            kind=KIND,
            item_id=report,
            expected_version=version,
            decision=APPROVE,
            now=NOW,
        )
    ).version
    listed = await review_batch.open_checklist(world.db, actor=world["perf"], now=NOW)
    assert [(i.kind, i.item_id, i.checked) for i in listed.items] == [(KIND, report, False)]
    # The checklist's button parses back to the tick of exactly this item.
    tick_data = checklist_keyboard(listed).inline_keyboard[0][0].callback_data
    tick = ReviewPress.parse(tick_data)
    assert tick == ReviewPress("bt", KIND, report, version)
    ticked = await review_batch.tick(
        world.db,
        actor=world["perf"],
        kind=KIND,
        item_id=report,
        version=version,
        checked=True,
        now=NOW,
    )
    assert [i.checked for i in ticked.items] == [True]
    opened = await review_forms.start_batch(world.db, actor=world["perf"], now=NOW)
    assert opened is not None and opened.view.context["projects"] == ["乙项目"]
    await drafts.answer(world.db, person_id=world.person_id("perf"), text="同意", now=NOW)
    current = await drafts.current_draft(world.db, person_id=world.person_id("perf"))
    assert current.view is not None
    done = await drafts.submit(
        world.db,
        person_id=world.person_id("perf"),
        draft_id=current.view.id,
        version=current.view.version,
        now=NOW,
    )
    assert [(r.kind, r.item_id) for r in done.record.approved] == [(KIND, report)]
    row = await report_row(world, report)
    assert (row.status, row.stage) == ("accepted", None)


async def test_every_review_button_the_bot_sends_parses_back_to_the_same_press(
    world: World,
) -> None:
    del world  # registers the test kind
    largest = 2**31 - 1  # the largest id an integer column holds
    for kind in registered():
        for task in ("review", "opinion", "fix", "view"):
            if task == "opinion" and kind.name != "goal_version":
                continue
            for item_id, version in ((1, 1), (largest, largest)):
                for row in card_buttons(task, kind.name, item_id, version, invite=True):
                    for _, data in row:
                        sent = button_data(data)
                        assert len(sent.encode()) <= CALLBACK_LIMIT
                        press = ReviewPress.parse(sent)
                        assert press is not None
                        assert (press.kind, press.item_id, press.version) == (
                            kind.name,
                            item_id,
                            version,
                        )
                        assert press.build() == sent
    # Cards sent before there were kinds still mean goal versions; unknown codes mean nothing.
    assert ReviewPress.parse("rv:ap:12:3") == ReviewPress("ap", "goal_version", 12, 3)
    assert ReviewPress.parse("rv:ap:z12:3") == ReviewPress("ap", KIND, 12, 3)
    assert ReviewPress.parse("rv:ap:q12:3") is None
    assert ReviewPress.parse("rv:ap:zz12:3") is None
    # An id no integer column can hold is junk, not a crash on PostgreSQL.
    assert ReviewPress.parse(f"rv:ap:{2**31}:3") is None
    assert ReviewPress.parse(f"rv:ap:12:{2**31}") is None
