"""Every figure behind the /stats charts as .xlsx: one sheet per view, headers frozen,
filters on, money as numbers in a 万元 format, rates as percentages.

Written with openpyxl's write-only mode, row by row to a file: memory stays flat however many
rows a view has (a province's departments, every project of a year).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.dashboards import words
from workflow.dashboards.registry import Measure, View

FORMATS = {
    Measure.money: '#,##0.00" 万元"',
    Measure.rate: "0.0%",
    Measure.days: "0.0",
    Measure.score: "0.00",
    Measure.count: "#,##0",
}
WIDTHS = {Measure.label: 24}
DEFAULT_WIDTH = 14


def file_name(year: int) -> str:
    return f"{year}年度统计汇总.xlsx"


def write_workbook(views: Iterable[View], path: Path) -> int:
    """Write the views to `path`; the number of sheets."""
    # openpyxl (with numpy, Pillow and lxml) is imported when a file is made, not at start.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    sheets = 0
    for view in views:
        sheet = book.create_sheet(words.sheet_name(view))
        sheets += 1
        for index, column in enumerate(view.columns, start=1):
            width = WIDTHS.get(column.measure, DEFAULT_WIDTH)
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        last = get_column_letter(len(view.columns))
        sheet.auto_filter.ref = f"A1:{last}{max(len(view.rows), 1) + 1}"
        header = []
        for text in words.headers(view):
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
            header.append(cell)
        sheet.append(header)
        for row in words.labelled_rows(view):
            sheet.append(
                [_cell(sheet, view, i, value, WriteOnlyCell) for i, value in enumerate(row)]
            )
    if not sheets:
        book.create_sheet("-")
    book.save(path)
    return sheets


def _cell(sheet: Any, view: View, index: int, value: Any, cell_type: Any) -> Any:
    """The value as written: numbers carry their measure's format (cell_type: WriteOnlyCell)."""
    measure = view.columns[index].measure
    if measure is Measure.label or value is None:
        return value
    cell = cell_type(sheet, value=value)  # Decimal stays a number in the file
    cell.number_format = FORMATS[measure]
    return cell
