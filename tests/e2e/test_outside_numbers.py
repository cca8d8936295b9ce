"""Numbers from outside through the real bot: odd digits and huge ids get an answer, no crash."""

from __future__ import annotations

import asyncio

import pytest

from sandbox.server import BotApiSandbox
from tests.e2e.conftest import Backend, BotFactory
from tests.e2e.people import registered

pytestmark = pytest.mark.e2e

ERROR = "处理您的请求时出了点问题"
HUGE = str(2**32)
COMMANDS = [
    "/issue ①②③",
    "/budget ²",
    "/disclosure ①",
    "/adjust ①",
    f"/revoke P{HUGE}",
    f"/revoke I{HUGE}",
    "/funds ①",
    f"/adhoc {HUGE} 2026-10-01 抽查",
    "/budget ２０２６",
]
PRESSES = [
    f"rv:ap:{HUGE}:1",
    f"rv:ap:t{HUGE}:1",
    f"pj:c:{HUGE}",
    f"adm:ri:{HUGE}",
    f"fm:{HUGE}:1:c:1",
    "fm:1:1:c:" + "9" * 40,
    "x" * 64,
    "zz:unknown",
    "pj:c:①",
]


async def test_odd_digits_and_huge_ids_are_answered_without_a_crash(
    sandbox: BotApiSandbox, bot_factory: BotFactory, backend: Backend
) -> None:
    bot = await bot_factory(database_url=backend.url, **backend.env)
    admin = await registered(sandbox, backend.db, 3201)
    for command in COMMANDS:
        admin.skip_pending()
        await admin.send_text(command)
        reply = await admin.wait_for_message(timeout=15, include_edits=False)
        assert ERROR not in reply["text"], (command, reply["text"])
    anchor = (await admin.send_text("/me"))["message_id"]
    await admin.wait_for_message(timeout=15)
    for data in PRESSES:
        query = await admin.press_data(anchor, data)
        answer = await admin.wait_for_callback_answer(timeout=15)
        assert answer is not None, data
        assert query["id"] in sandbox.state.callback_answers, data
    await asyncio.sleep(0.5)
    assert not [m for m in admin.bot_messages if ERROR in m.get("text", "")]
    assert "error " not in bot.log()
