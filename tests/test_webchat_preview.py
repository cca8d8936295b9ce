"""Document previews in the web chat: the bot's own .docx and .xlsx files drawn as escaped
HTML on the server, cut to a few pages or rows, never running what a cell says."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from docx import Document
from openpyxl import Workbook

from bot.documents.evaluation_scores import evaluation_scores_xlsx
from bot.documents.goal_sheet import render_goal_document
from sandbox.webchat import preview
from sandbox.webchat.preview import PreviewError, docx_preview, xlsx_preview
from storage.db import Database
from tests.goal_world import actor_of_person_db, build_goal_world, declared
from tests.test_goal_document import TODAY
from workflow.evaluation.documents import ScoreLine
from workflow.evaluation.report import ScoreRow
from workflow.goals import projects

SCRIPT = "<script>alert(1)</script>"


def _docx(*paragraphs: str, table: list[list[str]] | None = None) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        drawn = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(drawn.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _xlsx(rows: list[list[object]], *, sheets: int = 1) -> bytes:
    book = Workbook()
    for number in range(sheets):
        sheet = book.active if number == 0 else book.create_sheet()
        sheet.title = f"表{number + 1}"
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_the_declaration_form_previews_as_its_title_and_tables(database: Database) -> None:
    world = await build_goal_world(database)
    record = (await declared(database, world.staff)).record
    staff = await actor_of_person_db(database, world.staff)
    sheet = await projects.goal_sheet(database, actor=staff, project_id=record.project_id)
    shown = docx_preview(render_goal_document(sheet, today=TODAY))
    assert shown.index("项目支出绩效目标申报表") < shown.index("<table")
    # Merged cells are drawn once, spanning what they cover.
    assert '<td>项目名称</td><td colspan="3">职业技能提升培训</td>' in shown
    assert '<td rowspan="5">项目资金<br>（万元）</td>' in shown
    assert "<td>项目负责人</td><td>王芳</td>" in shown
    assert "0519-87654321" in shown


def test_a_paragraph_or_cell_with_markup_shows_as_text() -> None:
    shown = docx_preview(_docx(SCRIPT, 'a & "b"', table=[["<b>粗</b>", SCRIPT]]))
    assert "<script>" not in shown and "<b>粗" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "&lt;b&gt;粗&lt;/b&gt;" in shown and "a &amp; &quot;b&quot;" in shown


def test_merged_cells_keep_their_spans() -> None:
    document = Document()
    table = document.add_table(rows=3, cols=3)
    for r in range(3):
        for c in range(3):
            table.cell(r, c).text = f"{r}{c}"
    table.cell(0, 0).merge(table.cell(0, 1))
    table.cell(1, 2).merge(table.cell(2, 2))
    out = io.BytesIO()
    document.save(out)
    assert docx_preview(out.getvalue()) == (
        '<div class="pv-docx"><table class="pv-table">'
        '<tr><td colspan="2">00<br>01</td><td>02</td></tr>'
        '<tr><td>10</td><td>11</td><td rowspan="2">12<br>22</td></tr>'
        "<tr><td>20</td><td>21</td></tr></table></div>"
    )


def test_a_long_document_stops_after_about_two_pages() -> None:
    paragraphs = [f"第{n}段：" + "绩效目标" * 40 for n in range(200)]
    shown = docx_preview(_docx(*paragraphs))
    assert "第0段" in shown and "第199段" not in shown
    assert len(shown) < preview.DOCX_CHARS * 2 and "预览到此为止" in shown


def test_the_real_score_workbook_previews_with_values_escaped() -> None:
    line = ScoreLine(
        level1="产出指标",
        level2="数量指标",
        name="培训人次",
        target="≥3000人次",
        actual="3200人次",
        weight=Decimal("20"),
        score=Decimal("18.5"),
    )
    rows = [ScoreRow(f"项目{SCRIPT}", "市人社局", "submitted", line, Decimal("88.5"), "良")]
    shown = xlsx_preview(evaluation_scores_xlsx(rows))
    assert "<h4>自评得分</h4>" in shown
    assert "<td>项目名称</td><td>实施单位</td><td>自评表状态</td>" in shown
    assert "<td>项目&lt;script&gt;alert(1)&lt;/script&gt;</td>" in shown
    assert "<script>" not in shown
    assert "<td>待审核</td>" in shown and "<td>18.5</td>" in shown and "<td>88.5</td>" in shown


def test_a_big_workbook_is_cut_to_rows_columns_and_sheets() -> None:
    rows = [[f"r{r}c{c}" for c in range(30)] for r in range(80)]
    shown = xlsx_preview(_xlsx(rows, sheets=5))
    assert "r0c0" in shown and f"r0c{preview.SHEET_COLS - 1}" in shown
    assert f"r0c{preview.SHEET_COLS}" not in shown
    assert f"r{preview.SHEET_ROWS - 1}c0" in shown and f"r{preview.SHEET_ROWS}c0" not in shown
    assert "<h4>表3</h4>" in shown and "<h4>表4</h4>" not in shown
    assert "还有 2 张工作表" in shown and "只显示前 20 列" in shown


@pytest.mark.parametrize("render", [docx_preview, xlsx_preview])
def test_a_damaged_file_gets_a_clear_chinese_refusal(render) -> None:
    with pytest.raises(PreviewError, match="无法预览"):
        render(b"PK\x03\x04 not really a zip")
    with pytest.raises(PreviewError, match="无法预览"):
        render(b"plain text")
