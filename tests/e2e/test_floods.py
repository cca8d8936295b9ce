"""Floods through the real bot: one person sending 100 messages at once holds up nobody."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import AuditEntry
from tests.e2e.conftest import BotFactory

pytestmark = pytest.mark.e2e

LIMITS = {
    "FLOOD_BURST": "40",
    "FLOOD_PER_SECOND": "5",
    "STRANGER_FLOOD_BURST": "10",
    "STRANGER_FLOOD_PER_SECOND": "1",
}
WAIT_A_MOMENT = "请稍后再试"


async def _audits(db: Database, user_id: int, action: str) -> int:
    async with db.sessions() as session:
        return await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.telegram_user_id == user_id, AuditEntry.action == action)
        )


async def test_a_strangers_flood_is_told_once_audited_once_and_holds_up_nobody(
    sandbox: BotApiSandbox, bot_factory: BotFactory, e2e_db: Database
) -> None:
    bot = await bot_factory(**LIMITS)
    flooder = sandbox.add_user(5001, "刷屏者")
    other = sandbox.add_user(5002, "路人")
    for n in range(100):
        await flooder.send_text(f"/projects {n}")
    await other.send_text("/help")
    reply = await other.wait_for_message(timeout=10)
    assert "/start" in reply["text"]
    await asyncio.sleep(2.0)
    texts = [m["text"] for m in flooder.bot_messages]
    assert sum(WAIT_A_MOMENT in t for t in texts) == 1
    assert len(texts) <= 12  # the burst's refusals and the one notice; the rest dropped
    assert await _audits(e2e_db, 5001, "flood") == 1
    assert await _audits(e2e_db, 5001, "unregistered") <= 10
    assert bot.running
