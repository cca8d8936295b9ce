"""Q3 tracking through the running bot: the notice, the card, the 绩效跟踪表 filled in the chat
across a restart, a forged press refused, then the head and the performance section approve."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import ReviewStep, TrackingProgress, TrackingReport
from tests.e2e.test_review_chain import (
    WAIT,
    Bureau,
    buttons,
    card_for,
    current,
    press,
    says,
)
from tests.review_world import YEAR, build_world
from tests.tracking_world import issued_project
from workflow.tracking import opening


@pytest.fixture
async def people(e2e_db: Database, sandbox: BotApiSandbox, bot: BotProcess) -> Bureau:
    """The review world in the bot's database, each person's chat in the sandbox."""
    return Bureau(await build_world(e2e_db), sandbox)


async def answer(user, text: str, *fragments: str) -> dict[str, Any]:
    """Type an answer and wait for the bot's next question that says `fragments`."""
    user.skip_pending()
    await user.send_text(text)
    return await user.wait_for_message(says(*fragments), timeout=WAIT, include_edits=False)


async def tap(user, message: dict[str, Any], button: str, *fragments: str) -> dict[str, Any]:
    """Press a button and wait for the message (new or edited) that says `fragments`."""
    user.skip_pending()
    await press(user, message, button)
    return await user.wait_for_message(says(*fragments), timeout=WAIT)


async def test_staff_fill_the_tracking_form_and_it_is_reviewed_once(
    people: Bureau, e2e_db: Database, bot: BotProcess
) -> None:
    bureau = people
    world = bureau.world
    await issued_project(world, name="教师培训项目", amount="120.5")
    opened = await opening.open_tracking(e2e_db, actor=world["perf"], year=YEAR)
    (report_id,) = opened.opened
    staff, head, perf = bureau["edu_staff"], bureau["edu_head"], bureau["perf"]

    notice = await card_for(staff, "教师培训项目", "需填报绩效跟踪表")
    card = await tap(staff, notice, "📝 查看跟踪任务", "绩效指标", "培训人次")
    assert "✍️ 填报跟踪表" in buttons(card)

    # Another department's staff forging the 填报 button is refused and opens nothing.
    other = bureau["health_staff"]
    await other.send_text("/track")
    listing = await other.wait_for_message(timeout=WAIT)
    await other.press_data(listing["message_id"], f"tk:fill:{report_id}")
    refusal = await other.wait_for_callback_answer(timeout=WAIT)
    assert "没有权限" in refusal["text"]
    await other.press_data(listing["message_id"], f"tk:fill:{2**31}")
    assert "失效" in (await other.wait_for_callback_answer(timeout=WAIT))["text"]

    await tap(staff, card, "✍️ 填报跟踪表", "全年预算数 A")
    await answer(staff, "120.5", "1-9 月执行数 B")
    await answer(staff, "200", "不能超过全年预算数 A")
    red = await answer(staff, "60", "全年预计执行数")
    assert "49.79%" in red["text"] and "红灯" in red["text"]
    await answer(staff, "110", "必须说明原因")
    row = await answer(staff, "招标延后至 8 月", "培训人次", "1-9 月实际完成值")
    await answer(staff, "300", "全年预计完成情况")
    likely = await answer(staff, "第四季度加开两期", "完成可能性")
    causes = await tap(staff, likely, "❔ 有可能", "偏差原因")
    causes = await tap(staff, causes, "经费保障", "已选：经费保障")
    await tap(staff, current(staff, causes), "✅ 完成选择", "改进措施")
    await answer(staff, "增开周末班次", "教学质量提升")

    await bot.restart()  # a crash in the middle: the next answer lands where it belongs
    await answer(staff, "/resume", "教学质量提升", "1-9 月完成情况")
    await answer(staff, "课堂评估优良率提高", "全年预计完成情况")
    likely = await answer(staff, "全年可达成", "完成可能性")
    row = await tap(staff, likely, "✅ 确定能", "参训教师满意度", "1-9 月实际完成值")
    await answer(staff, "95", "全年预计完成情况")
    likely = await answer(staff, "满意度保持在 90% 以上", "完成可能性")
    menu = await tap(staff, likely, "✅ 确定能", "3/3 已填写")
    summary = await tap(staff, menu, "✅ 完成", "请核对")
    done = await tap(staff, summary, "✅ 确认提交", "绩效跟踪表已提交", "49.79%")
    assert "预警指标：1 项" in done["text"]

    head_card = await card_for(head, "教师培训项目", "待审核", "绩效跟踪表")
    await press(head, head_card, "通过")
    again = await press(head, head_card, "通过")
    assert "处理" in again["text"] or "失效" in again["text"]
    perf_card = await card_for(perf, "教师培训项目", "待审核", "绩效管理科审核")
    await press(perf, perf_card, "通过")
    await card_for(staff, "教师培训项目", "绩效跟踪表审核通过")

    async with e2e_db.sessions() as session:
        report = await session.get(TrackingReport, report_id)
        progress = list(
            await session.scalars(
                select(TrackingProgress)
                .where(TrackingProgress.tracking_report_id == report_id)
                .order_by(TrackingProgress.indicator_id)
            )
        )
        steps = list(
            await session.scalars(
                select(ReviewStep.decision)
                .where(ReviewStep.item_kind == "tracking_report", ReviewStep.item_id == report_id)
                .order_by(ReviewStep.id)
            )
        )
    assert report is not None and report.status == "accepted"
    assert (report.budget_full_year, report.executed_to_date) == (Decimal("120.5"), Decimal(60))
    assert report.light == "red"
    assert [p.actual_value for p in progress] == [Decimal(300), None, Decimal(95)]
    assert [p.likelihood for p in progress] == ["possible", "certain", "certain"]
    assert progress[0].deviation_causes == "funds"
    assert steps == ["submit", "approve", "approve"]
    del row
