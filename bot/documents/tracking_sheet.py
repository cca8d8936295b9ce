"""The 绩效跟踪表 of one project as Word, in the national layout.

A budget block (年初预算数 / 全年预算数 A / 1-9 月执行数 B / 执行率 / 全年预计执行数 and the
light as 绿/黄/红), then one row per indicator; cells not filled yet stay empty.
Labels come from templates/documents/tracking.toml.
"""

from __future__ import annotations

import io
import tomllib
from decimal import Decimal
from functools import lru_cache
from typing import Any

from bot.ui import vocabulary
from bot.ui.render import TEMPLATES
from workflow.review.notices import money_text
from workflow.tracking.documents import TrackingSheet


@lru_cache(maxsize=1)
def labels() -> dict[str, Any]:
    """templates/documents/tracking.toml."""
    return tomllib.loads((TEMPLATES / "documents" / "tracking.toml").read_text("utf-8"))


def percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value}%"


def sheet_file_name(sheet: TrackingSheet) -> str:
    return labels()["sheet_file"].format(project=sheet.project)[:120]


def tracking_sheet_docx(sheet: TrackingSheet) -> bytes:
    """The sheet as a .docx file."""
    words = labels()
    from docx import Document  # imported when a file is made: start-up stays light

    document = Document()
    document.add_heading(words["sheet_title"].format(year=sheet.year), level=1)
    head = document.add_table(rows=4, cols=2)
    head.style = "Table Grid"
    for row, (key, value) in enumerate(
        [
            ("project", sheet.project),
            ("department", sheet.department),
            ("organisation", sheet.organisation),
            ("period", sheet.period_end.isoformat()),
        ]
    ):
        head.cell(row, 0).text, head.cell(row, 1).text = words[key], value
    document.add_paragraph(words["budget_block"])
    budget = document.add_table(rows=2, cols=6)
    budget.style = "Table Grid"
    values = [
        money_text(sheet.budget_initial),
        money_text(sheet.budget_full_year),
        money_text(sheet.executed_to_date),
        percent(sheet.rate),
        money_text(sheet.expected_full_year),
        vocabulary.label(sheet.light, "light") if sheet.light else "",
    ]
    for column, (title, value) in enumerate(
        zip([*words["budget_headers"], words["light"]], values, strict=True)
    ):
        budget.cell(0, column).text, budget.cell(1, column).text = title, value or ""
    document.add_paragraph("")
    table = document.add_table(rows=1 + len(sheet.indicators), cols=9)
    table.style = "Table Grid"
    for column, title in enumerate(words["indicator_headers"]):
        table.cell(0, column).text = title
    for row, line in enumerate(sheet.indicators, start=1):
        cells = [
            line.level1,
            line.level2,
            line.name,
            line.target,
            line.actual,
            line.expected_completion,
            vocabulary.label(line.likelihood, "likelihood") if line.likelihood else "",
            line.deviation,
            line.measures,
        ]
        for column, value in enumerate(cells):
            table.cell(row, column).text = value or ""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
