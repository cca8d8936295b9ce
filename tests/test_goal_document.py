"""The 申报表 as Word: declared in the bot, filled from the template, read back cell by cell."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from docx.table import Table

from bot.documents.goal_sheet import file_name, render_goal_document
from storage.db import Database
from storage.models import ReviewDecision
from tests.goal_world import (
    NOW,
    actor_of_person_db,
    build_goal_world,
    declared,
    goal_row_version,
)
from workflow.core.access import AccessDenied
from workflow.goals import projects
from workflow.review import chain as review

TODAY = dt.date(2025, 9, 15)


async def declared_project(database: Database):
    world = await build_goal_world(database)
    return world, (await declared(database, world.staff)).record


def texts(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


async def test_the_word_file_holds_every_answer_in_its_place(database: Database) -> None:
    world, record = await declared_project(database)
    staff = await actor_of_person_db(database, world.staff)
    sheet = await projects.goal_sheet(database, actor=staff, project_id=record.project_id)
    document = Document(io.BytesIO(render_goal_document(sheet, today=TODAY)))
    paragraphs = [p.text for p in document.paragraphs if p.text]
    assert paragraphs[:3] == [
        "项目支出绩效目标申报表",
        "（2026年度）",
        "填报单位（盖章）：市人力资源和社会保障局　　　　金额单位：万元",
    ]
    header, schedule, indicators, opinions = document.tables
    assert texts(header) == [
        ["项目名称", "职业技能提升培训", "职业技能提升培训", "职业技能提升培训"],
        ["主管部门", "市人力资源和社会保障局", "实施单位", "市人力资源和社会保障局"],
        ["项目属性", "新增", "项目期", "2026年1月1日 至 2026年12月31日"],
        ["项目负责人", "王芳", "联系电话", "0519-87654321"],
        ["是否重点项目", "否", "协同部门", "无"],
        ["项目资金\n（万元）", "资金总额", "120", "120"],
        ["项目资金\n（万元）", "其中：财政拨款", "100", "100"],
        ["项目资金\n（万元）", "\u3000\u3000\u3000上年结转", "15.5", "15.5"],
        ["项目资金\n（万元）", "\u3000\u3000\u3000其他资金", "4.5", "4.5"],
        ["项目资金\n（万元）", "年度申请额", "120", "120"],
        ["总体目标", *["全年开展职业技能培训，提升劳动者就业能力。"] * 3],
        ["年度目标", *["2026 年培训 3000 人次，取证率不低于 85%。"] * 3],
        ["立项依据", *["《职业技能提升行动方案》"] * 3],
    ]
    assert header.cell(0, 1)._tc is header.cell(0, 3)._tc  # the name spans the row
    assert texts(schedule) == [
        ["序号", "实施内容", "开始时间", "完成时间"],
        ["1", "制定培训计划", "2026年1月1日", "2026年2月28日"],
        ["2", "组织开展培训", "2026年3月1日", "2026年11月30日"],
    ]
    assert texts(indicators) == [
        ["一级指标", "二级指标", "三级指标", "指标值", "权重（分）"],
        ["产出指标", "数量指标", "培训人次", "≥3000人次", "10"],
        ["产出指标", "质量指标", "取证率", "≥85%", "10"],
        ["效益指标", "社会效益指标", "就业率提升", "定性：良", "20"],
        ["满意度指标", "服务对象满意度指标", "学员满意度", "≥90%", "10"],
    ]
    # 一级 产出 is one merged cell over its two rows; the 二级 under it are two cells.
    assert indicators.cell(1, 0)._tc is indicators.cell(2, 0)._tc
    assert indicators.cell(1, 1)._tc is not indicators.cell(2, 1)._tc
    assert indicators.cell(2, 0)._tc is not indicators.cell(3, 0)._tc
    assert [row[0] for row in texts(opinions)] == [
        "部门（单位）\n审核意见",
        "财政业务科室\n审核意见",
        "绩效管理科\n审核意见",
        "预算科\n审核意见",
    ]
    assert all(
        row[1].endswith("（盖章）" + "\u3000" * 8 + "年\u3000\u3000月\u3000\u3000日")
        for row in texts(opinions)
    )
    assert file_name(sheet) == "2026年度 职业技能提升培训 绩效目标申报表.docx"
    # Columns as on the form, the same in Word (cell widths) and LibreOffice (table grid),
    # across the printable width of A4 (16.6 cm); the indicator titles repeat on each page.
    for table, widths in [
        (header, [3.2, 5.0, 3.0, 5.4]),
        (schedule, [1.2, 7.8, 3.8, 3.8]),
        (indicators, [2.4, 3.8, 4.6, 3.4, 2.4]),
        (opinions, [3.2, 13.4]),
    ]:
        assert [round(column.width.cm, 1) for column in table.columns] == widths
        assert [round(cell.width.cm, 1) for cell in table.rows[1].cells] == widths
    assert indicators.rows[0]._tr.xpath("./w:trPr/w:tblHeader")


async def test_review_opinions_and_merged_second_levels(database: Database) -> None:
    world, record = await declared_project(database)
    head = await actor_of_person_db(database, world.head)
    await review.decide(
        database,
        actor=head,
        goal_version_id=record.goal_version_id,
        expected_version=await goal_row_version(database, record.goal_version_id),
        decision=ReviewDecision.return_,
        comment="指标要更细化 <请补充> & 量化",
        now=NOW,
    )
    staff = await actor_of_person_db(database, world.staff)
    sheet = await projects.goal_sheet(database, actor=staff, project_id=record.project_id)
    assert sheet.status == "returned" and sheet.may_edit is True
    document = Document(io.BytesIO(render_goal_document(sheet, today=TODAY)))
    opinions = document.tables[3]
    assert opinions.cell(0, 1).text.startswith("退回：指标要更细化 <请补充> & 量化\n")
    assert opinions.cell(1, 1).text.startswith("\n")  # nothing from finance yet


async def test_only_those_who_may_view_get_the_sheet(database: Database) -> None:
    world, record = await declared_project(database)
    outsider = await actor_of_person_db(database, world.outsider)
    with pytest.raises(AccessDenied):
        await projects.goal_sheet(database, actor=outsider, project_id=record.project_id)
    head = await actor_of_person_db(database, world.head)
    sheet = await projects.goal_sheet(database, actor=head, project_id=record.project_id)
    assert sheet.name == "职业技能提升培训" and sheet.may_edit is False
    page = await projects.list_projects(database, actor=outsider)
    assert page.total == 0
    mine = await projects.list_projects(database, actor=head)
    assert [(line.name, line.status) for line in mine.lines] == [("职业技能提升培训", "in_review")]


async def test_the_form_filler_and_the_submission_day_sign_the_sheet(database: Database) -> None:
    world = await build_goal_world(database)
    record = (await declared(database, world.colleague)).record  # 李明 fills 王芳's project
    viewer = await actor_of_person_db(database, world.staff)
    sheet = await projects.goal_sheet(database, actor=viewer, project_id=record.project_id)
    printed_later = dt.date(2025, 12, 1)
    document = Document(io.BytesIO(render_goal_document(sheet, today=printed_later)))
    footer = [p.text for p in document.paragraphs if p.text.startswith("填表人")]
    assert footer == ["填表人：李明　　联系电话：0519-87654321　　填报日期：2025年9月15日"]
    assert texts(document.tables[0])[3] == ["项目负责人", "王芳", "联系电话", "0519-87654321"]
