"""Edited messages and long pastes in the middle of a form, through the real bot."""

from __future__ import annotations

import asyncio

import pytest

from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from tests.drills.crash import draft_data, open_goal_form
from tests.goal_world import build_goal_world

pytestmark = pytest.mark.e2e

STAFF = 7_400_001
WAIT = 15


async def test_an_edited_answer_is_not_taken_and_an_edit_is_never_a_command(
    sandbox: BotApiSandbox, bot: BotProcess, e2e_db: Database
) -> None:
    await build_goal_world(e2e_db, telegram_ids={"staff": STAFF})
    user = sandbox.add_user(STAFF, "王芳")
    await open_goal_form(user)
    user.skip_pending()
    answer = await user.send_text("职业技能提升培训")
    await user.wait_for_message(lambda m: "项目负责人" in m["text"], timeout=WAIT)

    for edited in ("/projects", "别的项目名称"):
        user.skip_pending()
        await user.edit_text(answer["message_id"], edited)
        reply = await user.wait_for_message(timeout=WAIT, include_edits=False)
        assert "不会改变已保存的回答" in reply["text"] and "项目负责人" in reply["text"]
    data = await draft_data(e2e_db)
    assert data["name"] == "职业技能提升培训" and data.get("person_in_charge") is None
    assert not [m for m in user.bot_messages if "我的项目" in m.get("text", "")]


async def test_the_tail_of_a_split_paste_is_not_saved_as_the_next_answer(
    sandbox: BotApiSandbox, bot: BotProcess, e2e_db: Database
) -> None:
    await build_goal_world(e2e_db, telegram_ids={"staff": STAFF})
    user = sandbox.add_user(STAFF, "王芳")
    await open_goal_form(user)
    user.skip_pending()
    # Telegram splits a 4,500-character paste into 4,096 characters and the rest.
    await user.send_text("甲" * 4096)
    await user.send_text("乙" * 404)
    first = await user.wait_for_message(timeout=WAIT, include_edits=False)
    second = await user.wait_for_message(timeout=WAIT, include_edits=False)
    assert "最多" in first["text"]  # the first part is too long for a name
    assert "分成了几条消息" in second["text"] and "项目名称" in second["text"]
    await asyncio.sleep(0.3)
    assert (await draft_data(e2e_db)).get("name") is None
