"""The publication table (绩效目标公开表) as files: xlsx (openpyxl) and docx (python-docx).

Labels come from templates/documents/disclosure.toml. The xlsx has one row per indicator
with the project's cells merged over its rows, the layout the provincial platform's upload
template uses; the docx has one table per project, readable on a portrait page.
"""

from __future__ import annotations

import io
import tomllib
from copy import copy
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from bot.ui.render import TEMPLATES
from workflow.goals.disclosure import DisclosedIndicator, DisclosedProject, Disclosure
from workflow.review.notices import money_text

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell

PROJECT_COLUMNS = (
    "index",
    "project",
    "organisation",
    "funds_total",
    "funds_fiscal",
    "funds_carryover",
    "funds_other",
    "annual_amount",
    "overall_goal",
    "annual_goal",
)
INDICATOR_COLUMNS = ("level1", "level2", "level3", "target")
MONEY_FORMAT = "#,##0.00####"
WIDTHS = {
    "project": 24,
    "organisation": 18,
    "overall_goal": 36,
    "annual_goal": 36,
    "level3": 22,
    "target": 14,
}


@lru_cache(maxsize=1)
def labels() -> dict[str, Any]:
    """The table's labels."""
    return tomllib.loads((TEMPLATES / "documents" / "disclosure.toml").read_text("utf-8"))


def target_text(indicator: DisclosedIndicator) -> str:
    """指标值 as published: ≥500人次, or the grade of a qualitative indicator."""
    if indicator.sign == "定性":
        return indicator.value
    return f"{indicator.sign}{indicator.value}{indicator.unit}"


def file_name(disclosure: Disclosure, extension: str) -> str:
    """e.g. 2026年度绩效目标公开表-市教育局.xlsx"""
    return f"{disclosure.year}年度绩效目标公开表-{disclosure.department}.{extension}"


def _project_name(project: DisclosedProject) -> str:
    if not project.adjusted:
        return project.name
    return project.name + labels()["adjusted"].format(number=project.version_number)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return money_text(value) or ""
    return str(value)


def _project_values(number: int, project: DisclosedProject) -> dict[str, Any]:
    return {
        "index": number,
        "project": _project_name(project),
        "organisation": project.organisation,
        "funds_total": project.funds_total,
        "funds_fiscal": project.funds_fiscal,
        "funds_carryover": project.funds_carryover,
        "funds_other": project.funds_other,
        "annual_amount": project.annual_amount,
        "overall_goal": project.overall_goal,
        "annual_goal": project.annual_goal,
    }


class _Styles:
    """One cell per style, copied into every cell that wears it: a style object per cell
    made the file's size and time grow with every cell."""

    def __init__(self, sheet: Any) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Border, Font, Side

        self._new = WriteOnlyCell

        thin = Side(style="thin")
        box = Border(left=thin, right=thin, top=thin, bottom=thin)
        wrapped = Alignment(wrap_text=True, vertical="center")
        self.sheet = sheet
        self.title = self._template(
            font=Font(bold=True, size=14), alignment=Alignment(horizontal="center")
        )
        self.header = self._template(font=Font(bold=True), border=box, alignment=wrapped)
        self.body = self._template(border=box, alignment=wrapped)
        self.money = self._template(border=box, alignment=wrapped, number_format=MONEY_FORMAT)

    def _template(self, **style: Any) -> WriteOnlyCell:
        cell = self._new(self.sheet)
        for name, value in style.items():
            setattr(cell, name, value)
        return cell

    def cell(self, value: Any, template: WriteOnlyCell) -> WriteOnlyCell:
        cell = self._new(self.sheet, value)
        cell._style = copy(template._style)  # the style ids, not new style objects
        return cell


def disclosure_xlsx(disclosure: Disclosure) -> bytes:
    """The table as an Excel workbook, written row by row (openpyxl's write-only mode)."""
    # openpyxl and python-docx are imported when a file is made: the bot starts lighter.
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.cell_range import CellRange, MultiCellRange

    text, columns = labels(), labels()["columns"]
    names = (*PROJECT_COLUMNS, *INDICATOR_COLUMNS)
    width = len(names)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(text["sheet"])
    for column, name in enumerate(names, start=1):  # before any row: write-only asks so
        sheet.column_dimensions[get_column_letter(column)].width = WIDTHS.get(name, 12)
    styles = _Styles(sheet)
    merges = [CellRange(min_row=1, min_col=1, max_row=1, max_col=width)]
    sheet.append([styles.cell(text["title"].format(year=disclosure.year), styles.title)])
    note = [text["department"].format(department=disclosure.department)]
    sheet.append(note + [None] * (width - 2) + [text["unit_note"]])
    sheet.append([styles.cell(columns[name], styles.header) for name in names])
    row = 4
    for number, project in enumerate(disclosure.projects, start=1):
        rows = project.indicators or [None]
        values = _project_values(number, project)
        for offset, indicator in enumerate(rows):
            line = [
                styles.cell(
                    values[name] if offset == 0 else None,
                    styles.money if isinstance(values[name], Decimal) else styles.body,
                )
                for name in PROJECT_COLUMNS
            ]
            cells = (
                (indicator.level1, indicator.level2, indicator.name, target_text(indicator))
                if indicator is not None
                else (None,) * len(INDICATOR_COLUMNS)
            )
            sheet.append(line + [styles.cell(value, styles.body) for value in cells])
        if len(rows) > 1:
            last = row + len(rows) - 1
            merges += [
                CellRange(min_row=row, min_col=column, max_row=last, max_col=column)
                for column in range(1, len(PROJECT_COLUMNS) + 1)
            ]
        row += len(rows)
    if not disclosure.projects:
        sheet.append([text["empty"]])
    # Set once: adding ranges one by one checks each against all before it (quadratic).
    sheet.merged_cells = MultiCellRange(merges)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_COLUMN = 2160  # a portrait page's text width in twentieths of a point, over 4 columns
_TABLE_START = (
    f'<w:tbl xmlns:w="{_W}"><w:tblPr><w:tblStyle w:val="TableGrid"/>'
    '<w:tblW w:type="auto" w:w="0"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" '
    'w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
    "<w:tblGrid>" + f'<w:gridCol w:w="{_COLUMN}"/>' * 4 + "</w:tblGrid>"
)


def _paragraph(text: str, *, bold: bool = False) -> str:
    """A paragraph of escaped text; line breaks kept as Word's."""
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    lines = "<w:br/>".join(
        f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in text.split("\n")
    )
    return f"<w:p><w:r>{props}{lines}</w:r></w:p>" if text else "<w:p/>"


def _cell(text: str, *, span: int = 1, bold: bool = False) -> str:
    grid = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    width = f'<w:tcW w:type="dxa" w:w="{_COLUMN * span}"/>'
    return f"<w:tc><w:tcPr>{width}{grid}</w:tcPr>{_paragraph(text, bold=bold)}</w:tc>"


def _project_table(number: int, project: DisclosedProject) -> Any:
    """One project's table (its facts, then its indicators), written as WordprocessingML:
    python-docx's row and merge calls cost ~50 ms a table."""
    columns = labels()["columns"]
    values = _project_values(number, project)
    rows = [
        f"<w:tr>{_cell(columns[name])}{_cell(_cell_text(values[name]), span=3)}</w:tr>"
        for name in PROJECT_COLUMNS[1:]
    ]
    rows.append(
        "<w:tr>" + "".join(_cell(columns[n], bold=True) for n in INDICATOR_COLUMNS) + "</w:tr>"
    )
    for indicator in project.indicators:
        cells = (indicator.level1, indicator.level2, indicator.name, target_text(indicator))
        rows.append("<w:tr>" + "".join(_cell(text) for text in cells) + "</w:tr>")
    from docx.oxml import parse_xml

    return parse_xml(_TABLE_START + "".join(rows) + "</w:tbl>")


def disclosure_docx(disclosure: Disclosure) -> bytes:
    """The table as a Word document: one table per project."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.shared import Pt

    text = labels()
    document = Document()
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(text["title"].format(year=disclosure.year))
    run.bold, run.font.size = True, Pt(16)
    document.add_paragraph(
        text["department"].format(department=disclosure.department) + "    " + text["unit_note"]
    )
    if not disclosure.projects:
        document.add_paragraph(text["empty"])
    # Added before the section properties directly: python-docx finds that place by
    # scanning the body once per element added, which made a long document quadratic.
    end = document.element.body.sectPr
    for number, project in enumerate(disclosure.projects, start=1):
        end.addprevious(_project_table(number, project))
        end.addprevious(parse_xml(f'<w:p xmlns:w="{_W}"/>'))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
