"""The sandbox clock moves the running bot's "today" and runs the day's sweep at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sandbox.harness import BotProcess
from tests.e2e.conftest import BotFactory

pytestmark = pytest.mark.e2e


async def _logged(bot: BotProcess, text: str, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while text not in bot.log():
        assert loop.time() < deadline, f"{text!r} not logged:\n{bot.log()[-3000:]}"
        await asyncio.sleep(0.1)


async def test_moving_the_clock_moves_the_bots_day(bot_factory: BotFactory, tmp_path: Path):
    clock = tmp_path / "clock.json"
    clock.write_text(json.dumps({"offset_seconds": 0}), encoding="utf-8")
    bot = await bot_factory(SANDBOX_CLOCK_FILE=str(clock))
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    await _logged(bot, f"reminder sweep for {today}")

    clock.write_text(json.dumps({"offset_seconds": 40 * 86400}), encoding="utf-8")

    await _logged(bot, "sandbox clock moved")
    await _logged(bot, f"reminder sweep for {today + dt.timedelta(days=40)}")
