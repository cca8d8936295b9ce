"""Previews of the bot's documents for the web chat: a .docx's first pages and an .xlsx's
first sheets as escaped HTML, drawn on the server so the page never parses an office file."""

from __future__ import annotations

import datetime as dt
import html
import io
import zipfile
from collections.abc import Iterator
from typing import Any

MAX_BYTES = 20 * 1024 * 1024  # larger files are only downloaded
DOCX_CHARS = 3000  # about two printed pages of the bureau's tables and text
DOCX_BLOCKS = 120
TABLE_ROWS = 40
SHEET_ROWS = 50
SHEET_COLS = 20
SHEETS = 3
CELL_CHARS = 200
MORE = '<p class="pv-more">……（预览到此为止，完整内容请下载文件）</p>'


class PreviewError(ValueError):
    """The file cannot be previewed (damaged, too large or not what its name says)."""


def _text(value: str, limit: int = CELL_CHARS) -> str:
    """Escaped text, cut to limit characters, line breaks kept."""
    cut = value if len(value) <= limit else value[: limit - 1] + "…"
    return html.escape(cut).replace("\n", "<br>")


def _open_zip(data: bytes) -> None:
    """Refuse what is not an Office zip before a parser sees it."""
    if len(data) > MAX_BYTES:
        raise PreviewError("文件太大，不能预览，请下载后查看。")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise PreviewError("这个文件无法预览（不是有效的 Office 文件）。")


# --- .docx ----------------------------------------------------------------------------------


def _docx_blocks(document: Any) -> Iterator[Any]:
    """Paragraphs and tables in the order the body has them."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, document)
        elif child.tag == qn("w:tbl"):
            yield Table(child, document)


def _docx_table(table: Any) -> tuple[str, int]:
    """One table, merged cells drawn once with their spans, and how many characters it holds."""
    rows = list(table.rows)
    grid = [[cell._tc for cell in row.cells] for row in rows[:TABLE_ROWS]]
    texts = {id(cell._tc): cell.text.strip() for row in rows[:TABLE_ROWS] for cell in row.cells}
    drawn, used = [], 0
    for r, line in enumerate(grid):
        cells = []
        for c, tc in enumerate(line):
            left = c > 0 and line[c - 1] is tc
            above = r > 0 and c < len(grid[r - 1]) and grid[r - 1][c] is tc
            if left or above:  # covered by a merged cell drawn already
                continue
            span = next((n for n in range(c + 1, len(line)) if line[n] is not tc), len(line)) - c
            down = 1
            while r + down < len(grid) and c < len(grid[r + down]) and grid[r + down][c] is tc:
                down += 1
            spans = (f' colspan="{span}"' if span > 1 else "") + (
                f' rowspan="{down}"' if down > 1 else ""
            )
            text = texts[id(tc)]
            used += len(text)
            cells.append(f"<td{spans}>{_text(text)}</td>")
        drawn.append("<tr>" + "".join(cells) + "</tr>")
    if len(rows) > TABLE_ROWS:
        drawn.append('<tr><td colspan="99">……</td></tr>')
    return '<table class="pv-table">' + "".join(drawn) + "</table>", used


def docx_preview(data: bytes) -> str:
    """The first pages of a Word document as escaped HTML: headings, paragraphs, tables."""
    _open_zip(data)
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds for a damaged file
        raise PreviewError("这个 Word 文件无法预览，请下载后查看。") from exc
    parts: list[str] = []
    used = 0
    for number, block in enumerate(_docx_blocks(document)):
        if used >= DOCX_CHARS or number >= DOCX_BLOCKS:
            parts.append(MORE)
            break
        if hasattr(block, "rows"):
            drawn, size = _docx_table(block)
            parts.append(drawn)
            used += size
            continue
        text = block.text.strip()
        if not text:
            continue
        style = (block.style.name if block.style is not None else "") or ""
        tag = "h4" if style.startswith(("Heading", "Title")) or style in ("标题",) else "p"
        parts.append(f"<{tag}>{_text(text, DOCX_CHARS)}</{tag}>")
        used += len(text)
    return '<div class="pv-docx">' + "".join(parts) + "</div>"


# --- .xlsx ----------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """A cell value as the sheet shows it, roughly."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sheet(sheet: Any) -> str:
    """The top-left corner of one sheet as a table."""
    rows: list[str] = []
    wide = False
    for number, values in enumerate(sheet.iter_rows(values_only=True, max_row=SHEET_ROWS + 1)):
        if number == SHEET_ROWS:
            rows.append(f'<tr><td colspan="{SHEET_COLS}">……</td></tr>')
            break
        wide = wide or len(values) > SHEET_COLS
        cells = "".join(f"<td>{_text(_cell(v))}</td>" for v in values[:SHEET_COLS])
        rows.append(f"<tr><th>{number + 1}</th>{cells}</tr>")
    note = '<p class="pv-more">（只显示前 20 列）</p>' if wide else ""
    title = f"<h4>{_text(str(sheet.title))}</h4>"
    if not rows:
        return title + '<p class="pv-more">（空白工作表）</p>'
    return title + '<table class="pv-table">' + "".join(rows) + "</table>" + note


def xlsx_preview(data: bytes) -> str:
    """The first sheets of a workbook (values, not formulas) as escaped HTML tables."""
    _open_zip(data)
    try:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise PreviewError("这个 Excel 文件无法预览，请下载后查看。") from exc
    try:
        sheets = book.worksheets
        parts = [_sheet(sheet) for sheet in sheets[:SHEETS]]
        if len(sheets) > SHEETS:
            more = len(sheets) - SHEETS
            parts.append(f'<p class="pv-more">（还有 {more} 张工作表，请下载查看）</p>')
    finally:
        book.close()
    return '<div class="pv-xlsx">' + "".join(parts) + "</div>"


RENDERERS = {"docx": docx_preview, "xlsx": xlsx_preview}
