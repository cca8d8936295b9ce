"""Q3 tracking through the running bot: the notice, the card, the 绩效跟踪表 filled in the chat
across a restart, a forged press refused, then the head and the performance section approve."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import (
    Attachment,
    FundAction,
    RectificationRequest,
    ReviewDecision,
    ReviewStep,
    TrackingProgress,
    TrackingReport,
)
from storage.types import utcnow
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
from workflow.review import chain as review
from workflow.tracking import opening
from workflow.tracking.review_kind import TRACKING


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


async def at_finance(world, e2e_db: Database) -> int:
    """A tracking report the head has approved, waiting at the performance section."""
    await issued_project(world, name="教师培训项目", amount="120.5")
    (report_id,) = (await opening.open_tracking(e2e_db, actor=world["perf"], year=YEAR)).opened
    async with e2e_db.transaction() as session:
        entered = await review.enter(
            session, actor=world["edu_staff"], kind=TRACKING, item_id=report_id, now=utcnow()
        )
    await review.decide_on(
        e2e_db,
        actor=world["edu_head"],
        kind=TRACKING,
        item_id=report_id,
        expected_version=entered.version,
        decision=ReviewDecision.approve,
        now=utcnow(),
    )
    return report_id


async def test_a_rectification_request_is_answered_with_files_and_accepted(
    people: Bureau, e2e_db: Database
) -> None:
    bureau = people
    await at_finance(bureau.world, e2e_db)
    staff, perf = bureau["edu_staff"], bureau["perf"]

    card = await card_for(perf, "教师培训项目", "绩效管理科审核")
    await tap(perf, card, "🛠 提出整改建议", "请写明整改建议")
    proposal = await answer(perf, "取证率偏低，请说明补考安排", "是否建议预算科")
    summary = await tap(perf, proposal, "⏸ 建议暂缓拨付", "请核对")
    await tap(perf, summary, "✅ 确认提交", "整改")

    request = await card_for(staff, "教师培训项目", "绩效跟踪整改要求", "取证率偏低")

    # The budget section is asked to decide on the proposed suspension, and suspends part.
    budget = bureau["budget"]
    asked = await card_for(budget, "教师培训项目", "绩效管理科建议资金处理")
    await tap(budget, asked, "⏸ 暂缓拨付", "请输入金额")
    await answer(budget, "30", "理由")
    summary = await answer(budget, "整改到位前暂缓", "请核对")
    await tap(budget, summary, "✅ 确认提交", "30")
    await card_for(staff, "教师培训项目", "资金处理通知", "暂缓拨付")

    await tap(staff, request, "✍️ 书面回复", "请写明整改措施")
    asking = await answer(staff, "已与鉴定机构约定 11 月加开考期", "如有整改材料")
    assert "跳过" in buttons(asking)

    staff.skip_pending()
    await staff.send_document("安装包.exe", b"MZ\x90\x00 not a document")
    refused = await staff.wait_for_message(says("不支持这种文件"), timeout=WAIT)
    assert "如有整改材料" in refused["text"]
    staff.skip_pending()
    await staff.send_document("照片.pdf", b"\xff\xd8\xff\xe0 a photo renamed")
    await staff.wait_for_message(says("内容与文件类型不符"), timeout=WAIT)
    staff.skip_pending()
    await staff.send_sticker()
    await staff.wait_for_message(says("这一项请发送文件"), timeout=WAIT)

    plan = b"%PDF-1.4 the schedule of the extra exam sessions"
    staff.skip_pending()
    await staff.send_document("考期安排表.pdf", plan)
    one = await staff.wait_for_message(says("已收到 1 个文件"), timeout=WAIT)
    assert "考期安排表.pdf" in one["text"]
    staff.skip_pending()
    await staff.send_photo()
    two = await staff.wait_for_message(says("已收到 2 个文件"), timeout=WAIT)
    summary = await tap(staff, two, "✅ 完成（已收 2 个文件）", "请核对", "考期安排表.pdf")
    await tap(staff, summary, "✅ 确认提交", "书面回复已提交")

    replied = await card_for(perf, "教师培训项目", "整改书面回复", "附件（2 个）")
    perf.skip_pending()
    await press(perf, replied, "📎 查看附件")
    first = await perf.wait_for_message(lambda m: "document" in m, timeout=WAIT)
    second = await perf.wait_for_message(lambda m: "document" in m, timeout=WAIT)
    assert first["document"]["file_name"] == "考期安排表.pdf"
    assert perf.download(first) == plan
    assert second["document"]["file_name"].endswith(".jpg")

    await tap(perf, current(perf, replied), "✅ 认可整改", "已认可整改")
    await card_for(staff, "教师培训项目", "整改已认可")
    lift = await card_for(budget, "教师培训项目", "可解除暂缓")
    await tap(budget, lift, "▶️ 解除暂缓", "理由")
    summary = await answer(budget, "整改已认可，恢复拨付", "请核对")
    await tap(budget, summary, "✅ 确认提交", "解除暂缓")
    await card_for(staff, "教师培训项目", "资金处理通知", "解除暂缓")
    async with e2e_db.sessions() as session:
        stored = list(await session.scalars(select(Attachment).order_by(Attachment.id)))
        status = await session.scalar(select(RectificationRequest.status))
        actions = list(await session.execute(select(FundAction.action, FundAction.amount)))
    assert status == "accepted"
    assert [tuple(a) for a in actions] == [("suspend", Decimal(30)), ("resume", Decimal(30))]
    assert (stored[0].item_type, stored[0].file_name) == ("rectification_reply", "考期安排表.pdf")
    assert {a.item_type for a in stored} == {"rectification_reply"}  # refused files not kept
    assert len(stored) == 2


async def test_the_template_is_downloaded_filled_and_uploaded_with_bad_cells_named(
    people: Bureau, e2e_db: Database
) -> None:
    bureau = people
    await issued_project(bureau.world, name="教师培训项目", amount="120.5")
    (report_id,) = (
        await opening.open_tracking(e2e_db, actor=bureau.world["perf"], year=YEAR)
    ).opened
    staff = bureau["edu_staff"]
    notice = await card_for(staff, "教师培训项目", "需填报绩效跟踪表")
    card = await tap(staff, notice, "📝 查看跟踪任务", "培训人次")
    staff.skip_pending()
    await press(staff, card, "📥 下载 Excel 模板")
    sent = await staff.wait_for_message(lambda m: "document" in m, timeout=WAIT)
    assert sent["document"]["file_name"].endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(staff.download(sent)))
    sheet = workbook["绩效跟踪表"]
    for where, value in {
        "B6": 120.5,
        "B7": 200,  # above A
        "B8": 110,
        "B9": "招标延后至 8 月",
        "E12": 300,
        "F12": "第四季度加开两期",
        "G12": "有可能",
        "H12": "经费保障",
        "J12": "增开周末班次",
        "E13": "课堂评估优良率提高",
        "F13": "全年可达成",
        "G13": "确定能",
        "E14": "九十五",  # not a number
        "F14": "保持在 90% 以上",
        "G14": "确定能",
    }.items():
        sheet[where] = value
    buffer = io.BytesIO()
    workbook.save(buffer)

    staff.skip_pending()
    await staff.send_document("绩效跟踪表.xlsx", buffer.getvalue())
    result = await staff.wait_for_message(says("已读取上传的"), timeout=WAIT)
    assert "绩效跟踪表 B7" in result["text"] and "不能超过全年预算数" in result["text"]
    assert "绩效跟踪表 E14" in result["text"] and "请只输入数字" in result["text"]
    assert "1-9 月执行数 B" in result["text"]  # the chat asks what is missing, first B
    await answer(staff, "60", "参训教师满意度", "1-9 月实际完成值")
    menu = await answer(staff, "95", "3/3 已填写")
    summary = await tap(staff, menu, "✅ 完成", "请核对")
    await tap(staff, summary, "✅ 确认提交", "绩效跟踪表已提交", "49.79%")

    staff.skip_pending()
    await staff.send_document("随便.xlsx", b"PK\x03\x04 not really a workbook")
    await staff.wait_for_message(says("没能打开这个文件"), timeout=WAIT)
    async with e2e_db.sessions() as session:
        report = await session.get(TrackingReport, report_id)
    assert report is not None and report.status == "submitted"
    assert report.executed_to_date == Decimal(60)
