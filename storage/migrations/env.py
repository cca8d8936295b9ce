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


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


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
