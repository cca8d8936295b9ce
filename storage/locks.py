"""Advisory locks: one process at a time for a job, on PostgreSQL; SQLite runs one process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func, select

from storage.db import Database

# Any constant bigints, one per job; "perfbot" in ASCII, then a number.
OUTBOX_DELIVERY = 0x7065_7266_626F_7401


@asynccontextmanager
async def try_advisory_lock(db: Database, key: int) -> AsyncIterator[bool]:
    """Whether this process holds lock `key` for the block (False: another one has it).

    The lock is transaction-scoped and the transaction stays open for the block, so it is
    released when the block ends, fails or loses its connection, and can never be left
    behind on a pooled connection. SQLite has no such locks and one process: always True.
    """
    if db.dialect != "postgresql":
        yield True
        return
    async with db.engine.connect() as connection, connection.begin():
        yield bool(await connection.scalar(select(func.pg_try_advisory_xact_lock(key))))
