"""The real `perfbot run` process against the sandbox: first words, menu, resilience."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox

pytestmark = pytest.mark.e2e


async def test_start_gets_a_welcome_and_the_menu_is_published(
    sandbox: BotApiSandbox, bot: BotProcess
) -> None:
    user = sandbox.add_user(1001, "张三")
    await user.send_text("/start")
    reply = await user.wait_for_message()
    assert "绩效助手" in reply["text"]
    assert "邀请" in reply["text"]  # a stranger is told how to get access
    menu = {item["command"] for item in sandbox.commands()}
    assert {"start", "help", "cancel"} <= menu


async def test_help_lists_the_commands(sandbox: BotApiSandbox, bot: BotProcess) -> None:
    user = sandbox.add_user(1002, "李四")
    await user.send_text("/help")
    reply = await user.wait_for_message()
    # A stranger is offered only what the gate lets through, and told how to register.
    assert "/start" in reply["text"] and "/help" in reply["text"]
    assert "/cancel" not in reply["text"] and "/me" not in reply["text"]
    assert "邀请链接" in reply["text"]


async def test_server_errors_while_polling_do_not_crash_the_bot(
    sandbox: BotApiSandbox, bot: BotProcess
) -> None:
    user = sandbox.add_user(1003, "王五")
    # The poll in flight answers the first message; the next three polls get 502s.
    sandbox.fail_next("getUpdates", status=502, times=3)
    await user.send_text("/start")
    assert "绩效助手" in (await user.wait_for_message(timeout=30))["text"]
    await user.send_text("/help")
    assert "/start" in (await user.wait_for_message(timeout=60))["text"]
    assert bot.running
    failed = [call for call in sandbox.calls_to("getUpdates") if call.status == 502]
    assert len(failed) == 3


async def test_a_stopped_sandbox_does_not_crash_the_bot(
    sandbox: BotApiSandbox, bot: BotProcess
) -> None:
    await sandbox.stop()
    await asyncio.sleep(3)  # the bot's polls fail with connection errors meanwhile
    assert bot.running
    await sandbox.start()  # same port
    user = sandbox.add_user(1004, "赵六")
    await user.send_text("/start")
    reply = await user.wait_for_message(timeout=40)
    assert "绩效助手" in reply["text"]


async def test_a_failing_handler_apologises_without_internals(
    sandbox: BotApiSandbox, bot: BotProcess
) -> None:
    user = sandbox.add_user(1005, "钱七")
    # The handler's own reply is refused; the error handler must still reach the person.
    sandbox.fail_next("sendMessage", status=400, description="Bad Request: something odd")
    await user.send_text("/help")
    reply = await user.wait_for_message(timeout=20)
    assert "抱歉" in reply["text"]
    assert "Traceback" not in reply["text"] and "BadRequest" not in reply["text"]
    assert "something odd" in bot.log().lower()  # the details went to the log
    assert bot.running


async def test_sigterm_stops_the_bot_cleanly(sandbox: BotApiSandbox, bot: BotProcess) -> None:
    assert await bot.stop() == 0
    assert "已停止" in bot.log()


def _perfbot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_a_token_says_what_to_set(tmp_path: Path, e2e_database_url: str) -> None:
    result = _perfbot(tmp_path, DATABASE_URL=e2e_database_url)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


async def test_run_with_a_wrong_token_says_so(
    sandbox: BotApiSandbox, tmp_path: Path, e2e_database_url: str
) -> None:
    result = await asyncio.to_thread(
        _perfbot,
        tmp_path,
        TELEGRAM_BOT_TOKEN="999:WRONG",
        TELEGRAM_BASE_URL=sandbox.base_url,
        DATABASE_URL=e2e_database_url,
    )
    assert result.returncode == 2
    assert "令牌" in result.stderr and "Traceback" not in result.stderr


def test_run_against_an_unreachable_api_says_so(tmp_path: Path, e2e_database_url: str) -> None:
    result = _perfbot(
        tmp_path,
        TELEGRAM_BOT_TOKEN="123:abc",
        TELEGRAM_BASE_URL="http://127.0.0.1:9/bot",
        DATABASE_URL=e2e_database_url,
    )
    assert result.returncode == 2
    assert "无法连接" in result.stderr and "Traceback" not in result.stderr


def test_run_on_an_empty_database_asks_for_the_upgrade(tmp_path: Path) -> None:
    result = _perfbot(
        tmp_path,
        TELEGRAM_BOT_TOKEN="123:abc",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
    )
    assert result.returncode == 2
    assert "perfbot db upgrade" in result.stderr
