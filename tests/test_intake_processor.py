"""The update processor: chats at once, one chat in order, a bound in flight, floods held."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from telegram import Update

from bot.intake.flood import FloodGuard, Limits, Verdict
from bot.intake.processor import ChatOrderedProcessor
from storage import inbox
from storage.db import Database


def _update(update_id: int, chat: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat, "type": "private", "first_name": "某人"},
                "from": {"id": chat, "is_bot": False, "first_name": "某人"},
                "text": "x",
            },
        },
        None,
    )


async def test_chats_run_at_once_and_each_chat_in_order_with_a_bound() -> None:
    processor = ChatOrderedProcessor(max_in_flight=3)
    await processor.initialize()
    log: list[tuple[str, int, int]] = []
    running = 0
    most = 0

    async def handle(update_id: int, chat: int, seconds: float) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        log.append(("start", chat, update_id))
        await asyncio.sleep(seconds)
        log.append(("end", chat, update_id))
        running -= 1

    plan = [(1, 10, 0.05), (2, 10, 0.01), (3, 20, 0.01), (4, 10, 0.0)]
    plan += [(5 + n, 30 + n, 0.02) for n in range(6)]
    await asyncio.gather(
        *(
            processor.process_update(_update(uid, chat), handle(uid, chat, seconds))
            for uid, chat, seconds in plan
        )
    )

    chat_10 = [uid for kind, chat, uid in log if chat == 10 and kind == "start"]
    assert chat_10 == [1, 2, 4]  # one chat strictly in order
    for earlier, later in itertools.pairwise(chat_10):
        assert log.index(("end", 10, earlier)) < log.index(("start", 10, later))
    # Chat 20 did not wait for chat 10's slow first update.
    assert log.index(("end", 20, 3)) < log.index(("end", 10, 1))
    assert most == 3  # never more than the bound in flight


async def test_a_redelivered_update_is_taken_once() -> None:
    processor = ChatOrderedProcessor(max_in_flight=2)
    await processor.initialize()
    ran: list[int] = []

    async def handle() -> None:
        ran.append(1)

    await processor.process_update(_update(7, 1), handle())
    await processor.process_update(_update(7, 1), handle())
    assert ran == [1]


def test_a_flood_is_told_once_then_dropped_until_it_calms_down() -> None:
    now = [0.0]
    guard = FloodGuard(
        registered=Limits(burst=5, rate=1.0),
        stranger=Limits(burst=2, rate=0.1),
        clock=lambda: now[0],
    )
    guard.known.add(1)
    verdicts = [guard.check(1) for _ in range(100)]
    assert verdicts[:5] == [Verdict.allow] * 5
    assert verdicts[5] is Verdict.warn and set(verdicts[6:]) == {Verdict.drop}
    now[0] += 3.0  # half the burst back: calm again
    assert guard.check(1) is Verdict.allow
    # A stranger runs dry far sooner.
    assert [guard.check(2) for _ in range(3)] == [Verdict.allow, Verdict.allow, Verdict.warn]


async def test_an_inbox_that_fails_for_a_moment_is_tried_again(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A locked file or a dropped connection delays the update; it is handled once, finished."""
    await inbox.store(database, [_update(41, 5).to_dict()])
    failures = {"look_up": 2, "finish": 1}

    def flaky(name: str) -> Callable[..., Awaitable[Any]]:
        real = getattr(inbox, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if failures[name]:
                failures[name] -= 1
                raise OperationalError("SELECT 1", {}, Exception("database is locked"))
            return await real(*args, **kwargs)

        return call

    monkeypatch.setattr(inbox, "look_up", flaky("look_up"))
    monkeypatch.setattr(inbox, "finish", flaky("finish"))
    processor = ChatOrderedProcessor(max_in_flight=2, db=database)
    processor.retry_delays = (0.01, 0.01, 0.01)
    await processor.initialize()
    ran: list[int] = []

    async def handle() -> None:
        ran.append(1)

    await processor.process_update(_update(41, 5), handle())

    assert ran == [1]
    assert failures == {"look_up": 0, "finish": 0}
    stored = await inbox.look_up(database, 41)
    assert stored is not None and stored.finished


async def test_an_inbox_that_stays_down_leaves_the_update_for_the_next_start(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether it was applied is unknown: it is not run blind, and start-up replays it."""
    await inbox.store(database, [_update(42, 5).to_dict()])
    real_look_up = inbox.look_up

    async def down(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("down"))

    monkeypatch.setattr(inbox, "look_up", down)
    processor = ChatOrderedProcessor(max_in_flight=2, db=database)
    processor.retry_delays = (0.01, 0.01)
    await processor.initialize()
    ran: list[int] = []

    async def handle() -> None:
        ran.append(1)

    await processor.process_update(_update(42, 5), handle())

    assert ran == []
    stored = await real_look_up(database, 42)
    assert stored is not None and not stored.finished
    assert [payload["update_id"] for payload in await inbox.unfinished(database)] == [42]
