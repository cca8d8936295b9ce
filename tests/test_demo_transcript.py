"""The demo's transcript: each chat once, presses as the person's action, restarts marked."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.demo.run import _print_transcripts
from storage.db import Database
from tests.chat_harness import answer_to, running_bot
from tests.goal_world import build_goal_world


async def test_each_chat_is_printed_once_with_presses_and_the_restart(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    await build_goal_world(database, telegram_ids={"staff": 7101})
    async with running_bot(database) as sandbox:
        staff = sandbox.add_user(7101, "王芳")
        await staff.send_text("/new")
        question = await answer_to(staff, "预算年度")
        await staff.press(question, "2026")
        await answer_to(staff, "属性")
        sandbox.note("🔄 绩效助手进程被终止后重新启动")
        await staff.send_text("/resume")
        await answer_to(staff, "属性")
        sandbox.note("🔄 again, after the chat's last message")
    world = SimpleNamespace(shown=[("申报", staff), ("跟踪", staff)])
    _print_transcripts(world)  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert out.count("━━━━ 申报；跟踪（王芳）━━━━") == 1 and out.count("━━━━") == 2
    lines = out.splitlines()
    pressed = lines.index("👤 王芳: 👆 2026")
    restarted = lines.index("—— 🔄 绩效助手进程被终止后重新启动 ——")
    assert pressed < restarted < lines.index("👤 王芳: /resume")
    assert "again" not in out  # nothing happened after it in this chat
