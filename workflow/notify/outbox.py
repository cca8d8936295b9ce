"""The storage side of outbox delivery: claim due messages under a lease, record every try.

A claim does not set a 'sending' status: it pushes `next_attempt_at` into the future by a
lease. A deliverer that dies after claiming therefore strands nothing; its rows simply
become due again when the lease ends. Every outcome is written with a `DeliveryAttempt`,
and every status change is conditional on the row still being pending, so a late or
repeated report cannot undo a final state. Nothing here talks to Telegram (see
`bot.outbox.delivery`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import DeliveryAttempt, OutboxMessage, OutboxStatus, Person
from workflow.notify.edits import waits_for_its_original
from workflow.people import reachability

DEFAULT_LEASE = dt.timedelta(minutes=2)
_PENDING = OutboxStatus.pending.value


class Outcome(StrEnum):
    """What one try at delivering came to (`delivery_attempt.outcome`)."""

    sent = "sent"
    part_sent = "part_sent"  # one part of a long message; the rest follows
    retry_after = "retry_after"  # Telegram's flood control: "not now", costs no attempt
    network = "network"  # timeouts, connection errors, 5xx: retried with backoff
    forbidden = "forbidden"  # the person blocked the bot
    bad_request = "bad_request"  # Telegram refused the message itself: no retry
    render_error = "render_error"  # the template or a button label is broken: no retry


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff for transient failures, and when to give up."""

    max_attempts: int = 8
    first_delay: float = 5.0  # seconds before the second try
    max_delay: float = 600.0

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after the `attempts`-th failed try: doubling, capped."""
        seconds = self.first_delay * 2 ** max(attempts - 1, 0)
        return dt.timedelta(seconds=min(seconds, self.max_delay))


@dataclass(frozen=True, slots=True)
class DueMessage:
    """A claimed message with the chat it goes to; everything needed to render and send it."""

    id: int
    chat_id: int
    person_id: int | None
    template: str
    context: dict[str, Any]
    buttons: list[Any] | None
    document_name: str | None
    document: bytes | None
    attempts: int
    parts_sent: int  # parts of a long message already delivered by an earlier try
    edit_of_id: int | None = None  # an edit of what that row delivered (workflow.notify.edits)


def _recipient_chat() -> Any:
    """The chat a row goes to: the person's Telegram account, else the row's own chat."""
    return func.coalesce(Person.telegram_user_id, OutboxMessage.chat_id)


async def claim_due(
    db: Database,
    *,
    now: dt.datetime,
    limit: int,
    per_chat: int,
    lease: dt.timedelta = DEFAULT_LEASE,
    skip_chats: Collection[int] = (),
    owner: str | None = None,
) -> list[DueMessage]:
    """Lease up to `limit` due messages, at most `per_chat` per chat, fairest first.

    Rows are taken round-robin over chats (every chat's first due message before any
    chat's second), so one busy chat cannot hold back everyone else. Within a round the
    chats with most messages waiting come first: at one message per chat per turn they take
    longest to drain, and started last they would leave the end of a fan-out crawling at
    the per-chat rate. Messages whose person has no Telegram account yet, or blocked the
    bot, are left pending.
    """
    chat = _recipient_chat()
    rank = func.row_number().over(partition_by=chat, order_by=OutboxMessage.id)
    backlog = func.count().over(partition_by=chat)
    # A chat's messages go out in queue order: one is due only when every earlier pending
    # message to the same chat is due too (none backing off, none leased to a send).
    earliest_wait = func.max(OutboxMessage.next_attempt_at).over(
        partition_by=chat, order_by=OutboxMessage.id
    )
    due = (
        select(
            OutboxMessage.id.label("id"),
            rank.label("rank"),
            backlog.label("backlog"),
            earliest_wait.label("waits_until"),
        )
        .outerjoin(Person, Person.id == OutboxMessage.person_id)
        .where(
            OutboxMessage.status == _PENDING,
            chat.is_not(None),
            Person.unreachable_since.is_(None),
            ~waits_for_its_original(),
        )
    )
    if skip_chats:
        due = due.where(chat.not_in(list(skip_chats)))
    due = due.subquery()
    pick = (
        select(due.c.id)
        .where(due.c.rank <= per_chat, due.c.waits_until <= now)
        .order_by(due.c.rank, due.c.backlog.desc(), due.c.id)
    )
    async with db.transaction() as session:
        ids = list((await session.scalars(pick.limit(limit))).all())
        if not ids:
            return []
        # The condition repeats the due test: of two claimers racing for a row, only the
        # first one's UPDATE matches it.
        claimed = await session.scalars(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status == _PENDING,
                OutboxMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + lease, lease_owner=owner)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        return await _load(session, sorted(claimed.all(), key=ids.index))


async def _load(session: AsyncSession, ids: list[int]) -> list[DueMessage]:
    """The claimed rows with their chat and how many parts earlier tries delivered."""
    if not ids:
        return []
    rows = (
        await session.execute(
            select(OutboxMessage, _recipient_chat())
            .outerjoin(Person, Person.id == OutboxMessage.person_id)
            .where(OutboxMessage.id.in_(ids))
        )
    ).all()
    parts = dict(
        (
            await session.execute(
                select(DeliveryAttempt.outbox_message_id, func.count())
                .where(
                    DeliveryAttempt.outbox_message_id.in_(ids),
                    DeliveryAttempt.outcome == Outcome.part_sent.value,
                )
                .group_by(DeliveryAttempt.outbox_message_id)
            )
        ).all()
    )
    by_id = {
        message.id: DueMessage(
            id=message.id,
            chat_id=chat_id,
            person_id=message.person_id,
            template=message.template,
            context=dict(message.context or {}),
            buttons=message.buttons,
            document_name=message.document_name,
            document=message.document,
            attempts=message.attempts,
            parts_sent=parts.get(message.id, 0),
            edit_of_id=message.edit_of_id,
        )
        for message, chat_id in rows
    }
    return [by_id[message_id] for message_id in ids]


async def _settle(
    session: AsyncSession,
    *,
    message_id: int,
    now: dt.datetime,
    outcome: Outcome,
    detail: str | None,
    values: dict[str, Any],
) -> bool:
    """Change a still-pending row and record the try; False when it was no longer pending."""
    session.add(
        DeliveryAttempt(
            outbox_message_id=message_id, attempted_at=now, outcome=outcome.value, detail=detail
        )
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == _PENDING)
        .values(lease_owner=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def mark_sent(
    db: Database, *, message_id: int, now: dt.datetime, telegram_message_id: int | None
) -> bool:
    """The message (its last part) reached the chat."""
    async with db.transaction() as session:
        return await _settle(
            session,
            message_id=message_id,
            now=now,
            outcome=Outcome.sent,
            detail=None,
            values={
                "status": OutboxStatus.sent.value,
                "sent_at": now,
                "telegram_message_id": telegram_message_id,
                "attempts": OutboxMessage.attempts + 1,
                "last_error": None,
            },
        )


async def record_part_sent(
    db: Database, *, message_id: int, now: dt.datetime, part: int, parts: int
) -> None:
    """One part of a long message arrived; a later try resumes after it."""
    async with db.transaction() as session:
        session.add(
            DeliveryAttempt(
                outbox_message_id=message_id,
                attempted_at=now,
                outcome=Outcome.part_sent.value,
                detail=f"part {part}/{parts}",
            )
        )


async def postpone(
    db: Database, *, message_id: int, now: dt.datetime, until: dt.datetime, detail: str
) -> bool:
    """Telegram asked us to wait (RetryAfter): try again at `until`, no attempt spent."""
    async with db.transaction() as session:
        return await _settle(
            session,
            message_id=message_id,
            now=now,
            outcome=Outcome.retry_after,
            detail=detail,
            values={"next_attempt_at": until, "last_error": detail},
        )


async def retry_later(
    db: Database,
    *,
    message_id: int,
    now: dt.datetime,
    detail: str,
    policy: RetryPolicy,
    outcome: Outcome = Outcome.network,
) -> str:
    """A transient failure: back off exponentially, or give up after the last attempt.

    Returns the row's status afterwards (`pending` or `failed`).
    """
    async with db.transaction() as session:
        attempts = await session.scalar(
            select(OutboxMessage.attempts).where(OutboxMessage.id == message_id)
        )
        attempts = (attempts or 0) + 1
        if attempts >= policy.max_attempts:
            status = OutboxStatus.failed.value
            values = {
                "status": status,
                "attempts": attempts,
                "last_error": f"gave up after {attempts} attempts: {detail}",
            }
        else:
            status = _PENDING
            values = {
                "attempts": attempts,
                "next_attempt_at": now + policy.delay(attempts),
                "last_error": detail,
            }
        await _settle(
            session, message_id=message_id, now=now, outcome=outcome, detail=detail, values=values
        )
        return status


async def mark_failed(
    db: Database, *, message_id: int, now: dt.datetime, outcome: Outcome, reason: str
) -> bool:
    """The message itself is wrong (Telegram refused it, or it cannot be rendered)."""
    async with db.transaction() as session:
        return await _settle(
            session,
            message_id=message_id,
            now=now,
            outcome=outcome,
            detail=reason,
            values={
                "status": OutboxStatus.failed.value,
                "attempts": OutboxMessage.attempts + 1,
                "last_error": reason,
            },
        )


async def mark_unreachable(db: Database, *, message_id: int, now: dt.datetime, reason: str) -> bool:
    """Forbidden: the person blocked the bot. Returns True when the admins were told.

    The row is `unreachable`; the person is marked unreachable (`workflow.people.reachability`),
    and their other pending messages wait, unclaimed, until they are reachable again.
    """
    async with db.transaction() as session:
        await _settle(
            session,
            message_id=message_id,
            now=now,
            outcome=Outcome.forbidden,
            detail=reason,
            values={
                "status": OutboxStatus.unreachable.value,
                "attempts": OutboxMessage.attempts + 1,
                "last_error": reason,
            },
        )
        person_id = await session.scalar(
            select(OutboxMessage.person_id).where(OutboxMessage.id == message_id)
        )
        if person_id is None:
            return False
        return await reachability.mark_unreachable(
            session, person_id=person_id, now=now, reason=reason
        )


async def release(db: Database, *, message_ids: Iterable[int], due_at: dt.datetime) -> None:
    """Give claimed, unsent messages back: due again at `due_at` instead of the lease end."""
    ids = list(message_ids)
    if not ids:
        return
    async with db.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == _PENDING)
            .values(next_attempt_at=due_at, lease_owner=None)
            .execution_options(synchronize_session=False)
        )


async def reclaim_leases(db: Database, *, owner: str, now: dt.datetime) -> int:
    """Messages `owner` leased before a crash are due again now (not at the lease's end).

    Only a deliverer holding the delivery lock calls this: no run of its own is sending,
    so a lease still carrying its name was left by a process that died.
    """
    async with db.transaction() as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == _PENDING,
                OutboxMessage.lease_owner == owner,
                OutboxMessage.next_attempt_at > now,
            )
            .values(next_attempt_at=now, lease_owner=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)


async def status_counts(db: Database) -> dict[str, int]:
    """How many outbox messages are in each status."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {status: count for status, count in rows.all()}
