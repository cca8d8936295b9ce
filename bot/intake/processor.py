"""The update processor: different chats at once, one chat strictly in order, floods held.

python-telegram-bot hands every update to `do_process_update` in arrival order, each in a
task of its own. Here an update first checks the person's flood limit (synchronously, so a
flood is dropped on arrival instead of queueing), then waits for the previous update of the
same chat, then for one of `max_in_flight` slots; only then does it run the handlers. The
stored update is checked against the inbox first: one already finished is skipped, one a
crash interrupted after its answer was applied is not applied again (the chat is shown
where it stands instead), and the rest are handled with their first write claiming them.

A button press that only gets a refusal (from a group chat, or data no feature claims) is
answered on arrival by the `answer_early` hook instead: Telegram lets a query be answered
for a few seconds only, and a press queued behind a busy chat would outlive them and spin.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.intake.flood import FloodGuard, Verdict
from storage import inbox
from storage.db import Database

log = logging.getLogger(__name__)

WAITING_BOUND = 10_000  # updates accepted and waiting for their chat or a slot
SEEN_BOUND = 10_000  # update ids remembered to skip Telegram's redeliveries
# Waits between tries when the inbox cannot be read or written (a locked file, a lost
# connection): about a minute in all, then the update is left in the inbox for the next start.
INBOX_RETRY_DELAYS = (0.1, 0.3, 1.0, 3.0, 5.0, 10.0, 20.0, 20.0)
T = TypeVar("T")

Hook = Callable[[Update], Awaitable[None]]
# The answer to send at once, or None for an update that takes its chat's turn.
EarlyAnswer = Callable[[Update], Awaitable[None] | None]


def chat_key(update: object) -> int | None:
    """The chat whose order an update keeps (its person's id outside chats)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, ordered within a chat, bounded in flight, flood-limited."""

    def __init__(
        self,
        *,
        max_in_flight: int = 16,
        db: Database | None = None,
        flood: FloodGuard | None = None,
        on_flood: Hook | None = None,
        on_resumed: Hook | None = None,
        answer_early: EarlyAnswer | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates=WAITING_BOUND)
        self.max_in_flight = max_in_flight
        self.db = db
        self.flood = flood
        self.on_flood = on_flood
        self.on_resumed = on_resumed
        self.answer_early = answer_early
        self._slots: asyncio.Semaphore | None = None
        self._tails: dict[int | None, asyncio.Future[None]] = {}
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        self.dropped = 0
        self.retry_delays: tuple[float, ...] = INBOX_RETRY_DELAYS

    async def initialize(self) -> None:
        """Create the slots in the running loop."""
        self._slots = asyncio.Semaphore(self.max_in_flight)

    async def shutdown(self) -> None:
        """Nothing to release: waiting updates stay in the inbox for the next start."""

    def _first_time(self, update_id: int) -> bool:
        """False for an update already taken in this process (a redelivery or a replay)."""
        if update_id in self._seen:
            return False
        self._seen.add(update_id)
        self._seen_order.append(update_id)
        if len(self._seen_order) > SEEN_BOUND:
            self._seen.discard(self._seen_order.popleft())
        return True

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the handlers in this chat's turn (see the module's docstring)."""
        if not isinstance(update, Update):
            await coroutine
            return
        # Everything up to the chat's turn is synchronous: tasks start in arrival order.
        if not self._first_time(update.update_id):
            _close(coroutine)
            return
        verdict = Verdict.allow
        if self.flood is not None and update.effective_user is not None:
            verdict = self.flood.check(update.effective_user.id)
        early = self.answer_early(update) if self.answer_early else None
        if early is not None:
            _close(coroutine)
            await self._answer_now(update, early, verdict)
            return
        key = chat_key(update)
        previous = self._tails.get(key)
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = turn
        try:
            if previous is not None:
                await previous
            if self._slots is None:
                await self.initialize()
            assert self._slots is not None
            async with self._slots:
                await self._handle(update, coroutine, verdict)
        finally:
            turn.set_result(None)
            if self._tails.get(key) is turn:
                del self._tails[key]

    async def _answer_now(self, update: Update, answer: Awaitable[None], verdict: Verdict) -> None:
        """Send an early answer (none to a flood), then mark the update finished."""
        try:
            if verdict is Verdict.allow:
                await answer
            else:
                _close(answer)
                self.dropped += 1
        except Exception as error:  # ids and the kind of failure only
            log.error("update %s not answered: %s", update.update_id, type(error).__name__)
        finally:
            if self.db is not None:
                await self._finish(update.update_id)

    async def _inbox(self, update_id: int, operation: Callable[[], Awaitable[T]]) -> T:
        """An inbox call, tried again while the database is briefly unavailable."""
        for delay in (*self.retry_delays, None):
            try:
                return await operation()
            except (SQLAlchemyError, OSError) as error:
                if delay is None:
                    raise
                log.warning("inbox for update %s: %s, again", update_id, type(error).__name__)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _finish(self, update_id: int) -> None:
        """Mark the update finished; if the inbox stays unavailable it is replayed at start."""
        assert self.db is not None
        db = self.db
        try:
            await self._inbox(update_id, lambda: inbox.finish(db, update_id))
        except (SQLAlchemyError, OSError) as error:
            log.error("update %s not marked finished: %s", update_id, type(error).__name__)

    async def _handle(self, update: Update, coroutine: Awaitable[Any], verdict: Verdict) -> None:
        """Skip, resume or run one update, then mark it finished in the inbox."""
        stored = None
        if self.db is not None:
            db = self.db
            try:
                stored = await self._inbox(
                    update.update_id, lambda: inbox.look_up(db, update.update_id)
                )
            except (SQLAlchemyError, OSError) as error:
                # Unknown whether it was applied: leave it stored for the replay at start.
                _close(coroutine)
                log.error("update %s left in the inbox: %s", update.update_id, type(error).__name__)
                return
        try:
            if stored is not None and stored.finished:
                _close(coroutine)  # handled before a crash, redelivered since
                return
            if verdict is not Verdict.allow:
                _close(coroutine)
                self.dropped += 1
                if verdict is Verdict.warn and self.on_flood is not None:
                    await self.on_flood(update)
                return
            if stored is not None and stored.handled:
                # Applied before a crash, the reply maybe never sent: show where things stand.
                _close(coroutine)
                if self.on_resumed is not None:
                    await self.on_resumed(update)
                return
            if stored is None:
                await coroutine  # not from the inbox (a test feeding the application)
                return
            with inbox.handling(update.update_id):
                await coroutine
        except Exception as error:  # ids and the kind of failure only: no typed text
            log.error("update %s could not be handled: %s", update.update_id, type(error).__name__)
        finally:
            if stored is not None and not stored.finished and self.db is not None:
                await self._finish(update.update_id)


def _close(coroutine: Awaitable[Any]) -> None:
    """Discard a handler coroutine that will not run (no 'never awaited' warning)."""
    if isinstance(coroutine, Coroutine):
        coroutine.close()
