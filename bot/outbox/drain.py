"""One delivery run: claim due messages, interleave them over chats, send them paced.

Each chat has a lane (its claimed messages, oldest first) and at most one message in
flight, so a chat's messages arrive in order. Lanes wait in a heap by the moment their chat
may be written to again; the run takes the earliest lane whenever an overall slot is free,
and claims more messages when no lane could use the next slot. Sends run as tasks, so a
slow answer from Telegram does not hold up the other chats.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram import Bot

from workflow.notify import outbox
from workflow.notify.outbox import DueMessage, Outcome

if TYPE_CHECKING:
    from bot.outbox.delivery import Deliverer

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    """What one run did."""

    outcomes: dict[Outcome, int] = field(default_factory=dict)
    skipped: bool = False  # another run (here or in another process) had the outbox

    def count(self, outcome: Outcome) -> None:
        """One more message came to `outcome`."""
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def __str__(self) -> str:
        return ", ".join(f"{o.value} {n}" for o, n in sorted(self.outcomes.items())) or "idle"


class DrainRun:
    """Sends everything due, then ends; gives unsent claims back whenever it stops."""

    def __init__(self, deliverer: Deliverer, bot: Bot, keep_going: Callable[[], bool]) -> None:
        self.deliverer = deliverer
        self.pacer = deliverer.pacer
        self.policy = deliverer.policy
        self.bot = bot
        self.keep_going = keep_going
        self.report = RunReport()
        self.loop = asyncio.get_running_loop()
        self.lanes: dict[int, deque[DueMessage]] = {}
        self.ready: list[tuple[float, int, int]] = []  # heap of (ready at, tie-break, chat)
        self.in_flight: dict[asyncio.Task[Outcome], DueMessage] = {}
        self.queued = 0
        self.returned: list[int] = []  # claimed ids to give back when the run ends
        self.flooded = False
        self._claim_again_at = -math.inf
        self._order = itertools.count()

    async def drain(self) -> RunReport:
        """Run until nothing is due, Telegram says RetryAfter, or `keep_going` says stop."""
        try:
            while not self.flooded and self.keep_going():
                self._collect()
                if self.flooded:
                    break
                if self._wants_more():
                    await self._claim()
                elif not self.ready:
                    if not self.in_flight:
                        break
                    await self._wait(None)
                else:
                    wait = self._start_next()
                    if wait > 0:
                        await self._wait(wait)
            await self._finish()
        except BaseException:
            await self._abandon()
            raise
        return self.report

    # --- claiming ------------------------------------------------------------------------

    def _wants_more(self) -> bool:
        """Claim when no lane could take the next overall slot and room is left."""
        now = self.loop.time()
        if now < self._claim_again_at or self.queued >= self.policy.batch_size:
            return False
        if not self.ready:
            return True
        return self.pacer.start_at(self.ready[0][2], now) - now > self.pacer.slot

    async def _claim(self) -> None:
        """Lease more due messages, skipping chats that already have a lane or a send."""
        busy = set(self.lanes) | {message.chat_id for message in self.in_flight.values()}
        claimed = await outbox.claim_due(
            self.deliverer.db,
            now=self.deliverer.clock(),
            limit=self.policy.batch_size - self.queued,
            per_chat=self.policy.per_chat_batch,
            lease=self.policy.lease,
            skip_chats=busy,
            owner=self.policy.owner,
        )
        if not claimed:  # nothing due now: look again a little later, not in a tight loop
            self._claim_again_at = self.loop.time() + min(1.0, self.policy.horizon)
        for message in claimed:
            lane = self.lanes.get(message.chat_id)
            if lane is None:
                lane = self.lanes[message.chat_id] = deque()
                self._push(message.chat_id)
            lane.append(message)
            self.queued += 1

    def _push(self, chat_id: int) -> None:
        """The chat's lane waits for its next turn."""
        entry = (self.pacer.chat_ready_at(chat_id), next(self._order), chat_id)
        heapq.heappush(self.ready, entry)

    # --- sending -------------------------------------------------------------------------

    def _start_next(self) -> float:
        """Start the earliest lane's next message if its slot has come; else the wait."""
        now = self.loop.time()
        chat_id = self.ready[0][2]
        wait = self.pacer.start_at(chat_id, now) - now
        if wait > 0:
            return wait
        heapq.heappop(self.ready)
        lane = self.lanes[chat_id]
        message = lane.popleft()
        self.queued -= 1
        if not lane:
            del self.lanes[chat_id]
        self.pacer.book(chat_id, now)
        task = asyncio.create_task(self.deliverer.deliver(self.bot, message))
        self.in_flight[task] = message
        return 0.0

    async def _wait(self, timeout: float | None) -> None:
        """Sleep until a send finishes or `timeout` passes."""
        if self.in_flight:
            await asyncio.wait(self.in_flight, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        elif timeout is not None:
            await asyncio.sleep(timeout)

    def _collect(self) -> None:
        """Take in finished sends: count them, re-queue their lanes; re-raise a crash."""
        for task in [task for task in self.in_flight if task.done()]:
            message = self.in_flight.pop(task)
            outcome = task.result()  # an exception here ends the run (see drain)
            self.report.count(outcome)
            lane = self.lanes.get(message.chat_id)
            if outcome is Outcome.retry_after:
                self.flooded = True
            elif outcome in (Outcome.forbidden, Outcome.network) and lane:
                # The person blocked the bot, or this message backs off: the chat's later
                # messages wait (for their return, or behind it, to keep the chat's order).
                self.returned.extend(waiting.id for waiting in lane)
                self.queued -= len(lane)
                del self.lanes[message.chat_id]
            elif lane:
                self._push(message.chat_id)

    # --- ending --------------------------------------------------------------------------

    async def _finish(self) -> None:
        """Let sends in flight finish, then give back what was claimed but not sent."""
        if self.in_flight:
            await asyncio.wait(self.in_flight)
        self._collect()
        await self._give_back()

    async def _abandon(self) -> None:
        """After a crash: record what finished, give back the rest; leases cover the others."""
        try:
            if self.in_flight:
                await asyncio.wait(self.in_flight)
            for task, message in self.in_flight.items():
                if not task.cancelled() and task.exception() is None:
                    self.report.count(task.result())
                else:  # its lease will bring it back
                    log.error("outbox %s: delivery crashed", message.id)
            self.in_flight.clear()
            await self._give_back()
        except Exception:  # the database may be the reason we crashed: leases cover it
            log.exception("outbox: could not give back claimed messages")

    async def _give_back(self) -> None:
        """Unsent claimed messages are due again now, or when a RetryAfter pause ends."""
        ids = self.returned + [message.id for lane in self.lanes.values() for message in lane]
        self.lanes.clear()
        self.ready.clear()
        self.queued = 0
        self.returned = []
        pause = self.pacer.paused_for(self.loop.time())
        due_at = self.deliverer.clock() + dt.timedelta(seconds=pause)
        await outbox.release(self.deliverer.db, message_ids=ids, due_at=due_at)
