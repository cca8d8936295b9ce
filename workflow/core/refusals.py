"""Refused actions go to the audit log even though the caller's transaction rolls back.

`workflow.core.access.authorize` calls `record_refusal`; nothing else needs to.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from workflow.core import audit

log = logging.getLogger(__name__)
_pending: set[asyncio.Task[None]] = set()


async def record_refusal(
    session: AsyncSession,
    *,
    action: str,
    actor_id: int | None,
    object_type: str | None,
    object_id: int | None,
    organisation_id: int | None,
) -> None:
    """Audit a refusal in a transaction of its own, beside the caller's.

    SQLite lets one connection write at a time: when the caller has already written, the
    entry is written as soon as the caller's transaction ends (`settle_refusals` waits).
    """
    write = _write(
        session.bind,
        action=action,
        actor_id=actor_id,
        object_type=object_type,
        object_id=object_id,
        allowed=False,
        detail={"organisation_id": organisation_id},
    )
    if await _caller_holds_sqlite_write_lock(session):
        task = asyncio.create_task(write)
        _pending.add(task)
        task.add_done_callback(_written)
    else:
        await write


async def settle_refusals() -> None:
    """Wait until every refusal still being written is in the audit log."""
    while _pending:
        await asyncio.gather(*_pending, return_exceptions=True)


async def _write(bind: Any, **fields: Any) -> None:
    async with AsyncSession(bind) as separate, separate.begin():
        audit.record(separate, **fields)


def _written(task: asyncio.Task[None]) -> None:
    _pending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("could not audit a refused action", exc_info=task.exception())


async def _caller_holds_sqlite_write_lock(session: AsyncSession) -> bool:
    """Whether the caller's SQLite connection has begun writing (PostgreSQL: never matters)."""
    if session.bind is None or session.bind.dialect.name != "sqlite":
        return False
    if not session.in_transaction():
        return False
    raw = await (await session.connection()).get_raw_connection()
    return bool(raw.driver_connection.in_transaction)
