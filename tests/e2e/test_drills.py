"""The drills, fast: crash (kill -9) and fuzz, each on both databases.

`make drill` runs them at full size.

PERFBOT_DRILL=full makes every drill its full size (the README reports those figures);
PERFBOT_FUZZ_INPUTS sets the fuzz drill's size alone.
"""

from __future__ import annotations

import os

import pytest

from sandbox.server import BotApiSandbox
from tests.drills.crash import open_goal_form, run_crash_drill
from tests.drills.fuzz import run_fuzz_drill
from tests.e2e.conftest import Backend, BotFactory
from tests.goal_world import build_goal_world

pytestmark = pytest.mark.e2e

FULL = os.environ.get("PERFBOT_DRILL") == "full"
FUZZ_INPUTS = int(os.environ.get("PERFBOT_FUZZ_INPUTS") or (10_000 if FULL else 300))
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


async def test_fuzz_drill_no_crash_and_every_press_answered(
    sandbox: BotApiSandbox, bot_factory: BotFactory, backend: Backend
) -> None:
    await build_goal_world(backend.db, telegram_ids={"staff": STAFF})
    bot = await bot_factory(database_url=backend.url, **backend.env)
    staff = sandbox.add_user(STAFF, "王芳")
    await open_goal_form(staff)
    stranger = sandbox.add_user(7_300_009, "陌生人")
    group = sandbox.add_group_member(-100_300, "绩效群", STAFF)
    tally = await run_fuzz_drill(sandbox, bot, [staff, stranger], group, inputs=FUZZ_INPUTS)
    print(f"{backend.name}: {tally.line()}")
    print("\n".join(tally.problems))
    assert tally.problems == []
    assert (tally.crashes, tally.unanswered) == (0, 0), bot.log()[-3000:]
