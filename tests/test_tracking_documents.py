"""The tracking files read back: the 跟踪表 (docx) and finance's summary (xlsx); the CLI; cards."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.documents.tracking_sheet import tracking_sheet_docx
from bot.documents.tracking_summary import tracking_summary_xlsx
from bot.ui.render import render
from storage.db import Database
from storage.models import Indicator, TrackingProgress, TrackingReport
from tests.review_world import YEAR, World, build_world
from tests.tracking_world import issued_project
from workflow.core.access import AccessDenied
from workflow.tracking import documents, opening, tasks

NOW = dt.datetime(2026, 10, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def filled_world(world: World) -> int:
    """Two issued projects with tasks; the school's report filled in, red; its report id."""
    await issued_project(world, name="教师培训项目", amount="120.5")
    school, goal = await issued_project(
        world, org="SCHOOL", staff="school_staff", name="校舍维修", amount="80"
    )
    await opening.open_tracking(world.db, actor=world["perf"], year=YEAR, now=NOW)
    async with world.db.transaction() as session:
        report = await session.scalar(
            select(TrackingReport).where(TrackingReport.project_id == school)
        )
        report.budget_full_year = Decimal(80)
        report.executed_to_date = Decimal("30.4")
        report.light = "red"
        first = await session.scalar(
            select(Indicator).where(Indicator.goal_version_id == goal, Indicator.position == 0)
        )
        session.add(
            TrackingProgress(
                tracking_report_id=report.id,
                indicator_id=first.id,
                actual_value=Decimal(210),
                expected_completion="预计完成 450 人次",
                likelihood="impossible",
                deviation_causes="政策调整",
                measures="增加培训班次",
            )
        )
        return report.id


async def test_the_tracking_sheet_reads_back(world: World) -> None:
    report_id = await filled_world(world)
    sheet = await documents.tracking_sheet(
        world.db, actor=world["school_staff"], report_id=report_id
    )
    doc = Document(io.BytesIO(tracking_sheet_docx(sheet)))
    head, budget, indicators = doc.tables
    assert head.cell(0, 1).text == "校舍维修" and head.cell(1, 1).text == "市教育局"
    assert [c.text for c in budget.rows[0].cells][:3] == [
        "年初预算数",
        "全年预算数（A）",
        "1-9 月执行数（B）",
    ]
    assert [c.text for c in budget.rows[1].cells] == ["80.00", "80.00", "30.40", "38.00%", "", "红"]
    rows = [[c.text for c in row.cells] for row in indicators.rows]
    assert rows[0][4] == "1-9 月实际完成值"
    assert rows[1] == [
        "产出",
        "数量",
        "培训人次",
        "≥500人次",
        "210人次",
        "预计完成 450 人次",
        "完全不可能",
        "政策调整",
        "增加培训班次",
    ]
    assert rows[2][:4] == ["效益", "社会效益", "教学质量提升", "达成"] and rows[2][4:] == [""] * 5
    with pytest.raises(AccessDenied):
        await documents.tracking_sheet(world.db, actor=world["health_staff"], report_id=report_id)


async def test_the_summary_lists_red_first_with_header_frozen_and_filtered(world: World) -> None:
    await filled_world(world)
    rows = await documents.summary_rows(world.db, actor=world["perf"], year=YEAR)
    book = load_workbook(io.BytesIO(tracking_summary_xlsx(rows, year=YEAR)))
    sheet = book["跟踪汇总"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J3"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:6] == [
        "项目名称",
        "主管部门",
        "实施单位",
        "跟踪表状态",
        "执行率（%）",
        "预算执行灯",
    ]
    assert values[1][:7] == ["校舍维修", "市教育局", "市第一中学", "待填报", 38, "红", "完全不可能"]
    assert values[2][0] == "教师培训项目" and values[2][4] is None
    assert await documents.summary_rows(world.db, actor=world["biz2"], year=YEAR) == []
    with pytest.raises(AccessDenied):
        await documents.summary_rows(world.db, actor=world["edu_staff"], year=YEAR)


async def test_the_card_and_list_render_what_the_user_sees(world: World) -> None:
    report_id = await filled_world(world)
    lines = await tasks.list_tasks(world.db, actor=world["edu_staff"])
    text = render("tracking_list", lines=[line.as_dict() for line in lines])
    assert "校舍维修" in text and "截止 2026-10-15" in text and "待填报" in text
    card = await tasks.task_card(world.db, actor=world["school_staff"], report_id=report_id)
    shown = render("tracking_card", card=card.as_dict())
    assert "年初预算数：80.00 万元" in shown and "产出/数量/培训人次：≥500人次" in shown


def test_the_command_line_opens_the_tracking_once(
    tmp_path, sqlite_template, monkeypatch, capsys
) -> None:
    import shutil

    from bot.__main__ import main

    path = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.chdir(tmp_path)
    assert main(["cycle", "open", "tracking", "--year", "2026"]) == 0
    assert "新开启 0 个，已存在 0 个" in capsys.readouterr().out
