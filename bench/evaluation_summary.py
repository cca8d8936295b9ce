"""Evaluation summary benchmark: finance's /evalsummary for a province-sized year.

Fills a fresh SQLite file (or the migrated, empty database given with `--database-url`)
with N issued projects, each with its goal version and a scored self-evaluation, then writes
the summary exactly as the bot does (`workflow.results.summary` streamed into
`bot.documents.evaluation_summary`). Printed: seconds, and the peak Python memory of the
export measured with tracemalloc at N/10 and at N projects. Targets: 100,000 projects in
under 120 s, and the peak at N no more than twice the peak at N/10 (memory does not grow
with the year).

Run it with `python -m bench.evaluation_summary [--database-url URL] [--projects N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from bot.documents.evaluation_summary import write_summary
from storage import migrate
from storage.db import Database
from storage.models import BudgetYear, GoalVersion, Organisation, Project, SelfEvaluation
from workflow.core.access import Actor
from workflow.results.summary import summary_lines

TARGET_SECONDS = 120.0
FINANCE = Actor(person_id=None, name="bench", roles=frozenset({("performance", 1)}))


async def fill(db: Database, projects: int, year: int, offset: int) -> None:
    """`projects` issued projects of `year` (ids after `offset`), each evaluated."""
    async with db.transaction() as session:
        if offset == 0:
            organisation = {"id": 1, "code": "D0001", "name": "部门", "kind": "department"}
            await session.execute(insert(Organisation), [organisation])
        await session.execute(insert(BudgetYear), [{"year": year}])
        for start in range(0, projects, 5000):
            ids = range(offset + start + 1, offset + min(start + 5000, projects) + 1)
            await session.execute(
                insert(Project),
                [
                    {
                        "id": i,
                        "year": year,
                        "name": f"项目{i}",
                        "organisation_id": 1,
                        "status": "issued",
                    }
                    for i in ids
                ],
            )
            await session.execute(
                insert(GoalVersion),
                [
                    {"id": i, "project_id": i, "status": "issued", "annual_amount": Decimal(120)}
                    for i in ids
                ],
            )
            await session.execute(
                insert(SelfEvaluation),
                [
                    {
                        "project_id": i,
                        "goal_version_id": i,
                        "status": "accepted",
                        "total_score": Decimal("83.30"),
                        "grade": "良",
                    }
                    for i in ids
                ],
            )


async def export(db: Database, year: int, path: Path) -> tuple[float, int, int]:
    """Seconds, projects written and peak traced bytes of one export."""
    tracemalloc.start()
    started = time.perf_counter()
    count = await write_summary(summary_lines(db, actor=FINANCE, year=year), path)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, count, peak


async def measure(url: str, projects: int, scratch: Path) -> list[tuple[float, int, int]]:
    db = Database(url)
    try:
        await fill(db, projects // 10, 2025, 0)
        await fill(db, projects, 2026, 10_000_000)
        return [
            await export(db, 2025, scratch / "small.xlsx"),
            await export(db, 2026, scratch / "large.xlsx"),
        ]
    finally:
        await db.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its report; 1 when a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.evaluation_summary")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--projects", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="perfbot-bench-") as scratch:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        if args.database_url is None:
            migrate.upgrade(url)
        (small_s, small_n, small_peak), (large_s, large_n, large_peak) = asyncio.run(
            measure(url, args.projects, Path(scratch))
        )
    print(f"evaluation summary on {url.split(':', 1)[0]}")
    print(f"  {small_n:7d} projects {small_s:7.2f} s, peak {small_peak / 2**20:6.1f} MiB")
    print(f"  {large_n:7d} projects {large_s:7.2f} s, peak {large_peak / 2**20:6.1f} MiB")
    print(f"  targets: under {TARGET_SECONDS:.0f} s; peak at most twice the smaller year's")
    ok = large_s <= TARGET_SECONDS and large_peak <= 2 * small_peak
    return 0 if ok and large_n == args.projects else 1


if __name__ == "__main__":
    sys.exit(main())
