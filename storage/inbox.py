"""The update inbox's storage: keep updates, claim one inside the first write, finish it.

An update is claimed by the first transaction that writes while it is being handled
(`Database.transaction` calls `claim` when `handling` names an update): the claim is one
conditional UPDATE in that same transaction, so the handler's writes and the mark that the
update was applied commit together or not at all. A second delivery of the same update
finds the mark and is refused (`DuplicateUpdate`) before it writes anything.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.intake import InboxUpdate
from storage.types import utcnow

if TYPE_CHECKING:
    from storage.db import Database


class DuplicateUpdate(Exception):
    """This update was already applied (by this process before a crash, or a redelivery)."""


@dataclass
class Handling:
    """The update whose handler is running in this task, and whether it is claimed yet."""

    update_id: int
    claimed: bool = False
    paused: bool = False  # a side write (e.g. marking someone reachable) claims nothing


_HANDLING: contextvars.ContextVar[Handling | None] = contextvars.ContextVar(
    "perfbot_handling", default=None
)


@contextmanager
def handling(update_id: int) -> Iterator[Handling]:
    """Mark the code inside as handling one stored update (its writes claim it)."""
    state = Handling(update_id)
    token = _HANDLING.set(state)
    try:
        yield state
    finally:
        _HANDLING.reset(token)


def current_handling() -> Handling | None:
    """The update being handled in this task, if any."""
    return _HANDLING.get()


@contextmanager
def side_write() -> Iterator[None]:
    """Writes inside are incidental to the update (not its answer): they do not claim it."""
    state = _HANDLING.get()
    if state is None or state.paused:
        yield
        return
    state.paused = True
    try:
        yield
    finally:
        state.paused = False


async def claim(session: AsyncSession) -> Handling | None:
    """Inside a write transaction: mark the update being handled as applied, once.

    Returns the state to flag as claimed after the commit (None when there is nothing to
    claim); raises DuplicateUpdate when an earlier handling already claimed it.
    """
    state = _HANDLING.get()
    if state is None or state.claimed or state.paused:
        return None
    result = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == state.update_id, InboxUpdate.handled_at.is_(None))
        .values(handled_at=utcnow())
    )
    if result.rowcount != 1:
        raise DuplicateUpdate(state.update_id)
    return state


def _ids(payload: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The chat and the person of a raw update (for ordering and the flood limit)."""
    for value in payload.values():
        if not isinstance(value, dict):
            continue
        chat = value.get("chat") or (value.get("message") or {}).get("chat") or {}
        user = value.get("from") or {}
        return chat.get("id") or user.get("id"), user.get("id")
    return None, None


async def store(db: Database, payloads: Iterable[Mapping[str, Any]]) -> set[int]:
    """Keep updates not kept yet; the ids stored now (the others were already there)."""
    rows = []
    for payload in payloads:
        chat_id, user_id = _ids(payload)
        rows.append(
            {
                "update_id": int(payload["update_id"]),
                "chat_id": chat_id,
                "user_id": user_id,
                "payload": dict(payload),
                "received_at": utcnow(),
            }
        )
    if not rows:
        return set()
    insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
    statement = (
        insert(InboxUpdate)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(InboxUpdate.update_id)
    )
    async with db.writer(), db.sessions() as session, session.begin():
        return set((await session.scalars(statement)).all())


@dataclass(frozen=True)
class Stored:
    """What the inbox knows of one update."""

    update_id: int
    handled: bool
    finished: bool


async def look_up(db: Database, update_id: int) -> Stored | None:
    """The inbox's row for an update, None when it was never stored."""
    async with db.sessions() as session:
        row = (
            await session.execute(
                select(InboxUpdate.handled_at, InboxUpdate.finished_at).where(
                    InboxUpdate.update_id == update_id
                )
            )
        ).first()
    if row is None:
        return None
    return Stored(update_id, row.handled_at is not None, row.finished_at is not None)


async def finish(db: Database, update_id: int) -> None:
    """The update's handling ended: remember that, and forget what the person typed."""
    async with db.writer(), db.sessions() as session, session.begin():
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id == update_id)
            .values(finished_at=utcnow(), payload=None)
        )


async def unfinished(db: Database) -> list[dict[str, Any]]:
    """Payloads of updates stored but not finished (a crash interrupted them), oldest first."""
    async with db.sessions() as session:
        rows = await session.scalars(
            select(InboxUpdate.payload)
            .where(InboxUpdate.finished_at.is_(None), InboxUpdate.payload.is_not(None))
            .order_by(InboxUpdate.update_id)
        )
        return [dict(payload) for payload in rows.all()]


async def purge(db: Database, *, before: dt.datetime) -> int:
    """Forget finished updates older than `before` (Telegram redelivers within a day)."""
    async with db.writer(), db.sessions() as session, session.begin():
        result = await session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.finished_at.is_not(None), InboxUpdate.finished_at < before
            )
        )
        return int(result.rowcount or 0)
