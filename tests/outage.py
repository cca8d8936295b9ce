"""A database the test can take away from the bot: PostgreSQL behind a TCP relay the test cuts,
SQLite with its file locked by another writer."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

from storage.db import Database


@dataclass
class TcpRelay:
    """Forwards 127.0.0.1:port to a target; `cut` refuses new connections and drops the rest."""

    target_host: str
    target_port: int
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> None:
        """Listen (on the same port again after a cut)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """The database is gone: connections refused, open ones reset."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            target_reader, target_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, target_writer}
        await asyncio.gather(
            _pipe(reader, target_writer), _pipe(target_reader, writer), return_exceptions=True
        )
        self._writers -= {writer, target_writer}


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.transport.abort()


@dataclass
class Outage:
    """The bot's own handle on the database, and a way to make that database unavailable."""

    db: Database
    relay: TcpRelay | None = None

    @contextlib.asynccontextmanager
    async def down(self) -> AsyncIterator[None]:
        """Inside, the bot cannot write: PostgreSQL unreachable, or the SQLite file locked."""
        if self.relay is not None:
            await self.relay.cut()
            try:
                yield
            finally:
                await self.relay.start()
            return
        connection = sqlite3.connect(make_url(self.db.url).database, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            connection.rollback()
            connection.close()

    async def close(self) -> None:
        """Dispose of the pool and stop relaying."""
        await self.db.dispose()
        if self.relay is not None:
            await self.relay.cut()


async def outage_for(database: Database, schema: str | None) -> Outage:
    """A second handle on `database` for the bot, that an Outage can take away."""
    if database.dialect == "sqlite":
        # A short busy timeout: a locked file fails a write in a moment instead of 5 s.
        return Outage(Database(database.url, sqlite_busy_timeout_ms=200))
    url = make_url(database.url)
    relay = TcpRelay(url.host or "127.0.0.1", url.port or 5432)
    await relay.start()
    relayed = url.set(host="127.0.0.1", port=relay.port)
    options = {"server_settings": {"search_path": schema}} if schema else {}
    db = Database(relayed.render_as_string(hide_password=False), connect_args=options)
    return Outage(db, relay)
