"""The department's self-evaluation report as Word, in the outline of 财预〔2011〕285号.

Six headings in order; 一、二、三、六 hold the department's own words (a note where not
written yet), 四 a table of every evaluated project (budget, executed, 执行率, total, grade),
五 the indicators scored below their weight, by project, with their deviation reasons.
Labels from templates/documents/evaluation.toml ([report]).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.documents.evaluation_sheet import labels, percent, safe_name, score_text
from bot.ui import vocabulary
from workflow.evaluation.report import DepartmentReport, Shortfall
from workflow.review.notices import money_text

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

# Which narrative answer fills which heading (the others are generated).
NARRATIVE_AT = {0: "overview", 1: "goals", 2: "management", 5: "improvements"}


def report_file_name(report: DepartmentReport) -> str:
    return str(labels()["report"]["file"]).format(
        year=report.year, department=safe_name(report.department)
    )


def _results(document: DocxDocument, report: DepartmentReport) -> None:
    words = labels()["report"]
    if not report.results:
        document.add_paragraph(words["results_empty"])
        return
    document.add_paragraph(words["results_intro"].format(count=len(report.results)))
    table = document.add_table(rows=1 + len(report.results), cols=len(words["results_headers"]))
    table.style = "Table Grid"
    for column, title in enumerate(words["results_headers"]):
        table.cell(0, column).text = title
    for row, result in enumerate(report.results, start=1):
        cells = [
            str(row),
            result.project,
            result.organisation,
            money_text(result.budget_full_year) or "",
            money_text(result.executed) or "",
            percent(result.rate),
            score_text(result.total),
            vocabulary.label(result.grade, "grade") if result.grade else "",
        ]
        for column, value in enumerate(cells):
            table.cell(row, column).text = value


def _shortfall(document: DocxDocument, number: int, shortfall: Shortfall) -> None:
    words = labels()["report"]
    document.add_paragraph(
        words["shortfall_project"].format(number=number, project=shortfall.project)
    )
    for line in shortfall.lines:
        text = words["shortfall_line"].format(
            name=line.name,
            target=line.target,
            actual=line.actual or "",
            reason=line.deviation_reason or words["shortfall_no_reason"],
        )
        if line.measures:
            text += words["shortfall_measures"].format(measures=line.measures)
        document.add_paragraph(text, style="List Bullet")


def evaluation_report_docx(report: DepartmentReport) -> bytes:
    """The report as a .docx file."""
    words = labels()["report"]
    from docx import Document  # imported when a file is made: start-up stays light

    document = Document()
    document.add_heading(words["title"].format(department=report.department, year=report.year), 0)
    texts = report.narrative.texts if report.narrative else {}
    for index, heading in enumerate(words["headings"]):
        document.add_heading(heading, level=1)
        if index in NARRATIVE_AT:
            written = texts.get(NARRATIVE_AT[index])
            for paragraph in (written or words["not_written"]).splitlines():
                if paragraph.strip():
                    document.add_paragraph(paragraph.strip())
        elif index == 3:
            _results(document, report)
        elif not report.shortfalls:
            document.add_paragraph(words["shortfalls_none"])
        else:
            for number, shortfall in enumerate(report.shortfalls, start=1):
                _shortfall(document, number, shortfall)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
