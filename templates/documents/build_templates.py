"""Build the Word templates under templates/documents/ (run it after changing the layout).

    python templates/documents/build_templates.py

goal_declaration.docx: the 项目支出绩效目标申报表 laid out like the national form, with
docxtpl tags: a header block, the funds block, goals and basis, the schedule rows, the
indicator table (一级 and 二级 cells merged down their rows through `w:vMerge`, whose
value the filler computes) and the review-opinion block. bot/goal_document.py fills it.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

HERE = Path(__file__).resolve().parent
FONT = "宋体"
HEADING_FONT = "黑体"


def set_font(
    paragraph: Paragraph, *, size: float = 10.5, bold: bool = False, face: str = FONT
) -> None:
    """Chinese text needs the East Asian font set explicitly."""
    for run in paragraph.runs:
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = face
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), face)


def write(
    cell: _Cell, text: str, *, bold: bool = False, center: bool = False, top: bool = False
) -> None:
    """Put one line of text (or one docxtpl tag) in a cell; long texts start at the top."""
    paragraph = cell.paragraphs[0]
    paragraph.text = text
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cell.vertical_alignment = (
        WD_CELL_VERTICAL_ALIGNMENT.TOP if top else WD_CELL_VERTICAL_ALIGNMENT.CENTER
    )
    set_font(paragraph, bold=bold)


def row_height(row: _Row, centimetres: float) -> None:
    """At least this high (it grows with its text), and never split across pages."""
    row.height = Cm(centimetres)
    row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def repeat_on_each_page(row: _Row) -> None:
    """A table's title row, shown again on every page the table runs onto."""
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def keep_with_next(table_or_paragraph: Table | Paragraph) -> None:
    """Keep this (every line of a table) on the page of what follows it."""
    paragraphs = (
        [p for row in table_or_paragraph.rows for c in row.cells for p in c.paragraphs]
        if isinstance(table_or_paragraph, Table)
        else [table_or_paragraph]
    )
    for paragraph in paragraphs:
        paragraph.paragraph_format.keep_with_next = True


def merge_from_data(cell: _Cell, variable: str) -> None:
    """Let the filler decide, row by row, whether this cell starts or continues a merge."""
    properties = cell._tc.get_or_add_tcPr()
    merge = OxmlElement("w:vMerge")
    merge.set(qn("w:val"), "{{ " + variable + " }}")
    width = properties.find(qn("w:tcW"))
    # Schema order inside tcPr: tcW, gridSpan, vMerge, ... vAlign.
    if width is not None:
        width.addnext(merge)
    else:
        properties.insert(0, merge)


def table(document: Document, rows: int, widths: list[float]) -> Table:
    """A bordered table with fixed column widths (cm), the same in Word and LibreOffice.

    Word reads each cell's width, LibreOffice the table's grid: both are set, and the
    layout is fixed so that neither stretches columns to their text.
    """
    grid = document.add_table(rows=rows, cols=len(widths))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = Cm(width)
    for row in grid.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    return grid


def heading(document: Document, text: str) -> None:
    """A section heading between tables, never left alone at the foot of a page."""
    paragraph = document.add_paragraph(text)
    paragraph.paragraph_format.space_before = Pt(8)
    paragraph.paragraph_format.keep_with_next = True
    set_font(paragraph, size=12, bold=True, face=HEADING_FONT)


def header_block(document: Document) -> None:
    """Header, funds, goals and basis in one four-column table, as on the national form."""
    labels = [
        ("项目名称", "{{ name }}", None, None),
        ("主管部门", "{{ department }}", "实施单位", "{{ organisation }}"),
        ("项目属性", "{{ attribute }}", "项目期", "{{ period }}"),
        ("项目负责人", "{{ person_in_charge }}", "联系电话", "{{ phone }}"),
        ("是否重点项目", "{{ is_key }}", "协同部门", "{{ codepartments }}"),
    ]
    funds = [
        ("资金总额", "{{ funds.total }}"),
        ("其中：财政拨款", "{{ funds.fiscal }}"),
        ("　　　上年结转", "{{ funds.carryover }}"),
        ("　　　其他资金", "{{ funds.other }}"),
        ("年度申请额", "{{ funds.annual }}"),
    ]
    goals = [
        ("总体目标", "{{ overall_goal }}"),
        ("年度目标", "{{ annual_goal }}"),
        ("立项依据", "{{ basis }}"),
    ]
    grid = table(document, len(labels) + len(funds) + len(goals), [3.2, 5.0, 3.0, 5.4])
    for row in grid.rows:
        row_height(row, 0.8)
    for index, (label1, value1, label2, value2) in enumerate(labels):
        cells = grid.rows[index].cells
        write(cells[0], label1, bold=True, center=True)
        if label2 is None:
            merged = cells[1].merge(cells[3])
            write(merged, value1)
        else:
            write(cells[1], value1)
            write(cells[2], label2, bold=True, center=True)
            write(cells[3], value2)
    start = len(labels)
    for offset, (label, value) in enumerate(funds):
        cells = grid.rows[start + offset].cells
        write(cells[1], label)
        write(cells[2].merge(cells[3]), value, center=True)
    funds_label = grid.cell(start, 0).merge(grid.cell(start + len(funds) - 1, 0))
    write(funds_label, "项目资金\n（万元）", bold=True, center=True)
    start += len(funds)
    for offset, (label, value) in enumerate(goals):
        row = grid.rows[start + offset]
        row_height(row, 2.0)  # room to write by hand, as on the printed form
        write(row.cells[0], label, bold=True, center=True)
        write(row.cells[1].merge(row.cells[3]), value, top=True)


def looped_table(
    document: Document,
    titles: list[str],
    cells: list[tuple[str, bool]],
    widths: list[float],
    loop: str,
) -> Table:
    """A title row (repeated on each page), then one row per item of `loop` (docxtpl
    {%tr %} rows); `cells` are each column's tag and whether it is centred."""
    grid = table(document, 4, widths)
    for cell, text in zip(grid.rows[0].cells, titles, strict=True):
        write(cell, text, bold=True, center=True)
    repeat_on_each_page(grid.rows[0])
    row_height(grid.rows[0], 0.7)
    write(grid.rows[1].cells[0], "{%tr for row in " + loop + " %}")
    for cell, (text, center) in zip(grid.rows[2].cells, cells, strict=True):
        write(cell, text, center=center)
    row_height(grid.rows[2], 0.7)
    write(grid.rows[3].cells[0], "{%tr endfor %}")
    return grid


def review_block(document: Document) -> None:
    """Where each reviewer writes (or the bot fills) their opinion."""
    stages = [
        ("部门（单位）\n审核意见", "department"),
        ("财政业务科室\n审核意见", "business"),
        ("绩效管理科\n审核意见", "performance"),
        ("预算科\n审核意见", "budget"),
    ]
    grid = table(document, len(stages), [3.2, 13.4])
    for index, (label, key) in enumerate(stages):
        row = grid.rows[index]
        row_height(row, 2.0)
        write(row.cells[0], label, bold=True, center=True)
        write(row.cells[1], "{{ opinions." + key + " }}\n\n（盖章）　　　　　　　　年　　月　　日")
    keep_with_next(grid)  # the block stays whole, and with the line under it


def build_goal_declaration(path: Path) -> None:
    """The 项目支出绩效目标申报表 template."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.0)
    title = document.add_paragraph("项目支出绩效目标申报表")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(title, size=18, bold=True, face=HEADING_FONT)
    year = document.add_paragraph("（{{ year }}年度）")
    year.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(year, size=12)
    unit = document.add_paragraph("填报单位（盖章）：{{ organisation }}　　　　金额单位：万元")
    set_font(unit)
    header_block(document)
    heading(document, "实施进度计划")
    looped_table(
        document,
        ["序号", "实施内容", "开始时间", "完成时间"],
        [
            ("{{ row.number }}", True),
            ("{{ row.content }}", False),
            ("{{ row.start }}", True),
            ("{{ row.end }}", True),
        ],
        [1.2, 7.8, 3.8, 3.8],
        "schedule",
    )
    heading(document, "绩效指标")
    indicators = looped_table(
        document,
        ["一级指标", "二级指标", "三级指标", "指标值", "权重（分）"],
        [
            ("{{ row.level1_text }}", True),
            ("{{ row.level2_text }}", True),
            ("{{ row.name }}", False),
            ("{{ row.target }}", True),
            ("{{ row.weight }}", True),
        ],
        [2.4, 3.8, 4.6, 3.4, 2.4],
        "indicators",
    )
    merge_from_data(indicators.cell(2, 0), "row.merge1")
    merge_from_data(indicators.cell(2, 1), "row.merge2")
    heading(document, "审核意见")
    review_block(document)
    footer = document.add_paragraph(
        "填表人：{{ filled_by }}　　联系电话：{{ filled_by_phone }}　　填报日期：{{ submitted_on }}"
    )
    footer.paragraph_format.space_before = Pt(6)
    set_font(footer, size=9)
    document.save(path)


if __name__ == "__main__":
    build_goal_declaration(HERE / "goal_declaration.docx")
