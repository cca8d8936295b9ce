"""Async engine and sessions; SQLite gets WAL, foreign keys and a busy timeout per connection."""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import inbox

# WAL lets readers go on while one process writes (the CLI beside the running bot) and makes
# a commit one append instead of a rollback journal's two syncs. FULL keeps every commit the
# bot has confirmed to a person across a power cut; bench/anchors.py measures it against
# NORMAL (WAL's crash-safe but not durable setting) on the same disk.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "FULL",
    "foreign_keys": "ON",
    # A writer waits this long for another process's write lock instead of failing at once.
    # Writers of this process queue in `Database` instead (no timeout, first come first served).
    "busy_timeout": "5000",
}

# The write units this task holds the writer for: (database, task) pairs. A child task copies
# the context but is another task, so it queues like anyone else.
_WRITER_HELD: contextvars.ContextVar[tuple[tuple[int, object], ...]] = contextvars.ContextVar(
    "perfbot_writer_held", default=()
)


def _on_sqlite_connect(
    dbapi_connection: Any, _record: Any, pragmas: dict[str, str] = SQLITE_PRAGMAS
) -> None:
    """SQLite keeps these settings per connection (the journal mode per file)."""
    cursor = dbapi_connection.cursor()
    for name, value in pragmas.items():
        cursor.execute(f"PRAGMA {name}={value}")
    cursor.close()


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder of a SQLite file so a fresh checkout just works."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, *, sqlite_busy_timeout_ms: int = 5000, **kwargs: Any) -> AsyncEngine:
    """An AsyncEngine for SQLite (aiosqlite) or PostgreSQL (asyncpg)."""
    ensure_sqlite_directory(url)
    # A pooled PostgreSQL connection may have been dropped (a restart, a failover): it is
    # checked before use. A SQLite file cannot drop, and the check would cost a round trip
    # through aiosqlite's thread on every unit of work.
    kwargs.setdefault("pool_pre_ping", make_url(url).get_backend_name() != "sqlite")
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        pragmas = SQLITE_PRAGMAS | {"busy_timeout": str(sqlite_busy_timeout_ms)}
        event.listen(engine.sync_engine, "connect", partial(_on_sqlite_connect, pragmas=pragmas))
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no lazy refresh under async)."""
    return async_sessionmaker(engine, expire_on_commit=False)


class Database:
    """The engine and its session factory, created once per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessions = session_factory(self.engine)
        # One writer lock per event loop (tests run several loops over one Database).
        self._writer_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._writer_locks = weakref.WeakKeyDictionary()

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on any error.

        While a stored Telegram update is being handled, its first unit of work also marks
        the update applied (storage.inbox.claim), so the two commit together.
        """
        async with self.writer(), self.sessions() as session, session.begin():
            claimed = await inbox.claim(session)
            yield session
        if claimed is not None:
            claimed.claimed = True

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[None]:
        """On SQLite, this process's write units one at a time, in the order they asked.

        SQLite has one writer per file. Left to its busy timeout, sixteen chats writing at
        once poll for the lock, the unlucky ones past the timeout fail with "database is
        locked", and a person's answer is lost; queued here they only wait their turn. The
        busy timeout still covers another process (the CLI beside the bot). A unit opened
        inside another one by the same task goes straight on (it would wait for itself).
        """
        if self.dialect != "sqlite":
            yield
            return
        me = (id(self), asyncio.current_task())
        held = _WRITER_HELD.get()
        if me in held:
            yield
            return
        loop = asyncio.get_running_loop()
        lock = self._writer_locks.get(loop)
        if lock is None:
            lock = self._writer_locks[loop] = asyncio.Lock()
        async with lock:
            token = _WRITER_HELD.set((*held, me))
            try:
                yield
            finally:
                _WRITER_HELD.reset(token)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
