"""Outbox delivery: one repeating job drains the notification outbox within Telegram's limits.

How a message travels. The job claims due rows (`workflow.notify.outbox.claim_due`), renders each
from `templates/messages/<template>.html.j2` with its context, and sends it to the person's
Telegram chat: text split under 4096 characters, then the document if there is one, the
inline buttons on the last part. Sends are paced to `outbox_global_per_second` overall and
`outbox_per_chat_per_second` per chat (`bot.outbox.pacing`); every outcome is written back at once
with a `DeliveryAttempt`:

- sent: the row is `sent`, with the Telegram message id;
- RetryAfter: everything pauses for as long as Telegram says (it does not say which limit
  was hit, so the safe reading is "all chats"); the row and the rest of the batch are due
  again when the pause ends, and no attempt is counted;
- NetworkError, TimedOut, 5xx: retried with exponential backoff, `failed` after
  `outbox_max_attempts` attempts;
- BadRequest (and a template or button label that cannot be rendered): `failed` with the
  reason, never retried;
- Forbidden: the row is `unreachable`, the person is marked unreachable and the
  administrators are told once; that person's other messages wait until they are back.

An edit (`workflow.notify.edits`) rewrites the message its original row delivered, its
last part, with the same outcomes; "message is not modified" counts as done, and an
original that delivered nothing leaves the edit `failed`.

A person without a Telegram account yet is not claimed: their messages stay pending.

Nothing is lost. A claim only pushes `next_attempt_at` forward by a lease; there is no
'sending' state. Whatever happens after the claim (an exception, a killed process, a lost
database connection) leaves the row pending and due again when the lease ends, and a run
that stops or fails on its own gives its unsent rows back at once.

The one possible duplicate: a send that Telegram accepted just before the process died,
or before the `sent` mark could be written (a database outage), is sent again when its
lease ends, because nothing on our side recorded that it arrived. Telegram offers no
idempotency key for sendMessage, so this window (one Telegram round trip and one small
transaction per message) cannot be closed; it is kept as short as possible by writing each
outcome right after its send. Long messages record each delivered part, so a retry resumes
after the last part that arrived instead of repeating the first ones.

One deliverer at a time. Within a process, a run that finds another one still going returns
at once (and the job has `max_instances=1`). Across processes on PostgreSQL, each run takes
`pg_try_advisory_xact_lock` and a process that does not get it skips its run. We chose the
lock over `SELECT … FOR UPDATE SKIP LOCKED`: the rate limits belong to the bot token, not
to a process, so two processes delivering side by side, each within the limits, would
together exceed them (and PostgreSQL refuses FOR UPDATE next to the window function the
fair claim uses). The claim is a conditional UPDATE as well, so even without the lock no
row could be claimed twice. SQLite deployments are a single process.

A backlog longer than `outbox_interval_seconds` keeps one run busy; APScheduler then logs
that it skipped the overlapping runs of the job, which is `max_instances=1` at work.

The jobs that run the deliverer, and the bot it sends with, are in `bot.outbox.job`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import warnings
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.config import Settings
from bot.outbox.drain import DrainRun, RunReport
from bot.outbox.pacing import Pacer
from bot.ui.buttons import inline_keyboard
from bot.ui.render import render, split_message
from storage.db import Database
from storage.locks import OUTBOX_DELIVERY, try_advisory_lock
from storage.types import utcnow
from workflow.notify import edits as outbox_edits
from workflow.notify import outbox
from workflow.notify.edits import EditTarget
from workflow.notify.outbox import DueMessage, Outcome, RetryPolicy

log = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
Render = Callable[..., str]


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How fast to send, how to retry, and how much to claim at a time."""

    global_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lease: dt.timedelta = outbox.DEFAULT_LEASE
    horizon: float = 2.0  # seconds of sending claimed at once; far shorter than the lease
    owner: str | None = None  # the name leases are taken in (reclaimed at once after a crash)

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        """The policy the settings describe."""
        return cls(
            global_per_second=settings.outbox_global_per_second,
            per_chat_per_second=settings.outbox_per_chat_per_second,
            retry=RetryPolicy(
                max_attempts=settings.outbox_max_attempts,
                max_delay=settings.outbox_retry_max_seconds,
            ),
            owner=settings.outbox_owner,
        )

    @property
    def batch_size(self) -> int:
        """Messages claimed at once: a horizon's worth at the overall rate."""
        return max(1, math.ceil(self.global_per_second * self.horizon))

    @property
    def per_chat_batch(self) -> int:
        """Messages claimed at once for one chat: a horizon's worth at the chat rate."""
        return max(1, math.ceil(self.per_chat_per_second * self.horizon))


@dataclass(frozen=True, slots=True)
class Part:
    """One Telegram message of an outbox message: HTML text, or a document with a caption."""

    text: str | None
    document: tuple[str, bytes] | None = None
    markup: InlineKeyboardMarkup | None = None


def compose(message: DueMessage, render_template: Render = render) -> list[Part]:
    """The outbox message as Telegram messages; the buttons go on the last one."""
    text = render_template(message.template, **message.context)
    markup = inline_keyboard(message.buttons)
    if message.document is None:
        parts = [Part(text=chunk) for chunk in split_message(text)]
    else:
        document = (message.document_name or "document", message.document)
        if len(text) <= CAPTION_LIMIT:
            parts = [Part(text=text or None, document=document)]
        else:
            parts = [Part(text=chunk) for chunk in split_message(text)]
            parts.append(Part(text=None, document=document))
    parts[-1] = replace(parts[-1], markup=markup)
    return parts


async def send_part(bot: Bot, chat_id: int, part: Part) -> int:
    """Send one part; the Telegram message id."""
    if part.document is None:
        sent = await bot.send_message(
            chat_id, part.text or "", parse_mode=ParseMode.HTML, reply_markup=part.markup
        )
    else:
        name, data = part.document
        sent = await bot.send_document(
            chat_id,
            data,
            filename=name,
            caption=part.text,
            parse_mode=ParseMode.HTML,
            reply_markup=part.markup,
        )
    return sent.message_id


async def edit_part(bot: Bot, chat_id: int, target: EditTarget, part: Part) -> int:
    """Rewrite the target message with one part (its text, or its caption) and buttons."""
    if target.has_document:
        await bot.edit_message_caption(
            chat_id=chat_id,
            message_id=target.telegram_message_id,
            caption=part.text,
            parse_mode=ParseMode.HTML,
            reply_markup=part.markup,
        )
    else:
        await bot.edit_message_text(
            part.text or "",
            chat_id=chat_id,
            message_id=target.telegram_message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=part.markup,
        )
    return target.telegram_message_id


def _not_modified(error: BadRequest) -> bool:
    """Telegram's answer to an edit that changes nothing: the message already says it."""
    return "not modified" in error.message.lower()


def retry_after_seconds(error: RetryAfter) -> float:
    """RetryAfter's wait in seconds, whichever type this PTB version hands out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns about its int → timedelta migration
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def delivery_lock(db: Database) -> AbstractAsyncContextManager[bool]:
    """Whether this process may deliver now (PostgreSQL: a transaction-scoped advisory lock)."""
    return try_advisory_lock(db, OUTBOX_DELIVERY)


class Deliverer:
    """Drains the outbox; keeps the pacing (and any RetryAfter pause) from run to run."""

    def __init__(
        self,
        db: Database,
        policy: DeliveryPolicy | None = None,
        *,
        render_template: Render = render,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.policy = policy or DeliveryPolicy()
        self.pacer = Pacer(
            global_per_second=self.policy.global_per_second,
            per_chat_per_second=self.policy.per_chat_per_second,
        )
        self.render_template = render_template
        self.clock = clock
        self._running = asyncio.Lock()
        self._reclaimed = False

    async def run(self, bot: Bot, *, keep_going: Callable[[], bool] = lambda: True) -> RunReport:
        """Send everything that is due, then return; `keep_going` False stops early."""
        if self._running.locked() or self.pacer.paused_for(_monotonic()) > 0:
            return RunReport(skipped=True)
        async with self._running, delivery_lock(self.db) as ours:
            if not ours:
                return RunReport(skipped=True)
            await self._reclaim_own_leases()
            try:
                report = await DrainRun(self, bot, keep_going).drain()
            except BaseException:
                # A crashed run may not have given its claims back (the database was often
                # the reason): the next run, under the same lock, takes our leases back at once.
                self._reclaimed = False
                raise
        if report.outcomes:
            log.info("outbox: %s", report)
        return report

    async def _reclaim_own_leases(self) -> None:
        """Once per process, under the lock: leases a crashed run of ours left are due now."""
        if self._reclaimed or self.policy.owner is None:
            return
        taken = await outbox.reclaim_leases(self.db, owner=self.policy.owner, now=self.clock())
        self._reclaimed = True
        if taken:
            log.info("outbox: %s messages leased before a restart are due again", taken)

    async def deliver(self, bot: Bot, message: DueMessage) -> Outcome:
        """Send one claimed message (its first part's turn is already booked); record it."""
        try:
            parts = compose(message, self.render_template)
        except Exception as exc:  # rendering is pure: whatever fails here, a retry fails too
            return await self._failed(message, Outcome.render_error, f"{type(exc).__name__}: {exc}")
        target = None
        if message.edit_of_id is not None:
            target = await outbox_edits.edit_target(self.db, message_id=message.edit_of_id)
            if target is None:
                return await self._failed(message, Outcome.bad_request, "nothing to edit")
        try:
            if target is None:
                telegram_id = await self._send_parts(bot, message, parts)
            else:
                telegram_id = await edit_part(bot, message.chat_id, target, parts[-1])
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            self.pacer.pause(seconds, _monotonic())
            now = self.clock()
            until = now + dt.timedelta(seconds=seconds)
            await outbox.postpone(
                self.db, message_id=message.id, now=now, until=until, detail=str(exc)
            )
            return Outcome.retry_after
        except Forbidden as exc:
            log.warning("outbox %s: chat %s is unreachable: %s", message.id, message.chat_id, exc)
            await outbox.mark_unreachable(
                self.db, message_id=message.id, now=self.clock(), reason=exc.message
            )
            return Outcome.forbidden
        except BadRequest as exc:
            if target is None or not _not_modified(exc):
                return await self._failed(message, Outcome.bad_request, exc.message)
            telegram_id = target.telegram_message_id
        except NetworkError as exc:  # TimedOut, connection errors, 5xx
            status = await outbox.retry_later(
                self.db,
                message_id=message.id,
                now=self.clock(),
                detail=f"{type(exc).__name__}: {exc.message}",
                policy=self.policy.retry,
            )
            log.info("outbox %s: %s, now %s", message.id, exc.message, status)
            return Outcome.network
        except InvalidToken:
            raise  # the bot's problem, not the message's: stop the run, keep the message
        except TelegramError as exc:  # ChatMigrated and the like: nothing a retry fixes
            return await self._failed(message, Outcome.bad_request, exc.message)
        await outbox.mark_sent(
            self.db, message_id=message.id, now=self.clock(), telegram_message_id=telegram_id
        )
        return Outcome.sent

    async def _send_parts(self, bot: Bot, message: DueMessage, parts: list[Part]) -> int:
        """Send the parts not delivered by an earlier try; the last message id."""
        first = min(message.parts_sent, len(parts) - 1)
        telegram_id = 0
        for index in range(first, len(parts)):
            if index > first:  # the first part's turn was booked by the caller
                await self._wait_turn(message.chat_id)
            telegram_id = await send_part(bot, message.chat_id, parts[index])
            if index < len(parts) - 1:
                await outbox.record_part_sent(
                    self.db,
                    message_id=message.id,
                    now=self.clock(),
                    part=index + 1,
                    parts=len(parts),
                )
        return telegram_id

    async def _wait_turn(self, chat_id: int) -> None:
        """Book the chat's next turn and an overall slot, and sleep until then."""
        now = _monotonic()
        at = self.pacer.start_at(chat_id, now)
        self.pacer.book(chat_id, at)
        await asyncio.sleep(at - now)

    async def _failed(self, message: DueMessage, outcome: Outcome, reason: str) -> Outcome:
        """Record a message that can never be delivered as it is."""
        log.warning("outbox %s (%s) failed: %s", message.id, message.template, reason)
        await outbox.mark_failed(
            self.db, message_id=message.id, now=self.clock(), outcome=outcome, reason=reason
        )
        return outcome


def _monotonic() -> float:
    """The event loop's clock, which the pacer counts in."""
    return asyncio.get_running_loop().time()
