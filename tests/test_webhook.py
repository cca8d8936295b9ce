"""Webhook mode: every POST stored before its 200, a 500 while the database is away, a
redelivery handled once, strangers' and junk POSTs refused with nothing stored.

The real Application (every handler) serves the webhook in the test process; the sandbox
plays Telegram, pushing each update to it and sending it again after anything but a 2xx.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import ALLOWED_UPDATES, build_application
from bot.config import Settings
from bot.intake.webhook import SECRET_HEADER, serve_webhook
from sandbox.client import SandboxUser
from sandbox.server import BotApiSandbox
from storage import inbox
from storage.db import Database
from storage.models.intake import InboxUpdate
from tests.drills.crash import draft_data, open_goal_form
from tests.goal_world import build_goal_world
from tests.outage import Outage, outage_for

STAFF = 7_400_001
SECRET = "webhook_test-secret"
NAME = "职业技能提升培训"
NEXT_QUESTION = "项目负责人"
WAIT = 20.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def webhook_bot(db: Database) -> AsyncIterator[tuple[BotApiSandbox, Settings]]:
    """A sandbox, and the bot serving its webhook in this process on `db` until the end."""
    async with BotApiSandbox() as sandbox:
        sandbox.pusher.first_retry, sandbox.pusher.longest_retry = 0.05, 0.3
        port = _free_port()
        settings = Settings(
            telegram_base_url=sandbox.base_url,
            telegram_base_file_url=sandbox.base_file_url,
            database_url=db.url,
            outbox_interval_seconds=0.2,
            cycle_auto_open=False,
            webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
            webhook_port=port,
            webhook_secret=SECRET,
        )
        application = build_application(settings, db, sandbox.token)
        application.post_shutdown = None  # the test owns the database
        stopped = asyncio.Event()
        serving = asyncio.create_task(
            serve_webhook(application, settings, allowed_updates=ALLOWED_UPDATES, stopped=stopped)
        )
        await _until(lambda: sandbox.webhook is not None or serving.done())
        if serving.done():
            serving.result()  # start-up failed: show why
        try:
            yield sandbox, settings
        finally:
            stopped.set()
            await serving


async def _until(condition: Callable[[], object], timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


async def _finished(db: Database, update_id: int) -> None:
    """Wait until the update's handling is over (its reply sent)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not ((stored := await inbox.look_up(db, update_id)) and stored.finished):
        assert loop.time() < deadline, f"update {update_id} never finished"
        await asyncio.sleep(0.05)


def _asked(user: SandboxUser, fragment: str) -> int:
    """How often the bot's messages in this chat said `fragment`."""
    return sum(fragment in (m.get("text") or "") for m in user.bot_messages)


async def _answer_name(sandbox: BotApiSandbox, user: SandboxUser) -> int:
    """Type the project's name into the open form; the update's id."""
    user.skip_pending()
    await user.send_text(NAME)
    return sandbox.state.updates.next_id - 1


@pytest.fixture
async def outage(database: Database, request: pytest.FixtureRequest) -> AsyncIterator[Outage]:
    """The bot's own handle on the test database, which the test can take away."""
    schema = request.getfixturevalue("postgres_schema") if database.dialect != "sqlite" else None
    found = await outage_for(database, schema)
    yield found
    await found.close()


async def test_an_update_is_stored_then_answered_200_and_handled(database: Database) -> None:
    await build_goal_world(database, telegram_ids={"staff": STAFF})
    async with webhook_bot(database) as (sandbox, _):
        user = sandbox.add_user(STAFF, "王芳")
        await open_goal_form(user)
        update_id = await _answer_name(sandbox, user)
        delivered = await sandbox.wait_for_delivery(update_id, timeout=WAIT)
        assert delivered.status == 200
        assert await inbox.look_up(database, update_id) is not None  # kept in update_inbox
        await user.wait_for_message(lambda m: NEXT_QUESTION in m.get("text", ""), timeout=WAIT)
        assert (await draft_data(database))["name"] == NAME
        assert sandbox.calls_to("getUpdates") == []  # Telegram pushes; nobody polls
        hook = sandbox.webhook
        assert hook is not None and hook["allowed_updates"] == list(ALLOWED_UPDATES)
        assert sandbox.state.webhook_secret == SECRET


async def test_while_the_database_is_away_telegram_gets_500_and_nothing_is_handled(
    database: Database, outage: Outage
) -> None:
    await build_goal_world(database, telegram_ids={"staff": STAFF})
    async with webhook_bot(outage.db) as (sandbox, _):
        user = sandbox.add_user(STAFF, "王芳")
        await open_goal_form(user)
        async with outage.down():
            update_id = await _answer_name(sandbox, user)
            await _until(
                lambda: sum(d.update_id == update_id for d in sandbox.webhook_deliveries) >= 2
            )
            answers = {d.status for d in sandbox.webhook_deliveries if d.update_id == update_id}
            assert answers == {500}  # not stored, so not acknowledged
            assert await inbox.look_up(database, update_id) is None
            assert _asked(user, NEXT_QUESTION) == 0
        # The database is back: Telegram's next try is stored, answered 200 and handled once.
        assert (await sandbox.wait_for_delivery(update_id, timeout=WAIT)).status == 200
        await _finished(database, update_id)
        assert _asked(user, NEXT_QUESTION) == 1
        data = await draft_data(database)
        assert data["name"] == NAME and data.get("person_in_charge") is None


async def test_the_same_update_delivered_twice_is_handled_once(database: Database) -> None:
    await build_goal_world(database, telegram_ids={"staff": STAFF})
    async with webhook_bot(database) as (sandbox, _):
        user = sandbox.add_user(STAFF, "王芳")
        await open_goal_form(user)
        sandbox.lose_webhook_answers(1)  # the first 200 never reaches Telegram
        update_id = await _answer_name(sandbox, user)
        await _until(lambda: not sandbox.pending_updates)
        pushes = [d for d in sandbox.webhook_deliveries if d.update_id == update_id]
        assert [(d.status, d.lost) for d in pushes] == [(200, True), (200, False)]
        await _finished(database, update_id)
        assert _asked(user, NEXT_QUESTION) == 1  # one reply
        data = await draft_data(database)
        assert data["name"] == NAME and data.get("person_in_charge") is None  # one answer


async def _post(settings: Settings, body: bytes, *, secret: str | None = SECRET) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with (
        aiohttp.ClientSession() as session,
        session.post(settings.webhook_url or "", data=body, headers=headers) as answer,
    ):
        return answer.status, await answer.text()


def _update(update_id: int, text: str) -> dict[str, Any]:
    person = {"id": STAFF, "is_bot": False, "first_name": "王芳"}
    chat = {"id": STAFF, "type": "private", "first_name": "王芳"}
    message = {"message_id": 1, "date": 0, "chat": chat, "from": person, "text": text}
    return {"update_id": update_id, "message": message}


async def test_a_wrong_secret_is_refused_and_junk_is_not_stored(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await build_goal_world(database, telegram_ids={"staff": STAFF})
    caplog.set_level(logging.INFO)
    async with webhook_bot(database) as (sandbox, settings):
        forged = json.dumps(_update(990_001, "/help")).encode()
        assert (await _post(settings, forged, secret="guessed"))[0] == 403
        assert (await _post(settings, forged, secret=None))[0] == 403
        assert (await _post(settings, forged, secret=SECRET + "x"))[0] == 403
        junk = [
            b"not json",
            b"[1, 2]",
            b'{"update_id": "1"}',
            b'{"update_id": -5}',
            b'{"update_id": true}',
            b'{"update_id": 1e3}',
            b"[" * 100_000,
            json.dumps({**_update(990_002, "x" * 2_000_000)}).encode(),  # over a megabyte
        ]
        for body in junk:
            status, _ = await _post(settings, body)
            assert status == 400, body[:40]
        async with aiohttp.ClientSession() as session:
            async with session.get(settings.webhook_url or "") as answer:
                assert answer.status == 405  # the proxy reaches the bot; nothing to read here
        async with database.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0
        assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
        assert not [r for r in caplog.records if "/help" in r.getMessage()]
        # Telegram's own updates still go through.
        user = sandbox.add_user(STAFF, "王芳")
        await user.send_text("/help")
        assert "/new" in (await user.wait_for_message(timeout=WAIT))["text"]
