"""Alembic environment: async engines, batch mode on SQLite, the models' metadata."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

import storage.models  # noqa: F401  registers every table
from storage.db import create_engine
from storage.models import metadata

config = context.config


def _url() -> str:
    """The URL set in code wins; plain `alembic` from the shell reads DATABASE_URL."""
    if config.attributes.get("from_code"):
        return config.get_main_option("sqlalchemy.url")
    return os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")


def _foreign_keys(connection: Connection, state: str, *, commit: bool) -> None:
    """Switch SQLite's foreign keys (a no-op inside a transaction: call it outside one)."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={state}")
    if commit:
        connection.commit()


def _configure(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    own = not connection.in_transaction()
    if sqlite:
        # Batch mode copies a table, drops the old one and renames the copy. With foreign
        # keys enforced, SQLite's DROP TABLE first deletes every row and cascades the
        # deletes to the child tables (a goal version's indicators, its timeline…).
        _foreign_keys(connection, "OFF", commit=own)
    try:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=sqlite,
            compare_type=True,
            compare_server_default=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            _foreign_keys(connection, "ON", commit=own)


async def _run_online() -> None:
    engine = create_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure)
    finally:
        await engine.dispose()


def _run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_run_online())
        return
    raise RuntimeError("run migrations from a thread without an event loop (asyncio.to_thread)")


if context.is_offline_mode():
    context.configure(
        url=_url(),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    _run()
