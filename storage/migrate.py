"""Alembic, driven from code: `perfbot db upgrade` and the tests use this."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, *, output: io.TextIOBase | None = None) -> Config:
    """An Alembic Config for `url` that does not depend on the working directory."""
    config = Config(stdout=output) if output is not None else Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["from_code"] = True
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the database at `url` to `revision`."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Downgrade the database at `url` to `revision`."""
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str:
    """The revision the database is at, as Alembic prints it."""
    buffer = io.StringIO()
    command.current(alembic_config(url, output=buffer))
    return buffer.getvalue().strip()


def check(url: str) -> None:
    """Raise if the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(url))


def head() -> str:
    """The newest revision the code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


async def database_revision(engine: AsyncEngine) -> str | None:
    """The revision stamped in the database, or None for an empty one."""

    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_read)
