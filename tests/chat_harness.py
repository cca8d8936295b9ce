"""The real Application (every handler, the gate, the form runner) in the test process.

A lighter end-to-end: the bot of `bot.app.build_application` polls an in-process sandbox
on the test's database (SQLite and PostgreSQL alike), so a test drives it as people would
(text, stickers, photos, button presses) and reads what the chat shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.app import build_application
from bot.config import Settings
from sandbox.client import SandboxUser
from sandbox.server import BotApiSandbox
from storage.db import Database

WAIT = 15.0


@asynccontextmanager
async def running_bot(db: Database) -> AsyncIterator[BotApiSandbox]:
    """A sandbox with the bot polling it in this process, stopped on exit."""
    async with BotApiSandbox() as sandbox:
        settings = Settings(
            telegram_base_url=sandbox.base_url,
            telegram_base_file_url=sandbox.base_file_url,
            database_url=db.url,
            outbox_interval_seconds=0.2,
            cycle_auto_open=False,
        )
        application = build_application(settings, db, sandbox.token)
        # The test owns the database: keep the pool open when the bot shuts down.
        application.post_shutdown = None
        await application.initialize()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        await application.start()
        try:
            yield sandbox
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()


def says(*fragments: str) -> Callable[[dict[str, Any]], bool]:
    """A message whose text (or caption) holds every fragment."""

    def check(message: dict[str, Any]) -> bool:
        text = message.get("text") or message.get("caption") or ""
        return all(fragment in text for fragment in fragments)

    return check


async def answer_to(user: SandboxUser, *fragments: str) -> dict[str, Any]:
    """The next bot message in this chat holding every fragment."""
    return await user.wait_for_message(says(*fragments), timeout=WAIT)


def buttons(message: dict[str, Any]) -> list[str]:
    """The labels of a message's inline keyboard, row after row."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button["text"] for row in rows for button in row]
