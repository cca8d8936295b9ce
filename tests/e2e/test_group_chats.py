"""Group chats through the real bot: nothing of a feature ever reaches a group (fail closed)."""

from __future__ import annotations

import asyncio

import pytest

from bot.ui.render import render
from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from tests.e2e.people import registered

pytestmark = pytest.mark.e2e

GROUP = -100777


def sent_to(sandbox: BotApiSandbox, chat_id: int) -> list[str]:
    """Methods that reached a chat successfully."""
    return [c.method for c in sandbox.calls if c.params.get("chat_id") == chat_id and c.ok]


@pytest.mark.parametrize(
    ("status", "description"),
    [(400, "Bad Request: not enough rights to send text messages to the chat"), (502, None)],
)
async def test_a_refusal_that_cannot_be_sent_still_stops_the_update(
    sandbox: BotApiSandbox, bot: BotProcess, e2e_db: Database, status: int, description: str
) -> None:
    admin = await registered(sandbox, e2e_db, 3101)
    in_group = sandbox.add_group_member(GROUP, "绩效群", admin.id)
    sandbox.fail_next("sendMessage", status=status, description=description, times=3)
    for command in ("/me", "/users", "/disclosure"):
        await in_group.send_text(command)
    # Wait until the bot has confirmed all three updates (it moved past them).
    for _ in range(200):
        if not sandbox.pending_updates and len(sandbox.calls_to("getUpdates")) > 4:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    assert sent_to(sandbox, GROUP) == []
    assert not [c for c in sandbox.calls_to("sendDocument") if c.params.get("chat_id") == GROUP]
    assert bot.running
    # The person's private chat still works.
    await admin.send_text("/me")
    assert await admin.wait_for_message(lambda m: "管理员甲" in m.get("text", ""), timeout=15)


async def test_presses_that_get_only_a_refusal_are_answered_at_once_behind_a_busy_chat(
    sandbox: BotApiSandbox, bot: BotProcess, e2e_db: Database
) -> None:
    admin = await registered(sandbox, e2e_db, 3102)
    in_group = sandbox.add_group_member(GROUP, "绩效群", admin.id)
    chatter = await in_group.send_text("大家好")
    sandbox.set_delay("sendMessage", 5.0)  # every reply holds its chat's turn for 5 s
    await in_group.send_text("/me")
    await admin.send_text("/me")
    await asyncio.sleep(0.5)  # both chats are now busy with their replies
    await in_group.press_data(chatter["message_id"], "rv:ap:1:1")
    answer = await in_group.wait_for_callback_answer(timeout=2.5)
    assert "私聊" in answer["text"] and answer["show_alert"]
    own = admin.messages[-1]
    await admin.press_data(own["message_id"], "zz:" + "x" * 61)  # data no feature knows
    answer = await admin.wait_for_callback_answer(timeout=2.5)
    assert answer["text"] == render("button_expired")
    sandbox.set_delay("sendMessage", 0)
    # The private chat's own order is kept: /me is answered after its delay.
    assert await admin.wait_for_message(lambda m: "管理员甲" in m.get("text", ""), timeout=15)
    # The group gets the pointer to the private chat for /me, and nothing else.
    pointer = await in_group.wait_for_message(timeout=15)
    assert "私聊" in pointer["text"]
    await asyncio.sleep(0.5)
    assert len(in_group.bot_messages) == 1
