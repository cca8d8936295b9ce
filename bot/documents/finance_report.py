"""Finance's evaluation report of one project as Word (财预〔2011〕285号 outline).

Generated from the data on record each time it is asked for: the project, how it was
selected, the scoring method, the table of every row with the department's and finance's
scores, the problem types tagged, and finance's conclusions. Words from
templates/documents/finance_report.toml; labels from the vocabulary.
"""

from __future__ import annotations

import io
import tomllib
from decimal import Decimal
from functools import lru_cache
from typing import Any

from bot.documents.evaluation_sheet import safe_name
from bot.ui import vocabulary
from templates import TEMPLATES
from workflow.results.report import ReportFacts
from workflow.review.notices import money_text


@lru_cache(maxsize=1)
def words() -> dict[str, Any]:
    return tomllib.loads((TEMPLATES / "documents" / "finance_report.toml").read_text("utf-8"))


def report_file_name(facts: ReportFacts) -> str:
    return str(words()["file"]).format(project=safe_name(facts.project))


def _score(value: Decimal | None) -> str:
    return money_text(value) or "—"


def finance_report_docx(facts: ReportFacts) -> bytes:
    """The report as a .docx file."""
    texts = words()
    from docx import Document  # imported when a file is made: start-up stays light

    document = Document()
    document.add_heading(texts["title"].format(project=facts.project, year=facts.year), 0)
    document.add_paragraph(
        texts["subtitle"].format(check=vocabulary.label(facts.check, "finance_check"))
    )
    headings = texts["headings"]
    document.add_heading(headings[0], level=1)
    document.add_paragraph(
        texts["overview"].format(
            project=facts.project,
            organisation=facts.organisation,
            department=facts.department,
            year=facts.year,
            annual=_score(facts.annual_amount),
            budget=_score(facts.budget),
            executed=_score(facts.executed),
        )
    )
    document.add_heading(headings[1], level=1)
    how = "organisation_drawn" if facts.source == "drawn" else "organisation_added"
    document.add_paragraph(texts[how].format(reason=facts.reason or ""))
    document.add_heading(headings[2], level=1)
    document.add_paragraph(texts["method"])
    document.add_heading(headings[3], level=1)
    table = document.add_table(rows=1 + len(facts.rows), cols=len(texts["headers"]))
    table.style = "Table Grid"
    for column, title in enumerate(texts["headers"]):
        table.cell(0, column).text = title
    for number, row in enumerate(facts.rows, start=1):
        finance = _score(row["score"]) if row["applicable"] else texts["not_applicable"]
        cells = [
            row["name"] or texts["execution_row"],
            row["target"] or "",
            _score(row["weight"]),
            _score(row["department_score"]),
            finance,
            row["reason"] or "",
        ]
        for column, text in enumerate(cells):
            table.cell(number, column).text = text
    document.add_paragraph(
        texts["totals"].format(
            department_total=_score(facts.department_total),
            department_grade=facts.department_grade or "—",
            finance_total=_score(facts.finance_total),
            finance_grade=facts.finance_grade or "—",
        )
    )
    document.add_heading(headings[4], level=1)
    if not facts.tags:
        document.add_paragraph(texts["no_problems"])
    else:
        document.add_paragraph(texts["problems_intro"])
        for tag in facts.tags:
            line = vocabulary.label(tag, "problem_type")
            if tag == "other" and facts.other_problem:
                line = f"{line}：{facts.other_problem}"
            document.add_paragraph(line, style="List Number")
    document.add_heading(headings[5], level=1)
    document.add_paragraph(facts.conclusions or texts["conclusions_empty"])
    document.add_paragraph(texts["rectification"])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
