"""Alembic, driven from code: `perfbot db upgrade` and the tests use this."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:  # Alembic (with Mako and Pygments) is imported only to migrate: the
    from alembic.config import Config  # bot's start-up reads the revision with plain SQL.

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, *, output: io.TextIOBase | None = None) -> Config:
    """An Alembic Config for `url` that does not depend on the working directory."""
    from alembic.config import Config

    config = Config(stdout=output) if output is not None else Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["from_code"] = True
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the database at `url` to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Downgrade the database at `url` to `revision`."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str:
    """The revision the database is at, as Alembic prints it."""
    from alembic import command

    buffer = io.StringIO()
    command.current(alembic_config(url, output=buffer))
    return buffer.getvalue().strip()


def check(url: str) -> None:
    """Raise if the models and the migrations disagree (alembic check)."""
    from alembic import command

    command.check(alembic_config(url))


_REVISION = re.compile(r"^(revision|down_revision)\b[^=]*=\s*['\"]?([\w-]+)", re.MULTILINE)


def head() -> str:
    """The newest revision the code knows: the one no migration file names as its parent.

    Read from the files' `revision` and `down_revision` lines, which is what the bot's
    start-up needs; Alembic's own reading (below) when that is ambiguous.
    """
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision"))
    heads = revisions - parents
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


async def database_revision(engine: AsyncEngine) -> str | None:
    """The revision stamped in the database, or None for an empty one."""
    async with engine.connect() as connection:
        try:
            return await connection.scalar(text("SELECT version_num FROM alembic_version"))
        except (OperationalError, ProgrammingError, DBAPIError) as exc:
            if "alembic_version" in str(exc):  # no such table: nothing migrated yet
                return None
            raise
