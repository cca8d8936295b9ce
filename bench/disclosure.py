"""Disclosure export benchmark: a department's issued goals as the publication table.

N issued projects with 8 indicators each, in one department (bulk inserts). Timed apart:
the query (`workflow.goals.disclosure`, statements counted), the xlsx (openpyxl write-only,
shared styles, merges set once) and the docx (one table per project). Printed at each size
with the SQLite commit anchor of the same run and the ratio, and the growth from the first
size to the next (linear: ×10 projects should cost ≈ ×10). Target: 1,000 projects in ≤ 2 s
for the xlsx, one query per table.

`python -m bench.disclosure` runs 1,000 projects; `--sizes 1000,10000` the province set.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import insert

from bench.common import (
    StatementCounter,
    build_province,
    database_commit_ms,
    opened,
    ratio,
    sqlite_url,
)
from storage.db import Database
from storage.models import GoalVersion, Indicator, Role
from workflow.core.access import Actor

TARGET_XLSX_SECONDS = 2.0
ISSUED = dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.UTC)
INDICATORS = (
    ("产出", "数量", "培训人次", "≥", Decimal("3000"), None, "人次"),
    ("产出", "质量", "取证率", "≥", Decimal("85"), None, "%"),
    ("产出", "时效", "按时完成率", "=", Decimal("100"), None, "%"),
    ("成本", "经济成本", "人均成本", "≤", Decimal("400"), None, "元"),
    ("效益", "社会效益", "就业率提升", "定性", None, "良", None),
    ("效益", "可持续影响", "长效机制", "定性", None, "建立", None),
    ("满意度", "服务对象满意度", "学员满意度", "≥", Decimal("90"), None, "%"),
    ("满意度", "服务对象满意度", "用人单位满意度", "≥", Decimal("85"), None, "%"),
)


async def _issued_goals(db: Database, projects: int) -> None:
    """One issued version per project and its 8 indicators, in multi-row inserts."""
    versions = [
        {
            "project_id": project,
            "status": "issued",
            "issued_at": ISSUED,
            "funds_total": Decimal("120"),
            "funds_fiscal": Decimal("100"),
            "funds_carryover": Decimal("15.5"),
            "funds_other": Decimal("4.5"),
            "annual_amount": Decimal("120"),
            "overall_goal": "全年开展职业技能培训，提升劳动者就业能力。",
            "annual_goal": "培训 3000 人次，取证率不低于 85%。",
            "created_at": ISSUED,
        }
        for project in range(1, projects + 1)
    ]
    indicators = [
        {
            "goal_version_id": version,
            "position": position,
            "level1": level1,
            "level2": level2,
            "name": name,
            "sign": sign,
            "target_value": value,
            "target_text": grade,
            "unit": unit,
        }
        for version in range(1, projects + 1)
        for position, (level1, level2, name, sign, value, grade, unit) in enumerate(INDICATORS)
    ]
    async with db.transaction() as session:
        for start in range(0, len(versions), 2000):
            await session.execute(insert(GoalVersion), versions[start : start + 2000])
        for start in range(0, len(indicators), 2000):
            await session.execute(insert(Indicator), indicators[start : start + 2000])


async def measure(url: str, projects: int) -> dict[str, float]:
    """Build, then time the query, the xlsx and the docx."""
    from bot.documents.disclosure import disclosure_docx, disclosure_xlsx
    from workflow.goals.disclosure import disclosure

    async with opened(url) as db:
        province = await build_province(db, departments=1, projects=projects)
        await _issued_goals(db, projects)
        actor = Actor(
            person_id=province.staff[0],
            name="经办",
            roles=frozenset({(Role.staff, province.departments[0])}),
        )
        counter = StatementCounter(db)
        started = time.perf_counter()
        table = await disclosure(db, actor=actor, year=2026)
        queried = time.perf_counter()
        xlsx = disclosure_xlsx(table)
        written = time.perf_counter()
        docx = disclosure_docx(table)
        finished = time.perf_counter()
    assert len(table.projects) == projects and xlsx and docx
    return {
        "query": queried - started,
        "statements": counter.count,
        "xlsx": written - queried,
        "docx": finished - written,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sizes on SQLite and print the report; 1 when the xlsx target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.disclosure")
    parser.add_argument("--sizes", default="1000")
    args = parser.parse_args(argv)
    print("disclosure export: issued projects with 8 indicators each, one department (SQLite)")
    met, previous = True, None
    for size in (int(s) for s in args.sizes.split(",")):
        with sqlite_url() as url:
            anchor = database_commit_ms(url)
            f = asyncio.run(measure(url, size))
        growth = ""
        if previous is not None:
            times = f["xlsx"] / previous["xlsx"]
            growth = f"; ×{times:.1f} xlsx time for ×{size / previous['size']:.0f} projects"
        print(
            f"  {size:>7,} projects: query {f['query']:6.2f} s ({f['statements']:.0f} statements), "
            f"xlsx {f['xlsx']:6.2f} s ({ratio(f['xlsx'] * 1000, anchor)} commit), "
            f"docx {f['docx']:6.2f} s{growth}  [commit {anchor:.2f} ms]"
        )
        if size <= 1000:
            met = met and f["xlsx"] <= TARGET_XLSX_SECONDS
        previous = {**f, "size": size}
    print(f"  target     xlsx of 1,000 projects ≤ {TARGET_XLSX_SECONDS:.0f} s, linear")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
