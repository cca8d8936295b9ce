"""Org chart benchmark: import a 2,000-organisation CSV, then import it again.

A bureau's whole chart (20 business sections, 500 departments, 1,500 units) goes through the
same workflow `perfbot org import` uses, on a fresh SQLite file (or the database given with
`--database-url`, which must be migrated and empty). Printed: seconds for the first import,
for the re-import (which must change nothing), and the target. The target: each under 5 s.

Run it with `python -m bench.org_import [--database-url URL] [--departments N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from storage import migrate
from storage.db import Database
from workflow.core.access import TERMINAL
from workflow.people.orgchart import import_orgchart

TARGET_SECONDS = 5.0


def chart(departments: int, units_each: int = 3, sections: int = 20) -> bytes:
    """A CSV with `sections` business sections and `departments` × (1 + `units_each`) rows."""
    lines = ["code,name,kind,parent,section", "P01,绩效管理科,performance_section,,"]
    lines.append("B01,预算科,budget_section,,")
    lines += [f"S{s:02d},业务科室{s},business_section,," for s in range(sections)]
    for d in range(departments):
        lines.append(f"D{d:04d},部门{d},department,,S{d % sections:02d}")
        lines += [f"U{d:04d}-{u},部门{d}所属单位{u},unit,D{d:04d}," for u in range(units_each)]
    return ("\n".join(lines) + "\n").encode("utf-8")


async def measure(url: str, data: bytes) -> tuple[float, float, int]:
    """Seconds for the first import and the re-import, and how many organisations."""
    db = Database(url)
    try:
        started = time.perf_counter()
        first = await import_orgchart(db, actor=TERMINAL, data=data)
        middle = time.perf_counter()
        again = await import_orgchart(db, actor=TERMINAL, data=data)
        finished = time.perf_counter()
    finally:
        await db.dispose()
    if not first.ok or again.created or again.updated:
        raise RuntimeError(f"unexpected outcome: {first} then {again}")
    return middle - started, finished - middle, first.created


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its report; 1 when a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.org_import")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--departments", type=int, default=500)
    args = parser.parse_args(argv)
    data = chart(args.departments)
    with tempfile.TemporaryDirectory(prefix="perfbot-bench-") as scratch:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        if args.database_url is None:
            migrate.upgrade(url)
        first, again, count = asyncio.run(measure(url, data))
    print(f"org chart import: {count} organisations on {url.split(':', 1)[0]}")
    print(f"  first import  {first:6.2f} s")
    print(f"  re-import     {again:6.2f} s (nothing changed)")
    print(f"  target        {TARGET_SECONDS:6.2f} s each")
    return 0 if max(first, again) <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
