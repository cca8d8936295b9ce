"""The drills, fast: crash (kill -9) on both databases. `make drill` runs them at full size.

PERFBOT_DRILL=full makes every drill its full size (the README reports those figures).
"""

from __future__ import annotations

import os

import pytest

from sandbox.server import BotApiSandbox
from tests.drills.crash import run_crash_drill
from tests.e2e.conftest import Backend, BotFactory
from tests.goal_world import build_goal_world

pytestmark = pytest.mark.e2e

FULL = os.environ.get("PERFBOT_DRILL") == "full"
STAFF = 7_300_001


async def test_crash_drill_loses_nothing_and_applies_nothing_twice(
    sandbox: BotApiSandbox, bot_factory: BotFactory, backend: Backend
) -> None:
    await build_goal_world(backend.db, telegram_ids={"staff": STAFF})
    bot = await bot_factory(database_url=backend.url, **backend.env)
    user = sandbox.add_user(STAFF, "王芳")
    tally = await run_crash_drill(sandbox, bot, backend.db, user, kills=15 if FULL else 4)
    print(tally.line(backend.name))
    assert tally.problems == []
    assert (tally.lost, tally.applied_twice, tally.misplaced) == (0, 0, 0)
    assert tally.kills == (15 if FULL else 4)
