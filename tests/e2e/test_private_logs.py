"""What the log keeps of a failing update: ids and the exception, never what was typed."""

from __future__ import annotations

import json

import pytest

from sandbox.server import BotApiSandbox
from storage.db import Database
from tests.drills.crash import open_goal_form
from tests.e2e.conftest import BotFactory
from tests.goal_world import build_goal_world

pytestmark = pytest.mark.e2e

STAFF = 7_500_001
SECRET = "绝密项目甲乙丙"


async def test_the_log_of_a_failing_update_has_ids_not_the_text_typed(
    sandbox: BotApiSandbox, bot_factory: BotFactory, e2e_db: Database
) -> None:
    await build_goal_world(e2e_db, telegram_ids={"staff": STAFF})
    bot = await bot_factory(PERFBOT_E2E_LOG_LEVEL="DEBUG", LOG_LEVEL="DEBUG")
    user = sandbox.add_user(STAFF, "王芳")
    await open_goal_form(user)
    user.skip_pending()
    sandbox.fail_next("sendMessage", status=400, description="Bad Request: something odd")
    await user.send_text(SECRET)
    apology = await user.wait_for_message(timeout=20, include_edits=False)
    assert "抱歉" in apology["text"]

    log = bot.log()
    assert "something odd" in log.lower() and f"chat {STAFF}" in log  # ids and the exception
    assert SECRET not in log
    assert json.dumps(SECRET)[1:-1] not in log  # nor escaped, as JSON would write it
