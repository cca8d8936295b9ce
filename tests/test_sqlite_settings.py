"""A fresh SQLite database runs in WAL with durable commits and waits for another writer."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from storage import migrate
from storage.db import Database
from storage.models import BudgetYear


async def _pragma(db: Database, name: str) -> object:
    async with db.engine.connect() as connection:
        return (await connection.execute(text(f"PRAGMA {name}"))).scalar_one()


async def test_a_fresh_sqlite_file_gets_wal_full_sync_foreign_keys_and_busy_timeout(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert await _pragma(db, "journal_mode") == "wal"
        assert await _pragma(db, "synchronous") == 2  # FULL
        assert await _pragma(db, "foreign_keys") == 1
        assert await _pragma(db, "busy_timeout") == 5000
    finally:
        await db.dispose()
    assert (tmp_path / "fresh.db").exists()


async def test_two_processes_write_the_same_sqlite_file_together(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    bot, cli = Database(url), Database(url)
    try:

        async def write(db: Database, years: range) -> None:
            for year in years:
                async with db.transaction() as session:
                    session.add(BudgetYear(year=year))

        # Interleaved writers: without a busy timeout one of them fails with "database is locked".
        await asyncio.gather(write(bot, range(2000, 2040)), write(cli, range(2100, 2140)))
        async with bot.engine.connect() as connection:
            count = (await connection.execute(text("SELECT count(*) FROM budget_year"))).scalar()
        assert count == 80
    finally:
        await bot.dispose()
        await cli.dispose()
