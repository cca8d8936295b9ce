"""Declaring a project's goals end to end: the real bot, the sandbox, a staff member typing.

Wrong answers, a sticker, a command in the middle, back, a stale keyboard, a double tap,
the bot killed and started again mid-form (nothing lost), edit from the summary, submit,
and the 申报表 downloaded from the project card and read back as Word. Then two colleagues
and one returned project: one holds the edit, the other is told who and may take it over
with a confirmation; the first is told, cannot submit over it, and loses nothing.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document
from sqlalchemy import select

from sandbox.client import SandboxUser
from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import (
    FormDraft,
    GoalVersion,
    Indicator,
    Project,
    ReviewDecision,
    ReviewEditLock,
)
from tests.e2e.people import replayed
from tests.goal_world import (
    NOW,
    actor_of_person_db,
    build_goal_world,
    declared,
    goal_row_version,
)
from workflow.review import chain as review

pytestmark = pytest.mark.e2e

WAIT = 20.0
STAFF_TELEGRAM_ID = 7_100_001


def says(*fragments: str):
    def check(message: dict[str, Any]) -> bool:
        text = message.get("text") or message.get("caption") or ""
        return all(fragment in text for fragment in fragments)

    return check


async def reply_to(user: SandboxUser, text: str, *expected: str) -> dict[str, Any]:
    """Type `text`; the bot's next message must contain every expected fragment."""
    user.skip_pending()
    await user.send_text(text)
    message = await user.wait_for_message(timeout=WAIT, include_edits=False)
    assert all(f in message["text"] for f in expected), (expected, message["text"])
    return message


async def tap(user: SandboxUser, message: dict[str, Any], button: str, *expected: str) -> dict:
    """Press a button of `message`; the bot's next new message must contain `expected`."""
    user.skip_pending()
    query = await user.press(message, button)
    answer = await user.wait_for_callback_answer(query["id"], timeout=WAIT)
    assert "失效" not in (answer.get("text") or ""), answer
    reply = await user.wait_for_message(timeout=WAIT, include_edits=False)
    assert all(f in reply.get("text", reply.get("caption", "")) for f in expected), (
        expected,
        reply,
    )
    return reply


async def draft_of(db: Database) -> FormDraft:
    async with db.sessions() as session:
        return await session.scalar(select(FormDraft).where(FormDraft.status == "active"))


def buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button["text"] for row in rows for button in row]


async def add_indicator(user: SandboxUser, first: dict, row: list[str | None]) -> dict:
    """One indicator: 一级 and 二级 by buttons, then name, sign, value, unit, weight."""
    level1, level2, name, sign, value, unit, weight = row
    message = await tap(user, first, level1, "二级指标")
    message = await tap(user, message, level2, "三级指标")
    message = await reply_to(user, name, "符号")
    if sign == "定性":
        message = await tap(user, message, sign, "目标等级")
        message = await tap(user, message, value, "权重")
    else:
        message = await tap(user, message, sign, "指标值")
        message = await reply_to(user, value, "计量单位")
        message = await tap(user, message, unit, "权重")
    if weight is None:
        return await tap(user, message, "跳过", "绩效指标（已填")
    return await reply_to(user, weight, "绩效指标（已填")


async def test_a_staff_member_declares_a_project_and_nothing_is_lost(
    sandbox: BotApiSandbox, bot: BotProcess, e2e_db: Database
) -> None:
    await build_goal_world(e2e_db, telegram_ids={"staff": STAFF_TELEGRAM_ID})
    user = sandbox.add_user(STAFF_TELEGRAM_ID, "王芳")

    year_question = await reply_to(user, "/new", "预算年度", "第 1/")
    assert "2026" in buttons(year_question)
    await reply_to(user, "2031", "还没有开放申报", "预算年度")
    message = await reply_to(user, "2026", "项目属性")
    message = await tap(user, message, "新增", "项目名称")
    await reply_to(user, "职业技能提升培训", "项目负责人")
    await reply_to(user, "王芳", "联系电话")
    await reply_to(user, "12345", "没能识别这个电话号码", "联系电话")
    await reply_to(user, "0519-87654321", "开始日期")
    await reply_to(user, "2026-01-01", "结束日期")
    await reply_to(user, "2026-02-30", "2026年2月没有30日", "结束日期")
    await reply_to(user, "2026年12月31日", "资金总额")
    await reply_to(user, "NaN", "请只输入数字", "资金总额")
    await reply_to(user, "-5", "不能为负数")
    await reply_to(user, "1000000000000000", "数值过大")
    await reply_to(user, "１２０", "财政拨款")
    await reply_to(user, "100", "上年结转")
    message = await reply_to(user, "15.5", "其他资金", "120")
    message = await tap(user, message, "4.5", "年度申请额")
    await reply_to(user, "121", "不能超过资金总额 120 万元")
    message = await reply_to(user, "120万元", "总体目标")
    await reply_to(user, "字" * 5000, "最多 2000 字", "5000 字")

    # Not text, and a command in the middle of the form: polite, and nothing changes.
    not_text = "暂时不能接收图片、贴纸"
    for send, polite in (
        (user.send_sticker(), not_text),
        (user.send_photo(caption="看图"), not_text),
        (user.send_voice(), not_text),
        (user.send_document("预算.pdf", b"%PDF-1.4"), not_text),
        (user.send_document("预算.xlsx", b"PK\x03\x04"), "没能打开这个文件"),
    ):
        user.skip_pending()
        await send
        notice = await user.wait_for_message(timeout=WAIT, include_edits=False)
        assert polite in notice["text"] and "总体目标" in notice["text"]
    busy = await reply_to(user, "/projects", "您正在填写《绩效目标申报》", "/cancel")
    assert buttons(busy) == ["继续填写", "✖️ 取消填写"]
    await reply_to(user, "/new", "您正在填写《绩效目标申报》")  # no second form
    assert (await draft_of(e2e_db)).current_field == "overall_goal"

    await reply_to(user, "全年开展职业技能培训，提升劳动者就业能力 💪", "年度目标")
    schedule = await reply_to(user, "2026 年培训 3000 人次。", "实施进度计划 第 1 条", "进度内容")

    # Back shows the previous answer; keeping it returns to where we were.
    back = await tap(user, schedule, "⬅️ 上一步", "年度目标", "当前填写：2026 年培训 3000 人次。")
    await tap(user, back, "✔️ 保持不变", "进度内容")

    # An old keyboard (the year question) pressed now: expired, nothing changes.
    before = await draft_of(e2e_db)
    query = await user.press(year_question, "2026")
    answer = await user.wait_for_callback_answer(query["id"], timeout=WAIT)
    assert "此按钮已失效" in answer["text"]
    after = await draft_of(e2e_db)
    assert (after.version, after.current_field) == (before.version, "schedule#0.content")

    # The bot dies mid-form and comes back: every answer is still there.
    await bot.restart()
    await replayed(e2e_db, user)
    resumed = await reply_to(user, "/resume", "进度内容")
    assert "第 15/" in resumed["text"]
    await reply_to(user, "制定培训计划", "开始日期")
    await reply_to(user, "2026-01-01", "完成日期")
    menu = await reply_to(user, "2026-02-28", "实施进度计划（已填 1 条）", "制定培训计划")
    message = await tap(user, menu, "➕ 再添加一条", "第 2 条")
    await reply_to(user, "组织开展培训", "开始日期")
    await reply_to(user, "2026-03-01", "完成日期")
    menu = await reply_to(user, "2026-11-30", "已填 2 条")

    # A row entered by mistake: a date before its start is refused; then the row is deleted.
    await tap(user, menu, "➕ 再添加一条", "第 3 条")
    await reply_to(user, "误填的一条", "开始日期")
    await reply_to(user, "2026-03-01", "完成日期")
    await reply_to(user, "2026-02-01", "不能早于开始日期（2026年3月1日）", "完成日期")
    menu = await reply_to(user, "2026-03-31", "已填 3 条", "误填的一条")
    row = await tap(user, menu, "✏️ 第 3 条", "实施进度计划 第 3 条", "完成日期：2026年3月31日")
    assert "🗑 删除此条" in buttons(row) and "改完成日期" in buttons(row)
    menu = await tap(user, row, "🗑 删除此条", "已填 2 条")
    assert "误填的一条" not in menu["text"]
    assert [r["content"] for r in (await draft_of(e2e_db)).data["schedule"]] == [
        "制定培训计划",
        "组织开展培训",
    ]
    message = await tap(user, menu, "✅ 完成", "立项依据")
    message = await reply_to(user, "《职业技能提升行动方案》", "重点项目")
    message = await tap(user, message, "否", "多个部门")
    first = await tap(user, message, "否", "一级指标", "绩效指标 第 1 条")

    # A double tap on 产出: one effect, the second press is told the button expired.
    user.skip_pending()
    data = next(
        b["callback_data"]
        for row in first["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "产出"
    )
    one = await user.press_data(first["message_id"], data)
    two = await user.press_data(first["message_id"], data)
    assert "失效" not in ((await user.wait_for_callback_answer(one["id"])).get("text") or "")
    assert "失效" in (await user.wait_for_callback_answer(two["id"]))["text"]
    level2 = await user.wait_for_message(says("二级指标"), timeout=WAIT, include_edits=False)
    draft = await draft_of(e2e_db)
    assert draft.data["indicators"] == [{"level1": "产出"}]
    message = await tap(user, level2, "数量", "三级指标")
    message = await reply_to(user, "培训人次", "符号")
    message = await tap(user, message, "≥", "指标值")
    message = await reply_to(user, "3000", "计量单位")
    message = await tap(user, message, "人次", "权重")
    menu = await reply_to(user, "10", "绩效指标（已填 1 条）")
    for row in (
        ["产出", "质量", "取证率", "≥", "85", "%", "10"],
        ["效益", "社会效益", "就业率提升", "定性", "良", None, None],
        ["满意度", "服务对象满意度", "学员满意度", "≥", "90", "%", "10"],
    ):
        first = await tap(user, menu, "➕ 再添加一条", "一级指标")
        menu = await add_indicator(user, first, row)
    assert "4 条" in menu["text"] and "学员满意度 ≥ 90%" in menu["text"]
    summary = await tap(user, menu, "✅ 完成", "请核对", "19. 绩效指标：4 条")
    assert "3. 项目名称：职业技能提升培训" in summary["text"]

    # Edit field 3 from the summary, then confirm.
    question = await tap(user, summary, "3", "项目名称", "当前填写：职业技能提升培训")
    summary = await reply_to(user, "职业技能提升培训项目", "请核对", "职业技能提升培训项目")
    done = await tap(user, summary, "✅ 确认提交", "已提交", "部门主要领导审定")
    # The receipt (撤回, 催办) comes through the outbox: wait for it, so that it is not taken
    # for the reply to a later press.
    receipt = await user.wait_for_message(
        lambda m: "撤回" in m.get("text", ""), timeout=WAIT, include_edits=False
    )
    assert "职业技能提升培训项目" in receipt["text"]
    assert question["message_id"] < done["message_id"]

    async with e2e_db.sessions() as session:
        project = await session.scalar(select(Project))
        version = await session.scalar(select(GoalVersion))
        indicators = list(await session.scalars(select(Indicator).order_by(Indicator.position)))
        drafts_left = await session.scalar(select(FormDraft).where(FormDraft.status == "active"))
    assert (project.name, project.status) == ("职业技能提升培训项目", "in_review")
    assert str(version.funds_total) == "120.000000" and version.overall_goal.endswith("💪")
    assert [i.name for i in indicators] == ["培训人次", "取证率", "就业率提升", "学员满意度"]
    assert drafts_left is None

    # The project card sends the 申报表 as Word.
    card = await tap(user, done, "📋 查看项目", "职业技能提升培训项目", "审核中")
    user.skip_pending()
    query = await user.press(card, "📄 下载申报表（Word）")
    await user.wait_for_callback_answer(query["id"], timeout=WAIT)
    sent = await user.wait_for_message(lambda m: "document" in m, timeout=WAIT)
    assert sent["document"]["file_name"] == "2026年度 职业技能提升培训项目 绩效目标申报表.docx"
    document = Document(io.BytesIO(user.download(sent)))
    header, _schedule, table, _opinions = document.tables
    assert header.cell(0, 1).text == "职业技能提升培训项目"
    assert [row.cells[2].text for row in table.rows][1:] == [
        "培训人次",
        "取证率",
        "就业率提升",
        "学员满意度",
    ]
    assert table.cell(1, 0)._tc is table.cell(2, 0)._tc  # 产出 merged over its two rows

    # A second declaration, cancelled with confirmation: nothing is left behind.
    await reply_to(user, "/new", "预算年度")
    confirm = await reply_to(user, "/cancel", "确定要取消填写《项目支出绩效目标申报表》吗")
    await tap(user, confirm, "确定取消", "已取消填写")
    assert await draft_of(e2e_db) is None
    await reply_to(user, "/resume", "您没有未完成的填写")


COLLEAGUE_TELEGRAM_ID = 7_100_002


async def test_one_colleague_holds_the_edit_and_takes_it_over_only_with_a_confirmation(
    sandbox: BotApiSandbox, bot: BotProcess, e2e_db: Database
) -> None:
    ids = {"staff": STAFF_TELEGRAM_ID, "colleague": COLLEAGUE_TELEGRAM_ID}
    world = await build_goal_world(e2e_db, telegram_ids=ids)
    done = await declared(e2e_db, world.staff)
    returned = await review.decide(
        e2e_db,
        actor=await actor_of_person_db(e2e_db, world.head),
        goal_version_id=done.record.goal_version_id,
        expected_version=await goal_row_version(e2e_db, done.record.goal_version_id),
        decision=ReviewDecision.return_,
        comment="指标不够细化",
        now=NOW,
    )
    assert returned.ok
    me, colleague = (
        sandbox.add_user(STAFF_TELEGRAM_ID, "王芳"),
        sandbox.add_user(COLLEAGUE_TELEGRAM_ID, "李明"),
    )
    await me.wait_for_message(says("被退回"), timeout=WAIT)  # the head's return reaches me
    notice = await colleague.wait_for_message(says("被退回"), timeout=WAIT)

    async def projects_card(user: SandboxUser) -> dict[str, Any]:
        listing = await reply_to(user, "/projects", "职业技能提升培训", "已退回")
        return await tap(user, listing, "1. 职业技能提升培训", "状态：已退回")

    mine = await tap(me, await projects_card(me), "✏️ 修改并重新提交", "请核对", "职业技能提升培训")
    # The colleague sees who holds the edit, from the card and from the return notice.
    await tap(colleague, await projects_card(colleague), "✏️ 修改并重新提交", "正由 王芳 修改")
    held = await tap(colleague, notice, "修改后重新提交", "王芳 正在修改此项目")
    theirs = await tap(colleague, held, "确认接手修改", "请核对", "职业技能提升培训")
    await me.wait_for_message(says("已由 李明 接手修改"), timeout=WAIT)
    # My submission is refused while they hold it, and my summary stays as it was.
    refused = await tap(me, mine, "✅ 确认提交", "正由 李明 修改", "本次未提交")
    assert "请核对" in refused["text"]
    await tap(colleague, theirs, "✅ 确认提交", "已提交")
    await me.wait_for_message(says("已由 李明 修改后重新提交"), timeout=WAIT)
    confirm = await reply_to(me, "/cancel", "确定要取消填写")
    await tap(me, confirm, "确定取消", "已取消填写")

    async with e2e_db.sessions() as session:
        project = await session.scalar(select(Project))
        versions = list(await session.scalars(select(GoalVersion)))
        open_drafts = list(
            await session.scalars(select(FormDraft).where(FormDraft.status == "active"))
        )
        locks = list(await session.scalars(select(ReviewEditLock)))
    assert project.status == "in_review" and len(versions) == 1
    assert versions[0].submitted_by_id == world.colleague and open_drafts == []
    assert locks == []
