"""The fault drill on the outbox (fast here; `make drill` runs it at full size)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from sandbox.server import BotApiSandbox
from storage.db import Database
from tests.drills.faults import run_fault_drill

pytestmark = pytest.mark.filterwarnings("ignore:.*will be of type `datetime.timedelta`")
FULL = os.environ.get("PERFBOT_DRILL") == "full"


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiSandbox]:
    async with BotApiSandbox() as running:
        yield running


async def test_fault_drill_every_reachable_message_once_and_in_order(
    database: Database, sandbox: BotApiSandbox
) -> None:
    people, per_person = (40, 9) if FULL else (12, 5)
    async with Bot(sandbox.token, base_url=sandbox.base_url) as bot:
        tally = await run_fault_drill(
            database, sandbox, bot, people=people, per_person=per_person, blocked=2
        )
    print(tally.line(database.dialect))
    assert tally.problems == []
    assert tally.faults > 0
    assert (tally.lost, tally.twice, tally.out_of_order_chats, tally.leaked_to_blocked) == (
        0,
        0,
        0,
        0,
    )
    assert tally.delivered == (people - 2) * per_person
