"""Rectification after tracking: the performance section's 提出整改建议 on its card accepts the
report and issues a request due in 7 working days; the department answers in writing; finance
asks again once, then accepts. Every step exactly once, every message to the right people."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.ui.callbacks import ReviewPress, parse_tracking
from bot.ui.callbacks import button_data as callback_of
from storage.db import Database
from storage.models import (
    FundActionKind,
    OutboxMessage,
    RectificationReply,
    RectificationRequest,
    ReviewDecision,
    TrackingReport,
)
from tests.review_world import YEAR, World, build_world
from tests.tracking_world import issued_project
from workflow.calendar.due_items import collect_due_items
from workflow.core.access import AccessDenied
from workflow.forms import attachments, drafts
from workflow.forms.drafts import DraftOutcome, DraftResult
from workflow.forms.files import Upload
from workflow.review import chain as review
from workflow.review.chain import ReviewResult
from workflow.tracking import funds, opening, rectification
from workflow.tracking.rectification_files import reply_files
from workflow.tracking.rectification_forms import start_again, start_reply, start_suggestion
from workflow.tracking.review_kind import TRACKING

NOW = dt.datetime(YEAR, 10, 12, 2, 0, tzinfo=dt.UTC)  # Monday 12 October, Shanghai morning


SCHEDULE_PDF = Upload("考期安排表.pdf", 0, b"%PDF-1.4 schedule of the extra exam sessions")
SITE_PHOTO = Upload("现场.jpg", 0, b"\xff\xd8\xff\xe0 a photo of the exam room")


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def at_finance(world: World) -> tuple[int, int]:
    """A tracking report submitted and approved by the head: (report id, row version)."""
    await issued_project(world, name="教师培训项目", amount="120.5")
    opened = await opening.open_tracking(world.db, actor=world["perf"], year=YEAR, now=NOW)
    (report_id,) = opened.opened
    async with world.db.transaction() as session:
        entered = await review.enter(
            session, actor=world["edu_staff"], kind=TRACKING, item_id=report_id, now=NOW
        )
    head = await review.decide_on(
        world.db,
        actor=world["edu_head"],
        kind=TRACKING,
        item_id=report_id,
        expected_version=entered.version,
        decision=ReviewDecision.approve,
        now=NOW,
    )
    assert head.ok and head.next_stage == "performance"
    return report_id, head.version


async def write(
    world: World, who: str, opened: DraftResult, text: str, files: tuple[Upload, ...] = ()
) -> DraftResult:
    """Type the text of a short form, send its files (if it asks for some), and confirm."""
    assert isinstance(opened, DraftResult) and opened.outcome is DraftOutcome.moved
    person = world.person_id(who)
    step = await drafts.answer(world.db, person_id=person, text=text, now=NOW)
    assert step.view is not None, step.problem
    for upload in files:
        step = await attachments.attach(world.db, person_id=person, upload=upload, now=NOW)
        assert step.outcome is DraftOutcome.moved, step.problem
    assert step.view is not None
    if step.view.step.kind != "summary":  # the reply's files question: done, or skipped
        done = drafts.keep if files else drafts.skip
        step = await done(
            world.db, person_id=person, draft_id=step.view.id, version=step.view.version, now=NOW
        )
        assert step.view is not None and step.view.step.kind == "summary", step.problem
    return await drafts.submit(
        world.db,
        person_id=person,
        draft_id=step.view.id,
        version=step.view.version,
        now=NOW,
    )


async def messages(world: World, template: str) -> list[OutboxMessage]:
    async with world.db.sessions() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == template)
                .order_by(OutboxMessage.id)
            )
        )


async def request_row(world: World) -> RectificationRequest:
    async with world.db.sessions() as session:
        return (await session.scalars(select(RectificationRequest))).one()


async def test_suggestion_reply_ask_again_and_accept(world: World) -> None:
    report_id, version = await at_finance(world)
    cards = [m for m in await messages(world, "tracking_review_card") if m.person_id]
    finance_card = next(m for m in cards if m.person_id == world.person_id("perf"))
    presses = [
        ReviewPress.parse(callback_of(data)) for row in finance_card.buttons for _, data in row
    ]
    assert ReviewPress("rq", TRACKING, report_id, version) in presses

    issued = await write(
        world,
        "perf",
        await start_suggestion(
            world.db, actor=world["perf"], report_id=report_id, version=version, now=NOW
        ),
        "取证率偏低，请说明补考安排",
    )
    assert issued.outcome is DraftOutcome.submitted
    assert issued.record.due == dt.date(YEAR, 10, 21)  # 7 working days after Monday 12th
    late = await start_suggestion(
        world.db, actor=world["perf"], report_id=report_id, version=version, now=NOW
    )
    assert isinstance(late, ReviewResult) and not late.ok  # the card moved on: nothing twice

    async with world.db.sessions() as session:
        report = await session.get(TrackingReport, report_id)
    request = await request_row(world)
    assert report.status == "accepted"
    assert (request.status, request.source, request.tracking_report_id) == (
        "open",
        "tracking",
        report_id,
    )
    notices = await messages(world, "rectification_request")
    assert world.person_id("edu_staff") in {n.person_id for n in notices}
    assert world.person_id("health_staff") not in {n.person_id for n in notices}
    notice = notices[0]
    assert notice.context["content"] == "取证率偏低，请说明补考安排"
    press = parse_tracking(callback_of(notice.buttons[0][0][1]))
    assert (press.action, press.number) == ("rp", request.id)

    with pytest.raises(AccessDenied):  # another department's staff
        await start_reply(world.db, actor=world["health_staff"], request_id=request.id, now=NOW)
    replied = await write(
        world,
        "edu_staff",
        await start_reply(world.db, actor=world["edu_staff"], request_id=request.id, now=NOW),
        "已与鉴定机构约定 11 月加开考期",
    )
    assert replied.outcome is DraftOutcome.submitted
    again_refused = await start_reply(
        world.db, actor=world["edu_staff"], request_id=request.id, now=NOW
    )
    assert getattr(again_refused, "code", None) == "rectification_not_open"
    to_finance = to_finance_all = await messages(world, "rectification_replied")
    assert world.person_id("perf") in {m.person_id for m in to_finance}
    assert world.person_id("edu_staff") not in {m.person_id for m in to_finance}
    to_finance = to_finance[0]
    assert len(to_finance.buttons) == 1 and to_finance.context["files"] == []  # none sent
    decisions = [parse_tracking(callback_of(data)) for _, data in to_finance.buttons[0]]
    assert [(p.action, p.second) for p in decisions] == [("ra", 2), ("rg", 2)]

    asked = await write(
        world,
        "perf",
        await start_again(world.db, actor=world["perf"], request_id=request.id, version=2, now=NOW),
        "请附考期安排表",
    )
    assert asked.outcome is DraftOutcome.submitted
    request = await request_row(world)
    assert (request.status, request.version) == ("reopened", 3)
    assert request.content == "取证率偏低，请说明补考安排"  # the first round's text is kept
    closed_cards = [m for m in await messages(world, "rectification_replied") if m.edit_of_id]
    assert {m.person_id for m in closed_cards} == {m.person_id for m in to_finance_all}
    assert all(
        m.buttons is None and m.context["settled"]["outcome"] == "reopened" for m in closed_cards
    )
    second_round = (await messages(world, "rectification_request"))[-1]
    assert second_round.context["content"] == "请附考期安排表" and second_round.context["reopened"]

    await write(
        world,
        "edu_staff",
        await start_reply(world.db, actor=world["edu_staff"], request_id=request.id, now=NOW),
        "考期安排表已报送",
        files=(SCHEDULE_PDF, SITE_PHOTO),
    )
    with_files = (await messages(world, "rectification_replied"))[-1]
    assert [f["name"] for f in with_files.context["files"]] == ["考期安排表.pdf", "现场.jpg"]
    fetch = parse_tracking(callback_of(with_files.buttons[-1][0][1]))
    assert fetch.action == "af"
    kept = await reply_files(world.db, actor=world["perf"], reply_id=fetch.number)
    assert [(f.file_name, f.content, f.mime_type) for f in kept] == [
        ("考期安排表.pdf", SCHEDULE_PDF.content, "application/pdf"),
        ("现场.jpg", SITE_PHOTO.content, "image/jpeg"),
    ]
    assert kept == await reply_files(world.db, actor=world["edu_staff"], reply_id=fetch.number)
    with pytest.raises(AccessDenied):  # another department sees nothing of it
        await reply_files(world.db, actor=world["health_staff"], reply_id=fetch.number)
    with pytest.raises(AccessDenied):
        await rectification.accept(
            world.db, actor=world["edu_staff"], request_id=request.id, version=4
        )
    first = await rectification.accept(
        world.db, actor=world["perf"], request_id=request.id, version=4
    )
    twice = await rectification.accept(
        world.db, actor=world["perf"], request_id=request.id, version=4
    )
    assert (first, twice) == ("accepted", "stale")
    settled = [
        m
        for m in await messages(world, "rectification_replied")
        if m.edit_of_id and m.context["settled"]["outcome"] == "accepted"
    ]
    assert settled and all(  # the decision buttons go, the files stay readable
        [row[0][0] for row in m.buttons] == ["rectification_files"] for m in settled
    )
    request = await request_row(world)
    assert request.status == "accepted" and request.closed_at is not None
    async with world.db.sessions() as session:
        replies = list(
            await session.scalars(select(RectificationReply).order_by(RectificationReply.id))
        )
    assert [(r.content, r.accepted, r.finance_comment) for r in replies] == [
        ("已与鉴定机构约定 11 月加开考期", False, "请附考期安排表"),
        ("考期安排表已报送", True, None),
    ]
    closed = await messages(world, "rectification_accepted")
    assert world.person_id("edu_staff") in {m.person_id for m in closed}


async def test_a_submitted_report_is_due_with_the_head_then_with_finance(world: World) -> None:
    await issued_project(world, name="教师培训项目", amount="120.5")
    opened = await opening.open_tracking(world.db, actor=world["perf"], year=YEAR, now=NOW)
    (report_id,) = opened.opened
    async with world.db.transaction() as session:
        entered = await review.enter(
            session, actor=world["edu_staff"], kind=TRACKING, item_id=report_id, now=NOW
        )

    async def waiting() -> list[tuple[str, frozenset[int]]]:
        async with world.db.sessions() as session:
            snapshot = await collect_due_items(session, today=NOW.date())
        return [
            (item.rule_key, item.owners)
            for item in snapshot.items
            if item.subject.startswith(f"tr{report_id}.")
        ]

    assert await waiting() == [("review.head", frozenset({world.person_id("edu_head")}))]
    await review.decide_on(
        world.db,
        actor=world["edu_head"],
        kind=TRACKING,
        item_id=report_id,
        expected_version=entered.version,
        decision=ReviewDecision.approve,
        now=NOW,
    )
    ((rule, owners),) = await waiting()
    assert rule == "tracking_review"
    assert owners == {world.person_id("perf"), world.person_id("perf2")}


async def test_a_proposed_fund_action_reaches_the_budget_section_and_a_lift_follows_acceptance(
    world: World,
) -> None:
    report_id, version = await at_finance(world)
    perf = world.person_id("perf")
    opened = await start_suggestion(
        world.db, actor=world["perf"], report_id=report_id, version=version, now=NOW
    )
    assert isinstance(opened, DraftResult)
    asked = await drafts.answer(world.db, person_id=perf, text="资金使用进度严重滞后", now=NOW)
    assert asked.view is not None and str(asked.view.cursor) == "fund_proposal"
    proposed = await drafts.choose(
        world.db,
        person_id=perf,
        draft_id=asked.view.id,
        version=asked.view.version,
        index=0,
        now=NOW,
    )
    assert proposed.view is not None and proposed.view.step.kind == "summary"
    issued = await drafts.submit(
        world.db, person_id=perf, draft_id=proposed.view.id, version=proposed.view.version, now=NOW
    )
    assert issued.outcome is DraftOutcome.submitted
    request = await request_row(world)
    assert request.proposed_fund_action == "suspend"
    to_department = (await messages(world, "rectification_request"))[0]
    assert to_department.context["proposed_fund"] == "suspend"
    to_budget = await messages(world, "fund_proposed")
    assert {m.person_id for m in to_budget} == {world.person_id("budget")}
    press = parse_tracking(callback_of(to_budget[0].buttons[0][0][1]))
    assert (press.action, press.first, press.second) == ("f", "s", request.project_id)

    # The budget section suspends part of the funds; once the rectification is accepted,
    # it is told it may lift the suspension, with the button that does.
    suspended = await funds.record_fund_action(
        world.db,
        actor=world["budget"],
        project_id=request.project_id,
        kind=FundActionKind.suspend,
        amount=Decimal(30),
        reason="待整改到位后拨付",
        now=NOW,
    )
    assert suspended.problem is None
    await write(
        world,
        "edu_staff",
        await start_reply(world.db, actor=world["edu_staff"], request_id=request.id, now=NOW),
        "已加快支付进度",
    )
    assert not await messages(world, "fund_may_resume")
    assert (
        await rectification.accept(world.db, actor=world["perf"], request_id=request.id, version=2)
        == "accepted"
    )
    (lift,) = await messages(world, "fund_may_resume")
    assert lift.person_id == world.person_id("budget") and lift.context["amount"] == "30.00"
    press = parse_tracking(callback_of(lift.buttons[0][0][1]))
    assert (press.action, press.first) == ("f", "u")


async def test_the_suggestion_quotes_the_indicators_off_track(world: World) -> None:
    from bot.conversations import form_view
    from storage.models import Indicator, TrackingProgress
    from tests.test_form_view import check

    report_id, version = await at_finance(world)
    async with world.db.transaction() as session:
        indicators = list(await session.scalars(select(Indicator).order_by(Indicator.position)))
        session.add(
            TrackingProgress(
                tracking_report_id=report_id,
                indicator_id=indicators[0].id,
                actual_value=Decimal(300),
                likelihood="possible",
            )
        )
        session.add(
            TrackingProgress(
                tracking_report_id=report_id, indicator_id=indicators[2].id, likelihood="certain"
            )
        )
    opened = await start_suggestion(
        world.db, actor=world["perf"], report_id=report_id, version=version, now=NOW
    )
    text = check(form_view.step(opened.view))
    assert "有 1 项指标完成可能性不是“确定能”" in text
    assert "· 培训人次（有可能，1-9 月完成 300）" in text
    assert "参训教师满意度" not in text
