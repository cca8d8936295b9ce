"""The published evaluation results of a department as .xlsx and .docx (信息披露).

One row per project: budget, the department's and finance's scores, the grade in force,
the main problems (finance's problem types, else the department's own words) and the state
of their rectification. Words from templates/documents/results_disclosure.toml.
"""

from __future__ import annotations

import io
import tomllib
from functools import lru_cache
from typing import Any

from bot.documents.evaluation_sheet import safe_name
from bot.ui import vocabulary
from templates import TEMPLATES
from workflow.results.disclosure import DisclosedResult, ResultsDisclosure
from workflow.review.notices import money_text


@lru_cache(maxsize=1)
def words() -> dict[str, Any]:
    path = TEMPLATES / "documents" / "results_disclosure.toml"
    return tomllib.loads(path.read_text("utf-8"))


def file_name(table: ResultsDisclosure, extension: str) -> str:
    return str(words()["file"]).format(
        year=table.year, department=safe_name(table.department), extension=extension
    )


def _values(number: int, result: DisclosedResult) -> list[str]:
    texts = words()
    problems = "、".join(vocabulary.label(tag, "problem_type") for tag in result.problems)
    if result.open_rectifications:
        state = texts["rectifying"].format(count=result.open_rectifications)
    elif result.grade is None:
        state = texts["no_result"]
    else:
        state = texts["rectified"]
    return [
        str(number),
        result.project,
        result.organisation,
        money_text(result.annual) or "",
        money_text(result.self_total) or "",
        money_text(result.finance_total) or "",
        vocabulary.label(result.grade, "grade") if result.grade else texts["no_result"],
        problems or result.self_problems or "",
        state,
    ]


def results_xlsx(table: ResultsDisclosure) -> bytes:
    texts = words()
    from openpyxl import Workbook  # imported when a file is made

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(texts["sheet"])
    sheet.append([texts["title"].format(department=table.department, year=table.year)])
    sheet.append(texts["headers"])
    for number, result in enumerate(table.results, start=1):
        sheet.append(_values(number, result))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def results_docx(table: ResultsDisclosure) -> bytes:
    texts = words()
    from docx import Document  # imported when a file is made: start-up stays light

    document = Document()
    document.add_heading(texts["title"].format(department=table.department, year=table.year), 0)
    grid = document.add_table(rows=1 + len(table.results), cols=len(texts["headers"]))
    grid.style = "Table Grid"
    for column, header in enumerate(texts["headers"]):
        grid.cell(0, column).text = header
    for number, result in enumerate(table.results, start=1):
        for column, value in enumerate(_values(number, result)):
            grid.cell(number, column).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
