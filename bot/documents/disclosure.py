"""The publication table (绩效目标公开表) as files: xlsx (openpyxl) and docx (python-docx).

Labels come from templates/documents/disclosure.toml. The xlsx has one row per indicator
with the project's cells merged over its rows, the layout the provincial platform's upload
template uses; the docx has one table per project, readable on a portrait page.
"""

from __future__ import annotations

import io
import tomllib
from decimal import Decimal
from functools import lru_cache
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from bot.ui.render import TEMPLATES
from workflow.goals.disclosure import DisclosedIndicator, DisclosedProject, Disclosure
from workflow.review.notices import money_text

PROJECT_COLUMNS = (
    "index",
    "project",
    "organisation",
    "funds_total",
    "funds_fiscal",
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
        "funds_other": project.funds_other,
        "annual_amount": project.annual_amount,
        "overall_goal": project.overall_goal,
        "annual_goal": project.annual_goal,
    }


def disclosure_xlsx(disclosure: Disclosure) -> bytes:
    """The table as an Excel workbook."""
    text, columns = labels(), labels()["columns"]
    names = (*PROJECT_COLUMNS, *INDICATOR_COLUMNS)
    book = Workbook()
    sheet = book.active
    sheet.title = text["sheet"]
    width = len(names)
    sheet.append([text["title"].format(year=disclosure.year)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([text["department"].format(department=disclosure.department)])
    sheet.cell(row=2, column=width, value=text["unit_note"])
    sheet.append([columns[name] for name in names])
    thin = Side(style="thin")
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    row = 4
    for number, project in enumerate(disclosure.projects, start=1):
        rows = project.indicators or [None]
        values = _project_values(number, project)
        for offset, indicator in enumerate(rows):
            line = [values[name] if offset == 0 else None for name in PROJECT_COLUMNS]
            if indicator is not None:
                line += [indicator.level1, indicator.level2, indicator.name, target_text(indicator)]
            sheet.append(line)
        for column, name in enumerate(PROJECT_COLUMNS, start=1):
            if len(rows) > 1:
                sheet.merge_cells(
                    start_row=row,
                    start_column=column,
                    end_row=row + len(rows) - 1,
                    end_column=column,
                )
            if isinstance(values[name], Decimal):
                sheet.cell(row=row, column=column).number_format = MONEY_FORMAT
        row += len(rows)
    if not disclosure.projects:
        sheet.append([text["empty"]])
    for line in sheet.iter_rows(min_row=3, max_row=max(3, row - 1)):
        for cell in line:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    for column, name in enumerate(names, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = WIDTHS.get(name, 12)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def disclosure_docx(disclosure: Disclosure) -> bytes:
    """The table as a Word document: one table per project."""
    text, columns = labels(), labels()["columns"]
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
    for number, project in enumerate(disclosure.projects, start=1):
        values = _project_values(number, project)
        table = document.add_table(rows=0, cols=4)
        table.style = "Table Grid"
        for name in PROJECT_COLUMNS[1:]:
            cells = table.add_row().cells
            merged = cells[1].merge(cells[3])
            cells[0].text = columns[name]
            merged.text = _cell_text(values[name])
        header = table.add_row().cells
        for cell, name in zip(header, INDICATOR_COLUMNS, strict=True):
            cell.text = columns[name]
            for paragraph in cell.paragraphs:
                for piece in paragraph.runs:
                    piece.bold = True
        for indicator in project.indicators:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = indicator.level1, indicator.level2
            cells[2].text, cells[3].text = indicator.name, target_text(indicator)
        document.add_paragraph()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
