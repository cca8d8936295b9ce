"""Finance's summary of a year's evaluations as Excel, written row by row as they stream in.

openpyxl's write-only mode keeps no rows in memory and the file goes to disk, so the memory
used does not grow with the year (bench/evaluation_summary.py measures it). Header frozen,
filters on. Words from templates/documents/evaluation_summary.toml.
"""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.ui import vocabulary
from templates import TEMPLATES
from workflow.results.summary import SummaryLine


@lru_cache(maxsize=1)
def words() -> dict[str, Any]:
    path = TEMPLATES / "documents" / "evaluation_summary.toml"
    return tomllib.loads(path.read_text("utf-8"))


def summary_file_name(year: int) -> str:
    return str(words()["file"]).format(year=year)


def _label(value: str | None, section: str) -> str:
    return vocabulary.label(value, section) if value else ""


def _tags(tags: str | None) -> str:
    return "、".join(_label(tag, "problem_type") for tag in (tags or "").split(",") if tag)


async def write_summary(lines: AsyncIterator[SummaryLine], path: Path) -> int:
    """Write every line to an .xlsx at `path`; how many projects were written."""
    texts = words()
    from openpyxl import Workbook  # imported when a file is made: start-up stays light

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(texts["sheet"])
    headers = texts["headers"]
    sheet.freeze_panes = "A2"
    sheet.append(headers)
    count = 0
    try:
        async for line in lines:
            sheet.append(
                [
                    line.project,
                    line.department,
                    line.organisation,
                    line.annual,
                    line.self_total,
                    _label(line.self_grade, "grade"),
                    line.finance_total,
                    _label(line.finance_grade, "grade"),
                    _tags(line.tags),
                    _label(line.recommendation, "linkage_recommendation"),
                    _label(line.decision, "linkage_decision"),
                ]
            )
            count += 1
    except BaseException:
        # Refused or failed midway: end the sheet's stream now, not in the garbage collector
        # (where lxml complains of the half-written XML).
        sheet.close()
        raise
    last_column = chr(ord("A") + len(headers) - 1)
    sheet.auto_filter.ref = f"A1:{last_column}{count + 1}"
    workbook.save(path)
    return count
