"""The database as the command line opens it: refuse with a sentence when it is not usable."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.cli.text import cli_text
from bot.config import Settings
from storage import migrate
from storage.db import Database

T = TypeVar("T")


async def schema_problem(db: Database) -> str | None:
    """A sentence when the database is unreachable or not at the newest revision."""
    try:
        current = await migrate.database_revision(db.engine)
    except (OSError, OperationalError, DBAPIError) as exc:
        return cli_text("db_unreachable", url=db.engine.url.render_as_string(), detail=exc)
    if current != migrate.head():
        return cli_text("schema_outdated", current=current or "空", head=migrate.head())
    return None


def run_with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T | str:
    """Run `work` on the configured database, or return a sentence saying why it cannot."""

    async def main() -> T | str:
        db = Database(settings.database_url, **settings.database_options())
        try:
            return await schema_problem(db) or await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())
