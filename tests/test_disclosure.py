"""Disclosure (公开): a department's issued goals as the publication table, in xlsx and docx."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import update

from bot.documents.disclosure import disclosure_docx, disclosure_xlsx, file_name
from storage.db import Database
from storage.models import GoalVersion
from tests.review_world import YEAR, World, approve_through, build_world, make_goal
from workflow.core.access import AccessDenied
from workflow.goals import issuance
from workflow.goals.disclosure import disclosure

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
ISSUED = dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    world = await build_world(database)
    edu = await make_goal(world, name="教师培训项目", amount="1200.123456")
    await approve_through(world, edu, now=NOW)
    school = await make_goal(world, org="SCHOOL", staff="school_staff", name="校舍维修")
    await approve_through(
        world,
        school,
        staff="school_staff",
        reviewers=("school_head", "edu_head", "biz1", "perf", "budget"),
        now=NOW,
    )
    waiting = await make_goal(world, name="尚在审核的项目")
    await approve_through(world, waiting, reviewers=("edu_head",), now=NOW)
    await issuance.issue_year(world.db, actor=world["budget"], year=YEAR, expected=2, now=ISSUED)
    return world


async def test_a_department_exports_its_and_its_units_issued_goals(world: World) -> None:
    table = await disclosure(world.db, actor=world["edu_staff"], year=YEAR)
    assert table.department == "市教育局"
    assert [(p.name, p.organisation) for p in table.projects] == [
        ("教师培训项目", "市教育局"),
        ("校舍维修", "市第一中学"),
    ]
    first = table.projects[0]
    assert first.annual_amount == Decimal("1200.123456")
    assert first.issued_on == dt.date(2026, 3, 20)
    assert [(i.level1, i.name, i.sign, i.value, i.unit) for i in first.indicators] == [
        ("产出", "培训人次", "≥", "500", "人次"),
        ("效益", "教学质量提升", "定性", "达成", ""),
        ("满意度", "参训教师满意度", "≥", "90", "%"),
    ]
    unit_only = await disclosure(world.db, actor=world["school_staff"], year=YEAR)
    assert [p.name for p in unit_only.projects] == ["校舍维修"]
    with pytest.raises(AccessDenied):
        await disclosure(
            world.db, actor=world["health_staff"], year=YEAR, organisation_id=world.orgs["EDU"]
        )
    empty = await disclosure(world.db, actor=world["edu_staff"], year=YEAR + 1)
    assert empty.empty


async def test_the_xlsx_is_the_publication_table(world: World) -> None:
    table = await disclosure(world.db, actor=world["edu_head"], year=YEAR)
    assert file_name(table, "xlsx") == "2026年度绩效目标公开表-市教育局.xlsx"
    sheet = load_workbook(io.BytesIO(disclosure_xlsx(table))).active
    assert sheet["A1"].value == "2026年度项目支出绩效目标公开表"
    assert sheet["A2"].value == "部门（单位）：市教育局"
    headers = [cell.value for cell in sheet[3]]
    assert headers == [
        "序号",
        "项目名称",
        "实施单位",
        "资金总额",
        "其中：财政拨款",
        "上年结转",
        "其他资金",
        "年度资金",
        "总体目标",
        "年度目标",
        "一级指标",
        "二级指标",
        "三级指标",
        "指标值",
    ]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    assert len(rows) == 6  # three indicators per project
    assert rows[0][:3] == [1, "教师培训项目", "市教育局"]
    assert Decimal(str(rows[0][7])) == Decimal("1200.123456")
    assert rows[0][9] == "完成全市教师轮训"
    assert [row[10:] for row in rows[:3]] == [
        ["产出", "数量", "培训人次", "≥500人次"],
        ["效益", "社会效益", "教学质量提升", "达成"],
        ["满意度", "服务对象满意度", "参训教师满意度", "≥90%"],
    ]
    assert rows[1][:10] == [None] * 10  # the project's cells are merged over its rows
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:N1", "B4:B6", "B7:B9", "F4:F6", "G7:G9"} <= merged
    assert rows[3][:3] == [2, "校舍维修", "市第一中学"]


async def test_carryover_and_other_funds_are_separate_columns(world: World) -> None:
    async with world.db.transaction() as session:
        await session.execute(
            update(GoalVersion)
            .where(GoalVersion.status == "issued")
            .values(
                funds_total=Decimal("120"),
                funds_fiscal=Decimal("100"),
                funds_carryover=Decimal("15.5"),
                funds_other=Decimal("4.5"),
                overall_goal="提升<教师>能力 & 水平\n第二年巩固",
            )
        )
    table = await disclosure(world.db, actor=world["edu_head"], year=YEAR)
    sheet = load_workbook(io.BytesIO(disclosure_xlsx(table))).active
    headers = [cell.value for cell in sheet[3]]
    first = {name: sheet.cell(row=4, column=n + 1).value for n, name in enumerate(headers)}
    assert Decimal(str(first["资金总额"])) == Decimal("120")
    assert Decimal(str(first["其中：财政拨款"])) == Decimal("100")
    assert Decimal(str(first["上年结转"])) == Decimal("15.5")
    assert Decimal(str(first["其他资金"])) == Decimal("4.5")
    document = Document(io.BytesIO(disclosure_docx(table)))
    cells = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows[:9]}
    assert (cells["上年结转"], cells["其他资金"]) == ("15.50", "4.50")
    assert cells["总体目标"] == "提升<教师>能力 & 水平\n第二年巩固"  # escaped, line kept
    assert first["总体目标"] == "提升<教师>能力 & 水平\n第二年巩固"


async def test_the_docx_has_one_table_per_project(world: World) -> None:
    table = await disclosure(world.db, actor=world["edu_staff"], year=YEAR)
    document = Document(io.BytesIO(disclosure_docx(table)))
    assert document.paragraphs[0].text == "2026年度项目支出绩效目标公开表"
    assert "市教育局" in document.paragraphs[1].text
    assert len(document.tables) == 2
    first = document.tables[0]
    cells = {row.cells[0].text: row.cells[1].text for row in first.rows[:9]}
    assert cells["项目名称"] == "教师培训项目"
    assert cells["年度资金"] == "1,200.123456"
    assert cells["年度目标"] == "完成全市教师轮训"
    indicator_rows = [[c.text for c in row.cells] for row in first.rows[9:]]
    assert indicator_rows == [
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出", "数量", "培训人次", "≥500人次"],
        ["效益", "社会效益", "教学质量提升", "达成"],
        ["满意度", "服务对象满意度", "参训教师满意度", "≥90%"],
    ]
    assert document.tables[1].rows[0].cells[1].text == "校舍维修"
