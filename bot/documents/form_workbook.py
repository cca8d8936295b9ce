"""What every fill-in template (.xlsx) shares: the marker that says which item it is for,
and how a cell reads as the text a person would have typed.

The marker sits on a hidden sheet, so a template renamed or forwarded still finds its item;
the importer then checks the person may fill that item, exactly as a button press would.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING, Any

from workflow.forms.imports import CellProblem
from workflow.forms.spec import Problem

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

MARKER_SHEET = "_perfbot"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a template with a few hundred rows is far smaller


@cache
def _styles() -> dict[str, Any]:
    # openpyxl is imported when a template is made or read, not when the bot starts.
    from openpyxl.styles import Alignment, Font, PatternFill

    return {
        "FILL": PatternFill("solid", fgColor="FFF2CC"),  # the cells to fill in: pale yellow
        "FIXED": PatternFill("solid", fgColor="E7E6E6"),  # given values: grey
        "BOLD": Font(bold=True),
        "WRAP": Alignment(wrap_text=True, vertical="top"),
    }


def __getattr__(name: str) -> Any:
    """FILL, FIXED, BOLD and WRAP: the shared styles, made on first use."""
    if name in ("FILL", "FIXED", "BOLD", "WRAP"):
        return _styles()[name]
    raise AttributeError(name)


def mark(workbook: Workbook, kind: str, item_id: int) -> None:
    """Write the hidden marker: which kind of item and which one the template is for."""
    sheet = workbook.create_sheet(MARKER_SHEET)
    sheet["A1"], sheet["B1"] = kind, item_id
    sheet.sheet_state = "hidden"


def marker(workbook: Any) -> tuple[str, int] | None:
    """(kind, item id) of an uploaded template, None when it is not one of ours."""
    if MARKER_SHEET not in workbook.sheetnames:
        return None
    sheet = workbook[MARKER_SHEET]
    kind, item = sheet["A1"].value, sheet["B1"].value
    if not isinstance(kind, str) or not isinstance(item, int) or not 0 < item < 2**31:
        return None
    return kind, item


def read(content: bytes) -> Any | None:
    """The workbook in an upload, None when the bytes are not a readable .xlsx."""
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(content), read_only=False, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        return None


def text_of(value: Any) -> str | None:
    """A cell's value as typed text: 120.5 stays "120.5", a whole float loses its ".0"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        try:
            number = Decimal(repr(value))
        except InvalidOperation:
            return str(value)
        return format(number.normalize(), "f") if number == number.to_integral() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    text = str(value).strip()
    return text or None


def plain(label: str) -> str:
    """A choice label without its emoji and spaces: "✅ 确定能" → "确定能"."""
    return re.sub(r"[^\w（）()]", "", label)


SEPARATORS = re.compile(r"[、,，;；/\s]+")


def choice_text(
    names: Mapping[str, str], text: str | None, where: str, problems: list[CellProblem]
) -> str | None:
    """A choice cell (names, value → plain label) as the value(s) the form takes; a word
    that names no choice is refused by cell (and None returned)."""
    if text is None:
        return None
    values_of = {name: value for value, name in names.items()}
    words = [word for word in SEPARATORS.split(text) if plain(word)]  # emoji dropped
    values = [values_of.get(plain(word)) for word in words]
    unknown = [word for word, value in zip(words, values, strict=True) if value is None]
    if unknown:
        choices = "、".join(values_of)
        problem = Problem("upload_unknown_choice", {"value": unknown[0], "choices": choices})
        problems.append(CellProblem(where, problem))
        return None
    return " ".join(value for value in values if value)


def setup_sheet(sheet: Worksheet, widths: dict[str, int]) -> None:
    """Column widths of a template sheet."""
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width


def save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
