"""The 绩效跟踪表 in the chat: staff fill it row by row, lights as they go, a restart in the
middle, and the submission goes to the department head and then the performance section."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.conversations import form_view
from bot.ui.render import render
from storage.db import Database
from storage.models import (
    OutboxMessage,
    ReviewDecision,
    ReviewStep,
    TrackingProgress,
    TrackingReport,
)
from tests.review_world import YEAR, World, build_world
from tests.test_form_view import check
from tests.tracking_world import issued_project
from workflow.core.access import AccessDenied
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome, DraftResult
from workflow.forms.spec import Problem
from workflow.review import chain as review
from workflow.tracking import opening
from workflow.tracking.form import CAUSES, start_tracking_form
from workflow.tracking.review_kind import TRACKING

NOW = dt.datetime(YEAR, 10, 9, 2, 0, tzinfo=dt.UTC)
POINTS = Decimal(10)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def open_report(world: World) -> int:
    """An issued EDU project with its Q3 tracking task; the report id."""
    await issued_project(world, name="教师培训项目", amount="120.5")
    await opening.open_tracking(world.db, actor=world["perf"], year=YEAR, now=NOW)
    async with world.db.sessions() as session:
        return (await session.scalars(select(TrackingReport.id))).one()


async def say(db: Database, person: int, text: str) -> DraftResult:
    result = await drafts.answer(db, person_id=person, text=text, now=NOW)
    assert result.outcome is DraftOutcome.moved, (text, result.problem)
    return result


async def press(db: Database, person: int, operation, **kwargs) -> DraftResult:
    view = (await drafts.current_draft(db, person_id=person)).view
    result = await operation(
        db, person_id=person, draft_id=view.id, version=view.version, now=NOW, **kwargs
    )
    assert result.outcome in (DraftOutcome.moved, DraftOutcome.submitted), result.problem
    return result


async def approve(world: World, who: str, report_id: int, version: int):
    """`who` presses 通过 on the report's card showing row version `version`."""
    return await review.decide_on(
        world.db,
        actor=world[who],
        kind=TRACKING,
        item_id=report_id,
        expected_version=version,
        decision=ReviewDecision.approve,
        now=NOW,
    )


def shown(result: DraftResult) -> str:
    return check(form_view.step(result.view, result.problem))


async def test_staff_fill_the_form_across_a_restart_and_it_reaches_the_head_then_finance(
    world: World, second_process: Database
) -> None:
    report_id = await open_report(world)
    staff = world.person_id("edu_staff")
    started = await start_tracking_form(
        world.db, actor=world["edu_staff"], report_id=report_id, yellow_points=POINTS, now=NOW
    )
    assert not isinstance(started, Problem)
    assert str(started.view.cursor) == "budget_full_year"
    assert "年初预算数（万元）：120.5" in shown(started)

    await say(world.db, staff, "120.5")
    above = await drafts.answer(world.db, person_id=staff, text="130", now=NOW)
    assert above.outcome is DraftOutcome.refused
    assert "不能超过全年预算数 A（120.5 万元）" in shown(above)
    negative = await drafts.answer(world.db, person_id=staff, text="-1", now=NOW)
    assert negative.outcome is DraftOutcome.refused
    red = await say(world.db, staff, "60")  # 49.79 % after Q3: red
    assert "执行率（B/A）：49.79%" in shown(red) and "🔴 红灯" in shown(red)
    await say(world.db, staff, "110")
    skipped = await drafts.skip(world.db, person_id=staff, now=NOW)
    assert skipped.outcome is DraftOutcome.refused
    assert "必须说明原因" in shown(skipped)
    row = await say(world.db, staff, "招标延后至 8 月")
    assert str(row.view.cursor) == "indicators#0.actual"
    assert "培训人次" in shown(row) and "≥ 500" in shown(row)

    await say(world.db, staff, "300")  # 60 % of the target after 75 % of the year: red
    await say(world.db, staff, "第四季度加开两期，可完成 500 人次")
    asked = await press(world.db, staff, drafts.choose, index=1)  # 有可能
    assert str(asked.view.cursor) == "indicators#0.causes"
    for cause in ("funds", "other"):
        await press(world.db, staff, drafts.toggle_choice, index=CAUSES.index(cause))

    # The bot restarts: another process reads the draft and resumes with the ticks kept.
    resumed = await drafts.resume(second_process, person_id=staff, now=NOW)
    assert resumed.outcome is DraftOutcome.shown
    assert str(resumed.view.cursor) == "indicators#0.causes"
    assert "已选：经费保障、其他" in shown(resumed)
    explained = await press(second_process, staff, drafts.confirm_choices)
    assert str(explained.view.cursor) == "indicators#0.explanation"
    await say(second_process, staff, "培训场地改造延期")
    await say(second_process, staff, "增开周末班次")

    qualitative = await drafts.current_draft(second_process, person_id=staff)
    assert str(qualitative.view.cursor) == "indicators#1.actual_text"
    await say(second_process, staff, "课堂评估优良率提高")
    await say(second_process, staff, "全年可达成")
    green = await press(second_process, staff, drafts.choose, index=0)  # 确定能: green
    assert str(green.view.cursor) == "indicators#2.actual"
    await say(second_process, staff, "95")
    await say(second_process, staff, "满意度保持在 90% 以上")
    menu = await press(second_process, staff, drafts.choose, index=0)
    assert menu.view.step.kind == "menu" and "3/3 已填写" in shown(menu)
    summary = await press(second_process, staff, drafts.finish_rows)
    assert summary.view.step.kind == "summary"
    submitted = await press(second_process, staff, drafts.submit)
    assert submitted.outcome is DraftOutcome.submitted
    assert submitted.record.light == "red" and submitted.record.red_or_yellow == 1

    async with world.db.sessions() as session:
        report = await session.get(TrackingReport, report_id)
        progress = list(
            await session.scalars(
                select(TrackingProgress)
                .where(TrackingProgress.tracking_report_id == report_id)
                .order_by(TrackingProgress.indicator_id)
            )
        )
        cards = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.template == "tracking_review_card")
            )
        )
    assert (report.status, report.stage) == ("submitted", "head")
    assert report.budget_full_year == Decimal("120.5")
    assert report.executed_to_date == Decimal("60")
    assert report.expected_full_year == Decimal("110")
    assert (report.light, report.light_reason) == ("red", "招标延后至 8 月")
    assert [p.actual_value for p in progress] == [Decimal(300), None, Decimal(95)]
    assert progress[1].actual_text == "课堂评估优良率提高"
    assert [p.likelihood for p in progress] == ["possible", "certain", "certain"]
    assert progress[0].deviation_causes == "funds,other"
    assert progress[0].deviation_explanation == "培训场地改造延期"
    assert progress[0].measures == "增开周末班次" and progress[2].measures is None
    assert {card.person_id for card in cards} == {world.person_id("edu_head")}
    (card,) = cards
    assert card.template == "tracking_review_card"
    shown_card = render(card.template, **card.context)
    assert "执行率 49.79% · 红灯" in shown_card
    assert "1. 培训人次（≥500人次）：300 · 有可能；改进措施：增开周末班次" in shown_card
    assert "2. 教学质量提升（达成）：课堂评估优良率提高 · 确定能" in shown_card

    head = await approve(world, "edu_head", report_id, report.version)
    assert head.ok and head.next_stage == "performance"
    twice = await approve(world, "edu_head", report_id, report.version)
    assert not twice.ok
    finance = await approve(world, "perf", report_id, head.version)
    assert finance.ok
    async with world.db.sessions() as session:
        report = await session.get(TrackingReport, report_id)
        steps = list(
            await session.scalars(
                select(ReviewStep.decision).where(
                    ReviewStep.item_kind == TRACKING, ReviewStep.item_id == report_id
                )
            )
        )
    assert report.status == "accepted"
    assert steps == ["submit", "approve", "approve"]


async def test_another_departments_staff_cannot_open_the_form(world: World) -> None:
    report_id = await open_report(world)
    with pytest.raises(AccessDenied):
        await start_tracking_form(
            world.db,
            actor=world["health_staff"],
            report_id=report_id,
            yellow_points=POINTS,
            now=NOW,
        )


async def test_a_submitted_report_cannot_be_filled_again(world: World) -> None:
    report_id = await open_report(world)
    async with world.db.transaction() as session:
        report = await session.get(TrackingReport, report_id)
        report.status = "submitted"
    refused = await start_tracking_form(
        world.db, actor=world["edu_staff"], report_id=report_id, yellow_points=POINTS, now=NOW
    )
    assert isinstance(refused, Problem) and refused.code == "tracking_not_fillable"


async def test_a_returned_report_is_corrected_from_its_previous_answers(world: World) -> None:
    report_id = await open_report(world)
    staff = world.person_id("edu_staff")
    opened = await start_tracking_form(
        world.db, actor=world["edu_staff"], report_id=report_id, yellow_points=POINTS, now=NOW
    )
    assert not isinstance(opened, Problem)
    for text in ("120.5", "100", "120"):  # 82.99 %: green, the reason may be skipped
        await say(world.db, staff, text)
    skipped = await drafts.skip(world.db, person_id=staff, now=NOW)
    assert skipped.outcome is DraftOutcome.moved
    for text in ("400", "全年可完成"):
        await say(world.db, staff, text)
    await press(world.db, staff, drafts.choose, index=0)
    for text in ("课堂评估优良率提高", "全年可达成"):
        await say(world.db, staff, text)
    await press(world.db, staff, drafts.choose, index=0)
    for text in ("95", "保持"):
        await say(world.db, staff, text)
    await press(world.db, staff, drafts.choose, index=0)
    await press(world.db, staff, drafts.finish_rows)
    submitted = await press(world.db, staff, drafts.submit)
    async with world.db.sessions() as session:
        version = (await session.get(TrackingReport, report_id)).version
    returned = await review.decide_on(
        world.db,
        actor=world["edu_head"],
        kind=TRACKING,
        item_id=report_id,
        expected_version=version,
        decision=ReviewDecision.return_,
        comment="培训人次请按花名册核实",
        now=NOW,
    )
    assert submitted.outcome is DraftOutcome.submitted and returned.ok

    again = await start_tracking_form(
        world.db, actor=world["edu_staff"], report_id=report_id, yellow_points=POINTS, now=NOW
    )
    assert not isinstance(again, Problem)
    data = again.view.data
    assert (data["budget_full_year"], data["executed"], data["expected_full_year"]) == (
        "120.5",
        "100",
        "120",
    )
    assert [row["actual"] for row in data["indicators"]] == ["400", None, "95"]
    assert data["indicators"][1]["actual_text"] == "课堂评估优良率提高"
    assert [row["likelihood"] for row in data["indicators"]] == ["certain"] * 3
    assert again.view.step.kind in ("menu", "summary")  # nothing to retype: check and confirm


async def test_an_actual_typed_with_another_unit_is_refused_and_its_own_unit_accepted(
    world: World,
) -> None:
    report_id = await open_report(world)
    staff = world.person_id("edu_staff")
    await start_tracking_form(
        world.db, actor=world["edu_staff"], report_id=report_id, yellow_points=POINTS, now=NOW
    )
    for text in ("120.5", "100", "120", "招标延后"):
        await say(world.db, staff, text)
    wrong = await drafts.answer(world.db, person_id=staff, text="60%", now=NOW)
    assert wrong.outcome is DraftOutcome.refused
    assert "计量单位是“人次”" in shown(wrong) and "“%”" in shown(wrong)
    also_wrong = await drafts.answer(world.db, person_id=staff, text="3万人次", now=NOW)
    assert also_wrong.problem is not None and also_wrong.problem.code == "tracking_wrong_unit"
    right = await say(world.db, staff, "300 人次")
    assert right.view.data["indicators"][0]["actual"] == "300"
