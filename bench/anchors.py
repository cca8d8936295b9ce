"""The anchors every scale figure is compared with, and SQLite's two synchronous settings.

Printed: python-telegram-bot's bare update path, one SQLite commit in WAL with
synchronous=FULL (the project's setting) and with NORMAL, and one PostgreSQL commit. FULL
keeps a commit the bot has confirmed to someone across a power cut; NORMAL in WAL can lose
the last commits (never corrupts); the difference is printed so the choice stays measured.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from bench.common import commit_ms, measure_anchors, opened, sqlite_url
from storage import db as storage_db


def sqlite_commit_ms(synchronous: str) -> float:
    """One SQLite WAL commit with the given synchronous setting."""
    saved = storage_db.SQLITE_PRAGMAS["synchronous"]
    storage_db.SQLITE_PRAGMAS["synchronous"] = synchronous
    try:
        with sqlite_url() as url:

            async def go() -> float:
                async with opened(url) as db:
                    return await commit_ms(db, 500)

            return asyncio.run(go())
    finally:
        storage_db.SQLITE_PRAGMAS["synchronous"] = saved


def main(argv: Sequence[str] | None = None) -> int:
    """Print the anchors."""
    del argv
    print("anchors (this run, this machine)")
    print(measure_anchors().line())
    full, normal = sqlite_commit_ms("FULL"), sqlite_commit_ms("NORMAL")
    print(
        f"  SQLite WAL commit: synchronous=FULL {full:.2f} ms, NORMAL {normal:.2f} ms "
        f"(FULL costs {full - normal:+.2f} ms a commit; the project uses FULL)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
