"""The 项目支出绩效自评表 of one project as Word, in the national layout (财预〔2020〕10号).

A header (project, department, organisation, year), the funds block (年初预算数 / 全年预算数 A /
全年执行数 B / 分值 / 执行率 / 得分), 年度总体目标 expected against achieved, one row per
indicator (不适用 rows marked), then 总分 and the grade, 存在问题 and 改进措施.
Scores are shown half-up to two places, as scored. Labels from templates/documents/evaluation.toml.
"""

from __future__ import annotations

import io
import tomllib
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.ui import vocabulary
from bot.ui.render import TEMPLATES
from workflow.evaluation.documents import EvaluationSheet, ScoreLine
from workflow.evaluation.scoring import shown
from workflow.forms.spec import decimal_text
from workflow.review.notices import money_text

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

FORBIDDEN = '\\/:*?"<>|'


@lru_cache(maxsize=1)
def labels() -> dict[str, Any]:
    """templates/documents/evaluation.toml."""
    return tomllib.loads((TEMPLATES / "documents" / "evaluation.toml").read_text("utf-8"))


def safe_name(text: str) -> str:
    """A name a file may carry: characters file systems refuse removed."""
    return "".join(ch for ch in text if ch not in FORBIDDEN).strip()[:100]


def score_text(value: Decimal | None) -> str:
    """A score as shown: half-up to two places."""
    return "" if value is None else str(shown(value))


def weight_text(value: Decimal | None) -> str:
    return "" if value is None else decimal_text(value)


def percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value}%"


def deviation_text(reason: str | None, measures: str | None) -> str:
    """偏差原因分析及改进措施 in one cell."""
    if reason and measures:
        return str(labels()["sheet"]["deviation"]).format(reason=reason, measures=measures)
    return reason or measures or ""


def sheet_file_name(sheet: EvaluationSheet) -> str:
    return str(labels()["sheet"]["file"]).format(project=safe_name(sheet.project))


def _table(document: DocxDocument, rows: list[list[str]]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            table.cell(row, column).text = value


def line_cells(line: ScoreLine) -> list[str]:
    """One indicator row of the table; a 不适用 row says so where its score would stand."""
    score = score_text(line.score) if line.applicable else labels()["sheet"]["not_applicable"]
    return [
        line.level1,
        line.level2,
        line.name,
        line.target,
        line.actual or "",
        weight_text(line.weight),
        score,
        deviation_text(line.deviation_reason, line.measures),
    ]


def evaluation_sheet_docx(sheet: EvaluationSheet) -> bytes:
    """The 自评表 as a .docx file."""
    words = labels()["sheet"]
    from docx import Document  # imported when a file is made: start-up stays light

    document = Document()
    document.add_heading(words["title"], level=1)
    document.add_paragraph(words["subtitle"].format(year=sheet.year))
    _table(
        document,
        [
            [words["project"], sheet.project],
            [words["department"], sheet.department],
            [words["organisation"], sheet.organisation],
            [words["year"], str(sheet.year)],
        ],
    )
    document.add_paragraph(words["funds_block"])
    funds = [
        money_text(sheet.budget_initial) or "",
        money_text(sheet.budget_full_year) or "",
        money_text(sheet.executed) or "",
        weight_text(sheet.execution_weight),
        percent(sheet.rate),
        score_text(sheet.execution_score),
    ]
    _table(document, [list(words["funds_headers"]), funds])
    if sheet.execution_reason:
        document.add_paragraph(words["execution_reason"] + sheet.execution_reason)
    document.add_paragraph(words["goals_block"])
    goals = [sheet.overall_expected or "", sheet.overall_achieved or ""]
    _table(document, [list(words["goals_headers"]), goals])
    document.add_paragraph("")
    _table(document, [list(words["indicator_headers"]), *(line_cells(x) for x in sheet.lines)])
    grade = vocabulary.label(sheet.grade, "grade") if sheet.grade else ""
    _table(
        document,
        [
            [words["total"], score_text(sheet.total), words["grade"], grade],
            [words["problems"], sheet.problems or "", words["measures"], sheet.measures or ""],
        ],
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
