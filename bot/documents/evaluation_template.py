"""The 自评表 as an .xlsx template: written with the indicators and weights, read back as cells.

Layout (fixed, so each refusal names its cell): the funds, the overall goal and the closing
texts in rows 5-12 (label in A, value in B), the indicator rows from row 15 with the
indicator's id in column A. Words from templates/documents/evaluation_template.toml and the
form's catalog, so the template says what the chat says.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from bot.conversations.form_text import choice_names, label
from bot.documents import form_workbook as book
from bot.ui.render import TEMPLATES
from workflow.evaluation.form import SELF_EVALUATION_FORM
from workflow.evaluation.start import EvaluationStart
from workflow.forms.imports import Cell, CellProblem, Cells
from workflow.forms.spec import META, ROW_KEY, Problem

KIND = "self_evaluation"
FORM = SELF_EVALUATION_FORM
TOP_ROWS = (
    ("budget_initial", 5),
    ("budget_full_year", 6),
    ("executed", 7),
    ("execution_reason", 8),
    ("overall_expected", 9),
    ("overall_achieved", 10),
    ("problems", 11),
    ("measures", 12),
)
FIXED = ("budget_initial", "overall_expected")
NUMBERS = ("budget_initial", "budget_full_year", "executed")
HEADER_ROW, FIRST_ROW = 14, 15
ROW_COLUMNS = (
    ("F", ("weight",)),
    ("G", ("applicable",)),
    ("H", ("na_reason",)),
    ("I", ("actual", "actual_text")),
    ("J", ("band",)),
    ("K", ("band_score",)),
    ("L", ("deviation",)),
)
CHOICES = ("applicable", "band")


@lru_cache(maxsize=1)
def words() -> dict[str, Any]:
    """templates/documents/evaluation_template.toml."""
    path = TEMPLATES / "documents" / "evaluation_template.toml"
    return tomllib.loads(path.read_text("utf-8"))


def _names(field: str) -> dict[str, str]:
    """value → plain name of a choice field of the rows ("True" → "适用")."""
    names = choice_names(FORM, field, "indicators") or {}
    return {str(value): book.plain(name) for value, name in names.items()}


def template_file_name(start: EvaluationStart) -> str:
    return str(words()["file"]).format(project=start.project)


def _number(raw: Any) -> Decimal | str:
    return "" if raw is None else Decimal(str(raw))


def _target(row: Mapping[str, Any]) -> str:
    if row.get("target_text"):
        return str(row["target_text"])
    return f"{row.get('sign') or ''} {row.get('target') or ''}{row.get('unit') or ''}".strip()


def evaluation_template_xlsx(start: EvaluationStart) -> bytes:
    """The template of one self-evaluation, with the answers given so far."""
    texts = words()
    data = start.initial
    from openpyxl import Workbook  # imported when a file is made: start-up stays light
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = texts["sheet"]
    widths = {"A": 26, "B": 10, "C": 14, "D": 22, "E": 16, "F": 8, "G": 10, "H": 16, "I": 22}
    book.setup_sheet(sheet, widths | {"J": 12, "K": 10, "L": 30})
    sheet["A1"] = texts["title"].format(project=start.project, year=start.year)
    sheet["A1"].font = book.BOLD
    sheet["A2"], sheet["A2"].alignment = texts["guide"], book.WRAP
    sheet.merge_cells("A2:L2")
    sheet.row_dimensions[2].height = 90
    sheet["A4"], sheet["A4"].font = texts["top_block"], book.BOLD
    for name, row in TOP_ROWS:
        sheet[f"A{row}"] = label(FORM, name)
        value = data.get(name)
        cell = sheet[f"B{row}"]
        cell.value = _number(value) if name in NUMBERS else value
        cell.fill = book.FIXED if name in FIXED else book.FILL
        cell.alignment = book.WRAP
    sheet[f"A{HEADER_ROW - 1}"], sheet[f"A{HEADER_ROW - 1}"].font = texts["rows_block"], book.BOLD
    for column, header in enumerate(texts["headers"], start=1):
        sheet.cell(HEADER_ROW, column, header).font = book.BOLD
    applicable, bands = _names("applicable"), _names("band")
    lists = {
        "G": DataValidation(type="list", formula1=f'"{",".join(applicable.values())}"'),
        "J": DataValidation(type="list", formula1=f'"{",".join(bands.values())}"'),
    }
    for validation in lists.values():
        sheet.add_data_validation(validation)
    answered = {row.get(ROW_KEY): row for row in data.get("indicators") or []}
    for offset, facts in enumerate(data[META]["indicators"]):
        row = FIRST_ROW + offset
        given = {**facts, **answered.get(facts[ROW_KEY], {})}
        fixed = [facts[ROW_KEY], facts.get("level1"), facts.get("level2"), facts.get("name")]
        for column, value in enumerate([*fixed, _target(facts)], start=1):
            sheet.cell(row, column, value).fill = book.FIXED
        qualitative = bool(facts.get("target_text"))
        filled = [
            _number(given.get("weight")),
            applicable.get(str(given.get("applicable", True)), ""),
            given.get("na_reason"),
            given.get("actual_text") if qualitative else _number(given.get("actual")),
            bands.get(str(given.get("band") or ""), "") if qualitative else None,
            _number(given.get("band_score")) if qualitative else None,
            given.get("deviation"),
        ]
        for column, value in enumerate(filled, start=6):
            cell = sheet.cell(row, column, value)
            cell.fill, cell.alignment = book.FILL, book.WRAP
        for column, validation in lists.items():
            validation.add(f"{column}{row}")
    sheet.freeze_panes = f"F{FIRST_ROW}"
    book.mark(workbook, KIND, start.evaluation_id)
    return book.save(workbook)


def read_evaluation_template(workbook: Any) -> tuple[Cells, tuple[CellProblem, ...]]:
    """The answers in an uploaded template, and the cells that cannot be answers at all."""
    name = words()["sheet"]
    if name not in workbook.sheetnames:
        return Cells(), (CellProblem(name, Problem("upload_sheet_missing", {"sheet": name})),)
    sheet = workbook[name]
    problems: list[CellProblem] = []
    fields = {
        field: Cell(f"{name}!B{row}", book.text_of(sheet[f"B{row}"].value))
        for field, row in TOP_ROWS
        if field not in FIXED
    }
    rows: dict[str, dict[str, Cell]] = {}
    row = FIRST_ROW
    while sheet[f"A{row}"].value is not None:
        cells: dict[str, Cell] = {}
        for column, names in ROW_COLUMNS:
            where = f"{name}!{column}{row}"
            raw = sheet[f"{column}{row}"].value
            text = book.text_of(raw)
            if names[0] in CHOICES:
                text = book.choice_text(_names(names[0]), text, where, problems)
                if text is None and raw is not None:
                    continue  # refused: left unanswered, asked in the chat
            for field in names:
                cells[field] = Cell(where, text)
        rows[book.text_of(sheet[f"A{row}"].value) or ""] = cells
        row += 1
    return Cells(fields=fields, rows={"indicators": rows}), tuple(problems)
