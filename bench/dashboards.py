"""Dashboard benchmark: /stats and the web dashboard for a province-sized year.

Fills a private schema of PostgreSQL (the shared test database, dropped afterwards; or a
temporary SQLite file with `--sqlite`) with a chart of 2,000 organisations (200 departments
of 9 units each under 20 business sections) and N projects spread over them, each with its
goal version and review timeline (submitted, then approved stage by stage, or waiting at a
stage), Q3 tracking forms and self-evaluations for the issued ones, finance's evaluations
for one in fifty. Then measures, as the bot computes them:

- `/stats` figures for the performance section (every registered view, whole bureau);
- the same for one department head (their department and its units);
- the chat's charts (PNG) and the workbook drawn from the bureau's figures;
- the web dashboard's first load over HTTP (the aiohttp app, launch data checked): the page,
  its assets, the overview and the table's first page, for a department head and for the
  performance section (paginated).

Targets: the bureau's figures ≤ 2 s at 100,000 projects on PostgreSQL; a department's
first web load ≤ 1 s. Run it with `python -m bench.dashboards [--projects N] [--sqlite]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert, text

from bot.dashboards import charts, workbook
from bot.web.app import INIT_DATA_HEADER, build_web_app
from sandbox.webapp_auth import signed_init_data
from storage import migrate
from storage.db import Database
from storage.models import (
    BudgetYear,
    EvaluationSelection,
    FinanceEvaluation,
    GoalVersion,
    Organisation,
    Person,
    Project,
    ReviewStep,
    RoleAssignment,
    SelfEvaluation,
    TrackingReport,
)
from workflow.core.access import Actor
from workflow.dashboards.projects import project_page
from workflow.dashboards.stats import year_stats

POSTGRES_URL = os.environ.get(
    "PERFBOT_BENCH_POSTGRES_URL",
    os.environ.get(
        "PERFBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    ),
)
YEAR = 2026
TODAY = dt.date(2026, 10, 20)
TOKEN = "123456:bench-dashboard"
HEAD_TELEGRAM_ID, PERF_TELEGRAM_ID = 9001, 9002
STATS_TARGET = 2.0
PAGE_TARGET = 1.0
SECTIONS, DEPARTMENTS, UNITS = 20, 200, 9
CHAIN = ("head", "business", "performance", "budget")
CHUNK = 5000
RUNS = 3


def chart_rows() -> tuple[list[dict[str, Any]], int, int]:
    """The organisations; the performance section's id and the first department's."""
    rows: list[dict[str, Any]] = [
        {"id": 1, "code": "PERF", "name": "绩效管理科", "kind": "performance_section"},
        {"id": 2, "code": "BUDGET", "name": "预算科", "kind": "budget_section"},
    ]
    for s in range(SECTIONS):
        rows.append(
            {"id": 10 + s, "code": f"S{s}", "name": f"业务{s}科", "kind": "business_section"}
        )
    next_id = 100
    for d in range(DEPARTMENTS):
        department = next_id
        rows.append(
            {
                "id": department,
                "code": f"D{d:03d}",
                "name": f"第{d}部门",
                "kind": "department",
                "section_id": 10 + d % SECTIONS,
            }
        )
        for u in range(UNITS):
            rows.append(
                {
                    "id": department + 1 + u,
                    "code": f"D{d:03d}U{u}",
                    "name": f"第{d}部门第{u}单位",
                    "kind": "unit",
                    "parent_id": department,
                }
            )
        next_id += UNITS + 1
    return rows, 1, 100


def moment(rng: random.Random, day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(
        seconds=rng.randrange(86400)
    )


async def fill(db: Database, projects: int) -> tuple[int, int]:
    """The year's data; the performance section's and the first department's ids."""
    rng = random.Random(20261020)
    organisations, perf, first_department = chart_rows()
    org_ids = [o["id"] for o in organisations if o["kind"] in ("department", "unit")]
    async with db.transaction() as session:
        await session.execute(
            insert(Organisation),
            [{"parent_id": None, "section_id": None, **row} for row in organisations],
        )
        await session.execute(
            insert(BudgetYear), [{"year": YEAR, "goal_submission_date": dt.date(2025, 10, 31)}]
        )
        await session.execute(
            insert(Person),
            [
                {"id": 1, "name": "部门负责人", "telegram_user_id": HEAD_TELEGRAM_ID},
                {"id": 2, "name": "绩效管理科", "telegram_user_id": PERF_TELEGRAM_ID},
            ],
        )
        await session.execute(
            insert(RoleAssignment),
            [
                {"person_id": 1, "role": "head", "organisation_id": first_department},
                {"person_id": 2, "role": "performance", "organisation_id": perf},
            ],
        )
    for start in range(0, projects, CHUNK):
        ids = range(start + 1, min(start + CHUNK, projects) + 1)
        rows: dict[str, list[dict[str, Any]]] = {
            "project": [],
            "goal": [],
            "step": [],
            "tracking": [],
            "self": [],
            "sel": [],
            "fin": [],
        }
        for i in ids:
            draw = rng.random()
            status = (
                "issued"
                if draw < 0.70
                else "in_review"
                if draw < 0.85
                else "draft"
                if draw < 0.95
                else "returned"
            )
            rows["project"].append(
                {
                    "id": i,
                    "year": YEAR,
                    "name": f"项目{i}",
                    "organisation_id": org_ids[i % len(org_ids)],
                    "status": status,
                }
            )
            reached = len(CHAIN) if status == "issued" else rng.randrange(len(CHAIN))
            waiting = status == "in_review"
            rows["goal"].append(
                {
                    "id": i,
                    "project_id": i,
                    "kind": "initial",
                    "status": {
                        "issued": "issued",
                        "in_review": "in_review",
                        "draft": "draft",
                        "returned": "returned",
                    }[status],
                    "stage": CHAIN[reached] if waiting else None,
                    "annual_amount": Decimal(rng.randrange(10, 5000)),
                }
            )
            if status == "draft":
                continue
            at = moment(rng, dt.date(2025, 10, 1) + dt.timedelta(days=rng.randrange(45)))
            rows["step"].append(
                {
                    "item_kind": "goal_version",
                    "item_id": i,
                    "stage": "head",
                    "decision": "submit",
                    "created_at": at,
                }
            )
            for stage in CHAIN[:reached]:
                at = at + dt.timedelta(hours=rng.randrange(2, 240))
                rows["step"].append(
                    {
                        "item_kind": "goal_version",
                        "item_id": i,
                        "stage": stage,
                        "decision": "approve",
                        "created_at": at,
                    }
                )
            if status == "returned":
                at = at + dt.timedelta(hours=rng.randrange(2, 240))
                rows["step"].append(
                    {
                        "item_kind": "goal_version",
                        "item_id": i,
                        "stage": CHAIN[reached],
                        "decision": "return",
                        "created_at": at,
                    }
                )
            if status != "issued":
                continue
            budget = Decimal(rng.randrange(10, 5000))
            executed = (budget * Decimal(rng.randrange(20, 100)) / 100).quantize(Decimal("0.01"))
            rows["tracking"].append(
                {
                    "id": i,
                    "project_id": i,
                    "goal_version_id": i,
                    "period_end": dt.date(YEAR, 9, 30),
                    "status": "submitted",
                    "budget_full_year": budget,
                    "executed_to_date": executed,
                    "light": rng.choice(("green", "yellow", "red")),
                }
            )
            score = Decimal(rng.randrange(4500, 10000)) / 100
            grade = "优" if score >= 90 else "良" if score >= 80 else "中" if score >= 60 else "差"
            rows["self"].append(
                {
                    "id": i,
                    "project_id": i,
                    "goal_version_id": i,
                    "status": "accepted",
                    "total_score": score,
                    "grade": grade,
                }
            )
            if i % 50 == 0:
                rows["sel"].append(
                    {
                        "id": i,
                        "year": YEAR,
                        "project_id": i,
                        "self_evaluation_id": i,
                        "check_kind": "spot_check",
                        "source": "drawn",
                    }
                )
                rows["fin"].append(
                    {
                        "selection_id": i,
                        "project_id": i,
                        "self_evaluation_id": i,
                        "total_score": score - 3,
                        "grade": grade,
                    }
                )
        async with db.transaction() as session:
            for model, key in (
                (Project, "project"),
                (GoalVersion, "goal"),
                (ReviewStep, "step"),
                (TrackingReport, "tracking"),
                (SelfEvaluation, "self"),
                (EvaluationSelection, "sel"),
                (FinanceEvaluation, "fin"),
            ):
                if rows[key]:
                    await session.execute(insert(model), rows[key])
    if db.dialect == "postgresql":
        async with db.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    return perf, first_department


async def timed(action: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    """The first run's seconds, the median of the next runs, and the last result."""
    times, result = [], None
    for _ in range(RUNS + 1):
        started = time.perf_counter()
        result = await action()
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times[1:]), result


async def first_load(client: TestClient, telegram_id: int) -> str:
    """What the Mini App fetches when opened: the page, its assets, the overview, the table."""
    launch = signed_init_data(TOKEN, user_id=telegram_id, first_name="bench")
    body = ""
    for path in (
        "/",
        "/static/dashboard.js",
        "/static/dashboard.css",
        f"/api/overview?year={YEAR}",
        f"/api/projects?year={YEAR}",
    ):
        response = await client.get(path, headers={INIT_DATA_HEADER: launch})
        assert response.status == 200, (path, response.status)
        body = await response.text()
    return body


async def measure(db: Database, projects: int) -> dict[str, tuple[float, float]]:
    perf_org, department = await fill(db, projects)
    finance = Actor(person_id=None, name="bench", roles=frozenset({("performance", perf_org)}))
    head = Actor(person_id=None, name="bench", roles=frozenset({("head", department)}))
    found: dict[str, tuple[float, float]] = {}
    first, median, stats = await timed(
        lambda: year_stats(db, actor=finance, year=YEAR, today=TODAY)
    )
    found["stats, bureau (figures)"] = (first, median)
    assert stats.headline.projects == projects, stats.headline
    first, median, _ = await timed(lambda: year_stats(db, actor=head, year=YEAR, today=TODAY))
    found["stats, one department (figures)"] = (first, median)
    views = [view for view in stats.views if not view.empty]
    started = time.perf_counter()
    for view in views:
        charts.png(view)
    drawn = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        workbook.write_workbook(views, Path(scratch) / "stats.xlsx")
        written = time.perf_counter() - started
    found[f"stats, {len(views)} charts drawn (PNG)"] = (drawn, drawn)
    found["stats, workbook written"] = (written, written)

    client = TestClient(TestServer(build_web_app(db=db, token=TOKEN, max_age=3600)))
    await client.start_server()
    try:
        first, median, _ = await timed(lambda: first_load(client, HEAD_TELEGRAM_ID))
        found["web first load over HTTP, one department"] = (first, median)
        first, median, table = await timed(lambda: first_load(client, PERF_TELEGRAM_ID))
        found["web first load over HTTP, bureau (table page 1)"] = (first, median)
        assert f"共 {projects} 个项目" in table
    finally:
        await client.close()
    first, median, _ = await timed(
        lambda: project_page(
            db, actor=finance, year=YEAR, today=TODAY, page=1000, sort="self_score", descending=True
        )
    )
    found["web table, bureau, page 1000 by score"] = (first, median)
    return found


async def run(
    url: str | None, projects: int, scratch: Path
) -> tuple[str, dict[str, tuple[float, float]]]:
    if url is None:  # SQLite
        path = f"sqlite+aiosqlite:///{scratch / 'bench.db'}"
        migrate.upgrade(path)
        db = Database(path)
        try:
            return "sqlite", await measure(db, projects)
        finally:
            await db.dispose()
    schema = f"perfbot_bench_{secrets.token_hex(3)}"
    admin = Database(url)
    try:
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            await connection.execute(text(f'SET search_path TO "{schema}"'))
            await connection.run_sync(_upgrade_on)
        db = Database(url, connect_args={"server_settings": {"search_path": schema}})
        try:
            return "postgresql", await measure(db, projects)
        finally:
            await db.dispose()
    finally:
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


def _upgrade_on(connection: Any) -> None:
    from alembic import command

    config = migrate.alembic_config(str(connection.engine.url))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its report; 1 when a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.dashboards")
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="perfbot-bench-") as scratch:
        started = time.perf_counter()
        backend, found = asyncio.run(
            run(None if args.sqlite else POSTGRES_URL, args.projects, Path(scratch))
        )
    print(
        f"dashboards on {backend}, {args.projects:,} projects "
        f"(whole run {time.perf_counter() - started:.0f} s)"
    )
    for name, (first, median) in found.items():
        print(f"  {name:48s} first {first:6.2f} s, then median {median:6.2f} s")
    print(
        f"  targets: bureau figures ≤ {STATS_TARGET:.0f} s; "
        f"a department's first web load ≤ {PAGE_TARGET:.0f} s"
    )
    ok = (
        found["stats, bureau (figures)"][1] <= STATS_TARGET
        and found["web first load over HTTP, one department"][1] <= PAGE_TARGET
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
