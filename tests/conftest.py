"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from telegram import Bot

from storage.db import Database
from storage.migrate import alembic_config
from storage.models import metadata

POSTGRES_URL = os.environ.get(
    "PERFBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")
T = TypeVar("T")


def run_blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even when a loop is running here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _upgrade_on(connection: Connection) -> None:
    config = alembic_config(str(connection.engine.url))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def _migrate_postgres_schema(schema: str) -> None:
    db = Database(POSTGRES_URL)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            await connection.execute(text(f'SET search_path TO "{schema}"'))
            await connection.run_sync(_upgrade_on)
    finally:
        await db.dispose()


async def _drop_postgres_schema(schema: str) -> None:
    db = Database(POSTGRES_URL)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A schema of our own in the shared test database, migrated once per test session.

    A private schema lets several test runs share one PostgreSQL without seeing each other.
    """
    schema = f"perfbot_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        run_blocking(_migrate_postgres_schema(schema))
    except OSError as exc:
        pytest.exit(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc}); start it or set "
            "PERFBOT_TEST_POSTGRES_URL. Storage tests run on both databases.",
            returncode=3,
        )
    yield schema
    run_blocking(_drop_postgres_schema(schema))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"

    async def migrate() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            async with db.engine.begin() as connection:
                await connection.run_sync(_upgrade_on)
        finally:
            await db.dispose()

    run_blocking(migrate())
    return path


async def _truncate_postgres(db: Database) -> None:
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    async with db.engine.begin() as connection:
        # TRUNCATE skips the audit log's row triggers, which refuse DELETE by design.
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _in_schema(schema: str) -> Database:
    """The shared PostgreSQL test database, seen through our private schema."""
    return Database(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty, migrated database of each kind, private to the test."""
    if request.param == "sqlite":
        path = tmp_path / "perfbot.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        db = Database(f"sqlite+aiosqlite:///{path}")
    else:
        schema = request.getfixturevalue("postgres_schema")
        db = _in_schema(schema)
        await _truncate_postgres(db)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def second_process(
    database: Database, request: pytest.FixtureRequest
) -> AsyncIterator[Database]:
    """What a second bot process would have: its own connection pool to the same database."""
    if database.dialect == "sqlite":
        other = Database(database.url)
    else:
        schema = request.getfixturevalue("postgres_schema")
        other = _in_schema(schema)
    try:
        yield other
    finally:
        await other.dispose()


@pytest.fixture
async def bot(sandbox: Any) -> AsyncIterator[Bot]:
    """A PTB Bot pointed at the test module's Bot API sandbox (`sandbox` fixture)."""
    client = Bot(sandbox.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)
    async with client:
        yield client
