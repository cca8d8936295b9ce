"""Self-evaluation opening through the running bot: an administrator opens the year in the
chat, the department's staff hear of it once and find the task in /evaluate; a department's
staff may not open it, and another department's staff may not see the card."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import OutboxMessage, SelfEvaluation
from tests.e2e.test_review_chain import WAIT, Bureau, buttons, card_for, press, says
from tests.review_world import YEAR, build_world
from tests.tracking_world import issued_project
from workflow.evaluation.opening import open_evaluation


@pytest.fixture
async def people(e2e_db: Database, sandbox: BotApiSandbox, bot: BotProcess) -> Bureau:
    """The review world in the bot's database, each person's chat in the sandbox."""
    return Bureau(await build_world(e2e_db), sandbox)


async def test_an_administrator_opens_the_self_evaluation_and_staff_find_it(
    people: Bureau, e2e_db: Database
) -> None:
    bureau = people
    await issued_project(bureau.world, name="教师培训项目", amount="120.5")
    staff, admin, other = bureau["edu_staff"], bureau["admin"], bureau["health_staff"]

    # The department's staff may not open the year.
    await staff.send_text(f"/openevaluation {YEAR}")
    await staff.wait_for_message(says("没有权限"), timeout=WAIT)

    await admin.send_text(f"/openevaluation {YEAR}")
    confirm = await admin.wait_for_message(
        says(f"将为 {YEAR} 年度 1 个已下达项目开启绩效自评价（已开启 0 个）"), timeout=WAIT
    )
    assert buttons(confirm) == ["✅ 确认开启绩效自评价"]
    admin.skip_pending()
    await press(admin, confirm, "✅ 确认开启绩效自评价")
    await admin.wait_for_message(says("新开启 1 个，已存在 0 个"), timeout=WAIT)

    notice = await card_for(staff, "教师培训项目", "需填报项目支出绩效自评表", "暂定")
    assert "120.50 万元" in notice["text"] and f"{YEAR + 1}-03-31" in notice["text"]
    staff.skip_pending()
    await press(staff, notice, "📝 查看自评价任务")
    card = await staff.wait_for_message(says("教师培训项目", "绩效自评价", "待填报"), timeout=WAIT)
    assert f"{YEAR} 年度" in card["text"] and f"截止 {YEAR + 1}-03-31" in card["text"]

    staff.skip_pending()
    await staff.send_text("/evaluate")
    listing = await staff.wait_for_message(says("绩效自评价任务"), timeout=WAIT)
    assert "《教师培训项目》" in listing["text"] and "待填报" in listing["text"]
    assert "暂定" in listing["text"]
    assert buttons(listing) == ["1. 教师培训项目"]

    # Opening again finds nothing to open; nobody hears twice.
    admin.skip_pending()
    await admin.send_text(f"/openevaluation {YEAR}")
    await admin.wait_for_message(says("没有需要新开启", "已开启 1 个"), timeout=WAIT)

    async with e2e_db.sessions() as session:
        (evaluation,) = list(await session.scalars(select(SelfEvaluation)))
        notices = list(
            await session.scalars(
                select(OutboxMessage.person_id).where(OutboxMessage.template == "evaluation_opened")
            )
        )
    assert sorted(notices) == sorted(
        [bureau.world.person_id("edu_staff"), bureau.world.person_id("edu_staff2")]
    )

    # Another department's staff forging the card's button is refused; junk is an old button.
    await other.send_text("/evaluate")
    empty = await other.wait_for_message(says("目前没有绩效自评价任务"), timeout=WAIT)
    await other.press_data(empty["message_id"], f"ev:c:{evaluation.id}")
    assert "没有权限" in (await other.wait_for_callback_answer(timeout=WAIT))["text"]
    await other.press_data(empty["message_id"], f"ev:fill:{evaluation.id}")
    assert "没有权限" in (await other.wait_for_callback_answer(timeout=WAIT))["text"]
    await other.press_data(empty["message_id"], f"ev:c:{2**31}")
    assert "失效" in (await other.wait_for_callback_answer(timeout=WAIT))["text"]


async def answer(user, text: str, *fragments: str) -> dict:
    """Type an answer and wait for the bot's next message that says `fragments`."""
    user.skip_pending()
    await user.send_text(text)
    return await user.wait_for_message(says(*fragments), timeout=WAIT, include_edits=False)


async def tap(user, message: dict, button: str, *fragments: str) -> dict:
    user.skip_pending()
    await press(user, message, button)
    return await user.wait_for_message(says(*fragments), timeout=WAIT)


async def test_staff_fill_the_self_evaluation_across_a_restart_and_see_their_grade(
    people: Bureau, e2e_db: Database, bot: BotProcess
) -> None:
    bureau = people
    world = bureau.world
    await issued_project(world, name="教师培训项目", amount="120.5")
    await open_evaluation(e2e_db, actor=world["perf"], year=YEAR)
    staff, head, perf = bureau["edu_staff"], bureau["edu_head"], bureau["perf"]

    await card_for(staff, "教师培训项目", "需填报项目支出绩效自评表")
    listing = await answer(staff, "/evaluate", "绩效自评价任务")
    card = await tap(staff, listing, "1. 教师培训项目", "绩效自评价", "待填报")
    await tap(staff, card, "✍️ 填报自评表", "全年预算数 A")
    await answer(staff, "120.5", "全年执行数 B")
    await answer(staff, "200", "不能超过全年预算数")
    await answer(staff, "100", "低于 90%")
    await answer(staff, "部分培训改为线上", "实际完成情况")
    await answer(staff, "完成全市教师轮训", "培训人次", "权重 50 分")

    await bot.restart()  # a crash in the middle: nothing is lost
    await answer(staff, "/resume", "培训人次", "请输入全年实际完成值")
    await answer(staff, "450", "偏差原因", "得分 45")
    await answer(staff, "部分教师未能参训，明年补训", "教学质量提升", "实际完成情况")
    band = await answer(staff, "课堂评估优良率提高", "完成程度")
    await tap(staff, band, "部分达成", "自评得分")
    await answer(staff, "30", "15 至 24 分")
    await answer(staff, "20", "偏差原因")
    await answer(staff, "听课评课覆盖面不足", "参训教师满意度")
    menu = await answer(staff, "95", "3/3")
    await tap(staff, menu, "✅ 完成", "存在问题")
    await answer(staff, "线上培训互动不足", "改进措施")
    summary = await answer(staff, "增加线下研讨", "请核对", "自评总分：83.3", "自评等级：良")
    await tap(staff, summary, "✅ 确认提交", "绩效自评表已提交", "83.30", "良")

    head_card = await card_for(head, "教师培训项目", "待审核", "绩效自评表", "83.30")
    await press(head, head_card, "通过")
    perf_card = await card_for(perf, "教师培训项目", "待审核", "绩效管理科审核", "良")
    # Every row's score over its weight, 预算执行率 first.
    for line in ("8.30 / 10", "45.00 / 50", "20.00 / 30", "10.00 / 10"):
        assert line in perf_card["text"], perf_card["text"]
    await press(perf, perf_card, "通过")
    async with e2e_db.sessions() as session:
        (evaluation,) = list(await session.scalars(select(SelfEvaluation)))
    assert (evaluation.status, evaluation.grade) == ("accepted", "良")
