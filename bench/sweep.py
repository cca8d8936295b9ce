"""Reminder sweep benchmark: a province's issued projects, nothing due, then all due.

`build_province` puts N issued projects of 2026 over D departments (one staff member each)
with bulk inserts. Each size runs in a fresh process so its peak memory is its own:

- nothing due: a sweep on 2026-07-15 09:30 (Q3 not over: no tracking form is owed);
- first sweep, all due: 2026-10-13 09:30, three working days before the tracking forms are
  due, so every project's staff member is reminded once (N messages queued);
- repeat: the same sweep again the same day (everything already queued: nothing new).

Printed per database and size: seconds, peak RSS of the measuring process, messages queued
and SQL statements, beside the SQLite (or PostgreSQL) commit anchor of the same run and the
ratio. Targets (issue: province scale): nothing due ≤ 0.5 s and ≤ 150 MB at 100,000; all due
≤ 5 s and ≤ 300 MB, the repeat ≤ 1 s.

`python -m bench.sweep` runs 1,000 and 10,000 projects; `--sizes 1000,10000,100000` the
province set (`make bench-scale`).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack

from bench.common import (
    StatementCounter,
    build_province,
    database_commit_ms,
    opened,
    peak_rss_mb,
    postgres_url,
    ratio,
    sqlite_url,
)
from tests.deadline_world import at_local

QUIET_DAY = at_local(dt.date(2026, 7, 15), 9, 30)
DUE_DAY = at_local(dt.date(2026, 10, 13), 9, 30)
TARGETS = {"quiet": (0.5, 150), "first": (5.0, 300), "repeat": (1.0, 300)}


async def _build(url: str, projects: int, departments: int) -> None:
    async with opened(url) as db:
        await build_province(db, departments=departments, projects=projects)


async def _measure(url: str) -> dict[str, dict[str, float]]:
    from workflow.calendar.reminders import run_sweep

    figures: dict[str, dict[str, float]] = {}
    async with opened(url) as db:
        counter = StatementCounter(db)
        for name, moment in (("quiet", QUIET_DAY), ("first", DUE_DAY), ("repeat", DUE_DAY)):
            before = counter.count
            started = time.perf_counter()
            result = await run_sweep(db, now=moment)
            seconds = time.perf_counter() - started
            figures[name] = {
                "seconds": seconds,
                "rss_mb": peak_rss_mb(),
                "queued": result.queued,
                "items": result.items,
                "statements": counter.count - before,
            }
    return figures


def _child(argv: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.sweep", *argv], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_size(url: str, projects: int, departments: int) -> dict[str, dict[str, float]]:
    """Build in one process, measure in another: each process's peak is its own."""
    _child(["--build", url, "--projects", str(projects), "--departments", str(departments)])
    return _child(["--measure", url])


def report(backend: str, projects: int, figures: dict, anchor: float) -> bool:
    """Print one size's lines; whether every target was met (checked at 100,000 only)."""
    met = True
    for name, label in (("quiet", "nothing due"), ("first", "all due"), ("repeat", "repeat")):
        f = figures[name]
        seconds, rss = TARGETS[name]
        ok = f["seconds"] <= seconds and f["rss_mb"] <= rss
        met = met and (ok or projects < 100_000)
        print(
            f"  {backend:<10} {projects:>7,} {label:<12} {f['seconds']:7.2f} s "
            f"({ratio(f['seconds'] * 1000, anchor)} commit) peak {f['rss_mb']:5.0f} MB, "
            f"{f['queued']:>7,.0f} queued, {f['statements']:>5,.0f} statements"
        )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sizes on SQLite and PostgreSQL and print the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.sweep")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--departments", type=int, default=2000)
    parser.add_argument("--backends", default="SQLite,PostgreSQL")
    parser.add_argument("--build", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--projects", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        asyncio.run(_build(args.build, args.projects, args.departments))
        print("{}")
        return 0
    if args.measure:
        print(json.dumps(asyncio.run(_measure(args.measure))))
        return 0
    print(f"reminder sweep: issued projects over {args.departments:,} departments")
    met = True
    for backend in args.backends.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            with ExitStack() as stack:
                url = stack.enter_context(sqlite_url() if backend == "SQLite" else postgres_url())
                if url is None:
                    print(f"  {backend:<10} not reachable, skipped")
                    break
                anchor = database_commit_ms(url)
                if size == int(args.sizes.split(",")[0]):
                    print(f"  {backend:<10} anchor: one commit {anchor:.2f} ms")
                met = report(backend, size, run_size(url, size, args.departments), anchor) and met
    print(
        "  targets    at 100,000: nothing due ≤ 0.5 s, ≤ 150 MB; all due ≤ 5 s, ≤ 300 MB; "
        "repeat ≤ 1 s"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
