"""The self-evaluation files read back: one project's 自评表 (docx), cell by cell; access."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from docx import Document

from bot.documents.evaluation_sheet import evaluation_sheet_docx, sheet_file_name
from storage.db import Database
from tests.evaluation_world import DEFAULT_ROWS, Filled, evaluated_project
from tests.review_world import World, build_world
from workflow.core.access import AccessDenied
from workflow.evaluation import documents
from workflow.evaluation.scoring import shown


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


def cells(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


async def test_the_self_evaluation_sheet_reads_back_cell_by_cell(world: World) -> None:
    built = await evaluated_project(world)
    sheet = await documents.evaluation_sheet(
        world.db, actor=world["edu_staff"], evaluation_id=built.evaluation_id
    )
    doc = Document(io.BytesIO(evaluation_sheet_docx(sheet)))
    head, funds, goals, indicators, total = doc.tables
    assert cells(head) == [
        ["项目名称", "教师培训项目"],
        ["主管部门", "市教育局"],
        ["实施单位", "市教育局"],
        ["评价年度", "2026"],
    ]
    assert cells(funds)[0] == [
        "年初预算数",
        "全年预算数（A）",
        "全年执行数（B）",
        "分值",
        "执行率（B/A）",
        "得分",
    ]
    # 100 / 120.5 = 82.99 %; the 预算执行率 scores 8.30 of 10.
    assert cells(funds)[1] == ["120.50", "120.50", "100.00", "10", "82.99%", "8.30"]
    assert "执行率低于 90% 的原因：年底部分款项未结算" in [p.text for p in doc.paragraphs]
    assert cells(goals) == [["预期目标", "实际完成情况"], ["完成全市教师轮训", "完成轮训 450 人次"]]
    rows = cells(indicators)
    assert rows[0][5:] == ["分值", "得分", "偏差原因分析及改进措施"]
    assert rows[1] == [
        "产出",
        "数量",
        "培训人次",
        "≥500人次",
        "450人次",
        "50",
        "45.00",
        "部分学校停课；改进措施：下年提前排期",
    ]
    assert rows[2] == ["效益", "社会效益", "教学质量提升", "达成", "基本达成", "30", "21.00", ""]
    assert rows[3][3:7] == ["≥90%", "95%", "10", "10.00"]
    assert cells(total) == [
        ["总分", str(shown(built.total)), "评价等级", built.grade],
        ["存在问题", "培训排期偏晚", "改进措施", "提前制定培训计划"],
    ]
    assert sheet_file_name(sheet) == "绩效自评表_教师培训项目.docx"


async def test_a_row_not_applicable_is_marked_and_the_total_rescaled(world: World) -> None:
    rows = dict(DEFAULT_ROWS)
    rows["参训教师满意度"] = Filled("10", applicable=False)
    built = await evaluated_project(world, rows=rows)
    sheet = await documents.evaluation_sheet(
        world.db, actor=world["biz1"], evaluation_id=built.evaluation_id
    )
    table = Document(io.BytesIO(evaluation_sheet_docx(sheet))).tables[3]
    assert cells(table)[3][5:7] == ["10", "不适用"]
    # (8.2988 + 45 + 21) / 90 × 100 = 82.55: 良.
    assert sheet.total == built.total and shown(built.total) == Decimal("82.55")
    assert built.grade == "良"


async def test_only_those_who_may_view_the_project_get_its_sheet(world: World) -> None:
    built = await evaluated_project(world)
    for viewer in ("edu_head", "biz1", "perf", "budget"):
        sheet = await documents.evaluation_sheet(
            world.db, actor=world[viewer], evaluation_id=built.evaluation_id
        )
        assert sheet.project == "教师培训项目"
    for outsider in ("health_staff", "biz2", "school_staff"):
        with pytest.raises(AccessDenied):
            await documents.evaluation_sheet(
                world.db, actor=world[outsider], evaluation_id=built.evaluation_id
            )
