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
    await other.press_data(empty["message_id"], f"ev:c:{2**31}")
    assert "失效" in (await other.wait_for_callback_answer(timeout=WAIT))["text"]
