"""`perfbot run` in webhook mode against the sandbox: killed right after a 200, an answer is
kept exactly once; a clean stop leaves the webhook set and nothing sent meanwhile is lost."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.server import BotApiSandbox
from storage import inbox
from tests.drills.crash import draft_data, open_goal_form, writes_held
from tests.e2e.conftest import WEBHOOK_SECRET, Backend, BotFactory
from tests.e2e.people import replayed
from tests.goal_world import build_goal_world

pytestmark = pytest.mark.e2e

STAFF = 7_500_001
NAME = "职业技能提升培训"
NEXT_QUESTION = "项目负责人"
WAIT = 20.0


async def test_killed_right_after_the_200_the_answer_is_kept_once(
    sandbox: BotApiSandbox, bot_factory: BotFactory, backend: Backend, webhook_env: dict[str, str]
) -> None:
    await build_goal_world(backend.db, telegram_ids={"staff": STAFF})
    bot = await bot_factory(database_url=backend.url, **backend.env, **webhook_env)
    user = sandbox.add_user(STAFF, "王芳")
    await open_goal_form(user)
    # PostgreSQL: the form's table is locked, so the kill surely lands between the 200 and
    # the answer's write. SQLite locks the whole file (the inbox too): there the kill races
    # the handler, and either way the answer must be kept once.
    held = writes_held(backend.db) if backend.name == "postgresql" else contextlib.nullcontext()
    async with held:
        user.skip_pending()
        await user.send_text(NAME)
        update_id = sandbox.state.updates.next_id - 1
        assert (await sandbox.wait_for_delivery(update_id, timeout=WAIT)).status == 200
        await bot.kill()
    stored = await inbox.look_up(backend.db, update_id)
    assert stored is not None  # stored before the 200
    if backend.name == "postgresql":
        assert not stored.handled  # killed before the answer was written
    assert not sandbox.pending_updates  # Telegram counts it delivered: only the inbox has it

    await bot.start()
    await user.wait_for_message(lambda m: NEXT_QUESTION in m.get("text", ""), timeout=WAIT)
    await replayed(backend.db, user)
    data = await draft_data(backend.db)
    assert data["name"] == NAME  # kept
    assert data.get("person_in_charge") is None  # and not applied a second time
    stored = await inbox.look_up(backend.db, update_id)
    assert stored is not None and stored.handled and stored.finished
    assert [d.status for d in sandbox.webhook_deliveries if d.update_id == update_id] == [200]
    assert sandbox.calls_to("getUpdates") == []


async def test_a_clean_stop_leaves_the_webhook_set_and_loses_nothing(
    sandbox: BotApiSandbox, bot_factory: BotFactory, webhook_env: dict[str, str]
) -> None:
    bot = await bot_factory(**webhook_env)
    user = sandbox.add_user(1001, "张三")
    await user.send_text("/start")
    assert "绩效助手" in (await user.wait_for_message(timeout=WAIT))["text"]
    assert await bot.stop() == 0 and "已停止" in bot.log()
    hook = sandbox.webhook
    assert hook is not None and hook["url"] == webhook_env["WEBHOOK_URL"]
    assert sandbox.state.webhook_secret == WEBHOOK_SECRET

    # While the bot is down Telegram keeps the update, trying again; the restarted bot gets it.
    user.skip_pending()
    await user.send_text("/help")
    await bot.start()
    assert "/start" in (await user.wait_for_message(timeout=WAIT))["text"]

    # Back to polling: the webhook is deleted, pending updates kept and answered.
    assert await bot.stop() == 0
    user.skip_pending()
    await user.send_text("/help")
    poller = await bot_factory(database_url=bot.database_url)
    assert "/start" in (await user.wait_for_message(timeout=WAIT))["text"]
    assert sandbox.webhook is None and poller.running
    assert "Traceback" not in bot.log() + poller.log()


def _perfbot_run(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_taken_port_or_a_refused_webhook_is_said_in_a_sentence(
    sandbox: BotApiSandbox, tmp_path: Path, e2e_database_url: str, webhook_env: dict[str, str]
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": sandbox.token,
        "TELEGRAM_BASE_URL": sandbox.base_url,
        "TELEGRAM_BASE_FILE_URL": sandbox.base_file_url,
        "DATABASE_URL": e2e_database_url,
        "CYCLE_AUTO_OPEN": "false",
        **webhook_env,
    }
    with socket.create_server(("127.0.0.1", int(webhook_env["WEBHOOK_PORT"]))):
        taken = await asyncio.to_thread(_perfbot_run, tmp_path, env)
    assert taken.returncode == 2
    assert "WEBHOOK_PORT" in taken.stderr and "Traceback" not in taken.stderr

    sandbox.fail_next("setWebhook", status=400, description="Bad Request: bad webhook: IP denied")
    refused = await asyncio.to_thread(_perfbot_run, tmp_path, env)
    assert refused.returncode == 1
    assert "WEBHOOK_URL" in refused.stderr and "ip denied" in refused.stderr.lower()
    assert "Traceback" not in refused.stderr
