"""What the scale benchmarks share: databases to run on, a bulk-built province, the anchors.

Every figure is printed beside an anchor measured in the same run on the same machine, and
the ratio between them, so a reader on another machine (or under other load) can tell a
regression from a busy box:

- `ptb`: python-telegram-bot's bare path, an update parsed from JSON and
  `Application.process_update` to one no-op handler: the least any answer costs;
- `sqlite_commit`: one single-row INSERT and COMMIT in WAL with the project's synchronous
  setting (FULL), through the same async engine the bot uses;
- `postgres_commit`: the same on PostgreSQL through asyncpg.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import resource
import secrets
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, make_url, text

from storage import migrate
from storage.db import Database
from storage.models import BudgetYear, Organisation, Person, Project, RoleAssignment

DEFAULT_POSTGRES = os.environ.get(
    "PERFBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
ROWS_PER_INSERT = 2000
CREATED = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)


# --- databases ----------------------------------------------------------------------------


async def _on_server(url: str, statement: str) -> None:
    database = Database(url, isolation_level="AUTOCOMMIT")
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await database.dispose()


@contextmanager
def sqlite_url() -> Iterator[str]:
    """A migrated SQLite file of its own."""
    with tempfile.TemporaryDirectory(prefix="perfbot-bench-") as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        migrate.upgrade(url)
        yield url


@contextmanager
def postgres_url(server: str = DEFAULT_POSTGRES) -> Iterator[str | None]:
    """A migrated temporary database on the server; None when it cannot be reached."""
    name = f"perfbot_bench_{secrets.token_hex(4)}"
    try:
        asyncio.run(_on_server(server, f'CREATE DATABASE "{name}"'))
    except OSError:
        yield None
        return
    try:
        url = make_url(server).set(database=name).render_as_string(False)
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(_on_server(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[Database]:
    """A Database on `url`, disposed afterwards."""
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()


class StatementCounter:
    """Counts the statements an engine sends."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1


# --- a province, built with bulk inserts --------------------------------------------------


@dataclass(frozen=True)
class Province:
    """What was built: the departments and one staff member each, and the projects."""

    departments: list[int]
    staff: list[int]
    projects: int


async def _rows(db: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    async with db.transaction() as session:
        for start in range(0, len(rows), ROWS_PER_INSERT):
            await session.execute(insert(table), rows[start : start + ROWS_PER_INSERT])


async def build_province(
    db: Database, *, departments: int, projects: int, year: int = 2026, issued: bool = True
) -> Province:
    """A business section, `departments` departments with one staff member each, and
    `projects` projects of `year` spread over them."""
    await _rows(db, Organisation, [{"code": "S1", "name": "业务科", "kind": "business_section"}])
    await _rows(
        db,
        Organisation,
        [
            {"code": f"D{n:05d}", "name": f"部门{n}", "kind": "department", "section_id": 1}
            for n in range(departments)
        ],
    )
    department_ids = list(range(2, departments + 2))
    await _rows(db, Person, [{"name": f"经办{n}"} for n in range(departments)])
    staff = list(range(1, departments + 1))
    await _rows(
        db,
        RoleAssignment,
        [
            {"person_id": person, "role": "staff", "organisation_id": org}
            for person, org in zip(staff, department_ids, strict=True)
        ],
    )
    await _rows(db, BudgetYear, [{"year": year, "issued_at": CREATED if issued else None}])
    status = "issued" if issued else "draft"
    await _rows(
        db,
        Project,
        [
            {
                "year": year,
                "organisation_id": department_ids[n % departments],
                "name": f"项目{n}",
                "status": status,
            }
            for n in range(projects)
        ],
    )
    return Province(department_ids, staff, projects)


# --- anchors ------------------------------------------------------------------------------


def ptb_process_update_ms(updates: int = 3000) -> float:
    """Median ms of python-telegram-bot's bare path: an update parsed from Telegram's JSON
    and `process_update` to one no-op handler."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    async def nothing(_update: Any, _context: Any) -> None:
        return None

    async def go() -> float:
        app = ApplicationBuilder().token("1:bench").updater(None).build()
        app.add_handler(MessageHandler(filters.TEXT, nothing))
        # initialize() would ask Telegram who the bot is; dispatching needs no answer.
        app._initialized = True
        times = []
        for number in range(updates):
            payload = {
                "update_id": number,
                "message": {
                    "message_id": number,
                    "date": 1767225600,
                    "chat": {"id": 1, "type": "private"},
                    "from": {"id": 1, "is_bot": False, "first_name": "王"},
                    "text": "120",
                },
            }
            started = time.perf_counter()
            await app.process_update(Update.de_json(payload, app.bot))
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    return asyncio.run(go())


async def commit_ms(db: Database, commits: int = 300) -> float:
    """Median ms of one single-row INSERT and COMMIT."""
    async with db.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS bench_anchor (n integer)"))
    times = []
    for number in range(commits):
        started = time.perf_counter()
        async with db.engine.begin() as connection:
            await connection.execute(text("INSERT INTO bench_anchor VALUES (:n)"), {"n": number})
        times.append(time.perf_counter() - started)
    async with db.engine.begin() as connection:
        await connection.execute(text("DROP TABLE bench_anchor"))
    return statistics.median(times) * 1000


def database_commit_ms(url: str) -> float:
    """`commit_ms` on a fresh engine for `url`."""

    async def go() -> float:
        async with opened(url) as db:
            return await commit_ms(db)

    return asyncio.run(go())


@dataclass(frozen=True)
class Anchors:
    """The anchors of one run, in ms."""

    ptb: float
    sqlite_commit: float
    postgres_commit: float | None

    def line(self) -> str:
        postgres = f"{self.postgres_commit:.2f} ms" if self.postgres_commit else "unreachable"
        return (
            f"  anchors    PTB process_update {self.ptb:.3f} ms; SQLite commit "
            f"{self.sqlite_commit:.2f} ms; PostgreSQL commit {postgres}"
        )


def measure_anchors() -> Anchors:
    """The three anchors, measured now."""
    ptb = ptb_process_update_ms()
    with sqlite_url() as url:
        sqlite = database_commit_ms(url)
    with postgres_url() as url:
        postgres = database_commit_ms(url) if url else None
    return Anchors(ptb, sqlite, postgres)


def ratio(value: float, anchor: float | None) -> str:
    """`value` as a multiple of `anchor`, e.g. "×12"."""
    return f"×{value / anchor:,.0f}" if anchor else "×?"


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
