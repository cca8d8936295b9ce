"""The 绩效跟踪表 as an .xlsx template: written pre-filled with the targets, read back as cells.

Layout (fixed, so an upload is read by position and each refusal names its cell): the
budget block in rows 5-9 (label in A, value in B), the indicator rows from row 12 with the
indicator's id in column A. Words from templates/documents/tracking.toml and the form's
catalog (its labels and choice names), so the template says what the chat says.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bot.conversations.form_text import catalog, label
from bot.documents import form_workbook as book
from bot.documents.tracking_sheet import labels
from workflow.forms.imports import Cell, CellProblem, Cells
from workflow.forms.spec import META, ROW_KEY, Problem
from workflow.tracking.form import TRACKING_FORM, TrackingStart

KIND = "tracking_report"
TOP_ROWS = (
    ("budget_initial", 5),
    ("budget_full_year", 6),
    ("executed", 7),
    ("expected_full_year", 8),
    ("light_reason", 9),
)
HEADER_ROW, FIRST_ROW = 11, 12
# Columns of an indicator row: E takes 1-9 月实际完成值 (a number) or 完成情况 (a 定性 text).
ROW_COLUMNS = (
    ("E", ("actual", "actual_text")),
    ("F", ("expected_completion",)),
    ("G", ("likelihood",)),
    ("H", ("causes",)),
    ("I", ("explanation",)),
    ("J", ("measures",)),
)


def _names(field: str) -> dict[str, str]:
    """value → plain name of a choice field of the indicator rows ("certain" → "确定能")."""
    fields = catalog(TRACKING_FORM)["subforms"]["indicators"]["fields"]
    return {value: book.plain(name) for value, name in fields[field]["choices"].items()}


def template_file_name(start: TrackingStart) -> str:
    return labels()["template"]["file"].format(project=start.project)


def _number(raw: Any) -> Decimal | str:
    return "" if raw is None else Decimal(str(raw))


def _target(row: Mapping[str, Any]) -> str:
    if row.get("target_text"):
        return str(row["target_text"])
    return f"{row.get('sign') or ''} {row.get('target') or ''}{row.get('unit') or ''}".strip()


def tracking_template_xlsx(start: TrackingStart) -> bytes:
    """The template of one report, with the answers given so far."""
    words = labels()["template"]
    data = start.initial
    from openpyxl import Workbook  # imported when a file is made: start-up stays light
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = words["sheet"]
    book.setup_sheet(sheet, {"A": 26, "B": 14, "C": 24, "D": 16, "E": 22, "F": 24, "G": 12})
    sheet["A1"] = words["title"].format(project=start.project, year=start.year)
    sheet["A1"].font = book.BOLD
    sheet["A2"] = words["guide"]
    sheet["A2"].alignment = book.WRAP
    sheet.merge_cells("A2:J2")
    sheet.row_dimensions[2].height = 75
    sheet["A4"], sheet["A4"].font = words["budget_block"], book.BOLD
    for name, row in TOP_ROWS:
        sheet[f"A{row}"] = label(TRACKING_FORM, name)
        value = data.get(name)
        cell = sheet[f"B{row}"]
        cell.value = value if name == "light_reason" else _number(value)
        cell.fill = book.FIXED if name == "budget_initial" else book.FILL
    sheet[f"A{HEADER_ROW - 1}"], sheet[f"A{HEADER_ROW - 1}"].font = (
        words["indicator_block"],
        book.BOLD,
    )
    for column, header in enumerate(words["indicator_headers"], start=1):
        sheet.cell(HEADER_ROW, column, header).font = book.BOLD
    likelihood, causes = _names("likelihood"), _names("causes")
    answered = {row.get(ROW_KEY): row for row in data.get("indicators") or []}
    choice = DataValidation(type="list", formula1=f'"{",".join(likelihood.values())}"')
    sheet.add_data_validation(choice)
    for offset, facts in enumerate(data[META]["indicators"]):
        row = FIRST_ROW + offset
        given = answered.get(facts[ROW_KEY], {})
        values = [facts[ROW_KEY], facts.get("level1"), facts.get("name"), _target(facts)]
        for column, value in enumerate(values, start=1):
            sheet.cell(row, column, value).fill = book.FIXED
        actual = given.get("actual_text") if facts.get("target_text") else given.get("actual")
        filled = [
            actual if facts.get("target_text") else _number(actual),
            given.get("expected_completion"),
            likelihood.get(given.get("likelihood") or "", ""),
            "、".join(causes.get(cause, cause) for cause in given.get("causes") or []),
            given.get("explanation"),
            given.get("measures"),
        ]
        for column, value in enumerate(filled, start=5):
            cell = sheet.cell(row, column, value)
            cell.fill, cell.alignment = book.FILL, book.WRAP
        choice.add(f"G{row}")
    sheet.freeze_panes = f"E{FIRST_ROW}"
    book.mark(workbook, KIND, start.report_id)
    return book.save(workbook)


def read_tracking_template(workbook: Any) -> tuple[Cells, tuple[CellProblem, ...]]:
    """The answers in an uploaded template, and the cells that cannot be answers at all."""
    words = labels()["template"]
    name = words["sheet"]
    if name not in workbook.sheetnames:
        return Cells(), (CellProblem(name, Problem("upload_sheet_missing", {"sheet": name})),)
    sheet = workbook[name]
    problems: list[CellProblem] = []
    fields = {
        field: Cell(f"{name}!B{row}", book.text_of(sheet[f"B{row}"].value))
        for field, row in TOP_ROWS
        if field != "budget_initial"
    }
    rows: dict[str, dict[str, Cell]] = {}
    row = FIRST_ROW
    while sheet[f"A{row}"].value is not None:
        key = book.text_of(sheet[f"A{row}"].value) or ""
        cells: dict[str, Cell] = {}
        for column, names in ROW_COLUMNS:
            where = f"{name}!{column}{row}"
            text = book.text_of(sheet[f"{column}{row}"].value)
            if names[0] in ("likelihood", "causes"):
                text = book.choice_text(_names(names[0]), text, where, problems)
                if text is None and sheet[f"{column}{row}"].value is not None:
                    continue  # refused above: left unanswered, asked in the chat
            for field in names:
                cells[field] = Cell(where, text)
        rows[key] = cells
        row += 1
    return Cells(fields=fields, rows={"indicators": rows}), tuple(problems)
