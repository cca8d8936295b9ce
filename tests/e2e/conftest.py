"""End-to-end fixtures: a sandbox in the test process and the real bot as a subprocess.

Use `bot` for a running bot on a fresh SQLite database; `bot_factory` to choose the
database or the environment; `sandbox` to add users, inject faults and inspect calls;
`e2e_db` to look into (or prepare) the bot's database from the test.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from tests.conftest import BACKENDS, POSTGRES_URL, _in_schema, _truncate_postgres

pytestmark = pytest.mark.e2e

BotFactory = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiSandbox]:
    """A fresh Bot API sandbox on an ephemeral port."""
    async with BotApiSandbox() as server:
        yield server


@pytest.fixture
def e2e_database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite file for the bot process."""
    path = tmp_path / "bot.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def e2e_db(e2e_database_url: str) -> AsyncIterator[Database]:
    """The bot's database, opened from the test (to prepare data or check what was kept)."""
    db = Database(e2e_database_url)
    yield db
    await db.dispose()


@pytest.fixture
async def bot_factory(
    sandbox: BotApiSandbox, tmp_path: Path, e2e_database_url: str
) -> AsyncIterator[BotFactory]:
    """Start bot processes (stopped and their logs shown on failure at the end)."""
    processes: list[BotProcess] = []

    async def start(*, database_url: str | None = None, **extra_env: str) -> BotProcess:
        process = BotProcess(
            sandbox,
            database_url=database_url or e2e_database_url,
            workdir=tmp_path / f"bot{len(processes)}",
            extra_env=extra_env,
        )
        processes.append(process)
        await process.start()
        return process

    yield start
    for process in processes:
        await process.stop()


@pytest.fixture
async def bot(bot_factory: BotFactory) -> BotProcess:
    """The bot, running against the sandbox on a fresh database."""
    return await bot_factory()


WEBHOOK_SECRET = "e2e_webhook-secret"


@pytest.fixture
def webhook_env() -> dict[str, str]:
    """The settings of webhook mode on a free port of this machine (plain HTTP: the sandbox
    stands in for Telegram and the reverse proxy that ends TLS)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


@dataclass
class Backend:
    """A database for the bot process: its URL, the environment it needs, our own handle."""

    name: str
    url: str
    env: dict[str, str]
    db: Database


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, e2e_database_url: str) -> AsyncIterator[Backend]:
    """The bot's database on SQLite and on PostgreSQL (our schema, emptied first)."""
    if request.param == "sqlite":
        db = Database(e2e_database_url)
        backend = Backend("sqlite", e2e_database_url, {}, db)
    else:
        schema = request.getfixturevalue("postgres_schema")
        db = _in_schema(schema)
        await _truncate_postgres(db)
        backend = Backend("postgresql", POSTGRES_URL, {"DATABASE_SCHEMA": schema}, db)
    yield backend
    await db.dispose()
