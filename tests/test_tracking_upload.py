"""The 绩效跟踪表 by file: the template carries the targets; an upload is checked cell by cell
as typed answers would be, refused cells are named by sheet and cell and left for the chat,
and a corrected upload completes the draft, which is then submitted like a typed one."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.documents import form_workbook
from bot.documents.tracking_template import read_tracking_template, tracking_template_xlsx
from storage.db import Database
from storage.models import TrackingProgress, TrackingReport
from tests.review_world import YEAR, World, build_world
from tests.test_tracking_form import open_report
from workflow.core.access import AccessDenied
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome, Uploaded
from workflow.forms.spec import Problem
from workflow.tracking.upload import import_upload, template_start

NOW = dt.datetime(YEAR, 10, 9, 2, 0, tzinfo=dt.UTC)
POINTS = Decimal(10)
SHEET = "绩效跟踪表"


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def template(world: World, report_id: int, who: str = "edu_staff") -> bytes:
    start = await template_start(
        world.db, actor=world[who], report_id=report_id, yellow_points=POINTS
    )
    assert not isinstance(start, Problem)
    return tracking_template_xlsx(start)


def filled(content: bytes, cells: dict[str, object]) -> bytes:
    """The template with `cells` typed in, as a person would in Excel."""
    workbook = load_workbook(io.BytesIO(content))
    for where, value in cells.items():
        workbook[SHEET][where] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def upload(world: World, report_id: int, content: bytes, who: str = "edu_staff"):
    workbook = form_workbook.read(content)
    assert form_workbook.marker(workbook) == ("tracking_report", report_id)
    cells, unreadable = read_tracking_template(workbook)
    uploaded = await import_upload(
        world.db, actor=world[who], report_id=report_id, cells=cells, yellow_points=POINTS, now=NOW
    )
    return uploaded, unreadable


async def test_the_template_carries_the_targets_and_marks_its_report(world: World) -> None:
    report_id = await open_report(world)
    sheet = load_workbook(io.BytesIO(await template(world, report_id)))[SHEET]
    assert "教师培训项目" in sheet["A1"].value
    assert (sheet["A5"].value, sheet["B5"].value) == ("年初预算数（万元）", 120.5)
    names = [sheet[f"C{row}"].value for row in (12, 13, 14)]
    assert names == ["培训人次", "教学质量提升", "参训教师满意度"]
    assert sheet["D12"].value.startswith("≥ 500")
    assert sheet["A15"].value is None  # one row per issued indicator, nothing more
    with pytest.raises(AccessDenied):  # another department's report
        await template(world, report_id, who="health_staff")


async def test_bad_cells_are_named_and_the_rest_kept_then_a_corrected_upload_completes(
    world: World,
) -> None:
    report_id = await open_report(world)
    staff = world.person_id("edu_staff")
    blank = await template(world, report_id)
    first = filled(
        blank,
        {
            "B6": 120.5,
            "B7": 200,  # above A: refused
            "B8": "一百一十",  # not a number: refused
            "E12": 300,
            "F12": "第四季度加开两期",
            "G12": "有可能",
            "H12": "经费保障、天气",  # 天气 is no cause: refused
            "J12": "增开周末班次",
            "E13": "课堂评估优良率提高",
            "F13": "全年可达成",
            "G13": "✅ 确定能",
            "E14": 95,
            "F14": "保持在 90% 以上",
            "G14": "确定能",
        },
    )
    uploaded, unreadable = await upload(world, report_id, first)
    assert isinstance(uploaded, Uploaded)
    refused = {p.where: p.problem.code for p in (*unreadable, *uploaded.problems)}
    assert refused == {
        f"{SHEET}!B7": "tracking_above_budget",
        f"{SHEET}!B8": "not_a_number",
        f"{SHEET}!H12": "upload_unknown_choice",
    }
    view = uploaded.result.view
    assert view is not None and str(view.cursor) == "executed"  # the chat asks what is missing
    rows = view.data["indicators"]
    assert [row.get("likelihood") for row in rows] == ["possible", "certain", "certain"]
    assert view.data["budget_full_year"] == "120.5" and "executed" not in view.data
    assert rows[0]["measures"] == "增开周末班次" and "causes" not in rows[0]

    # The template downloaded again shows what was kept; the corrected file completes it.
    again = load_workbook(io.BytesIO(await template(world, report_id)))[SHEET]
    assert (again["B6"].value, again["G12"].value) == (120.5, "有可能")
    second = filled(
        blank,
        {"B7": 60, "B8": 110, "B9": "招标延后至 8 月", "H12": "经费保障", "I12": None},
    )
    uploaded, unreadable = await upload(world, report_id, second)
    assert not unreadable and not uploaded.problems
    view = uploaded.result.view
    assert view is not None and view.step.kind == "summary", view.cursor
    submitted = await drafts.submit(
        world.db, person_id=staff, draft_id=view.id, version=view.version, now=NOW
    )
    assert submitted.outcome is DraftOutcome.submitted, submitted.problem
    async with world.db.sessions() as session:
        report = await session.get(TrackingReport, report_id)
        progress = list(
            await session.scalars(
                select(TrackingProgress)
                .where(TrackingProgress.tracking_report_id == report_id)
                .order_by(TrackingProgress.indicator_id)
            )
        )
    assert report is not None and report.status == "submitted"
    assert (report.executed_to_date, report.light) == (Decimal(60), "red")
    assert [p.actual_value for p in progress] == [Decimal(300), None, Decimal(95)]
    assert progress[0].deviation_causes == "funds"
    assert progress[1].actual_text == "课堂评估优良率提高"


async def test_an_upload_while_another_form_is_open_changes_neither(world: World) -> None:
    report_id = await open_report(world)
    staff = world.person_id("edu_staff")
    await drafts.start_draft(world.db, person_id=staff, form_name="goal_declaration", now=NOW)
    uploaded, _ = await upload(world, report_id, filled(await template(world, report_id), {}))
    assert uploaded.result.outcome is DraftOutcome.exists
    assert uploaded.result.view.form.name == "goal_declaration"
    with pytest.raises(AccessDenied):
        await upload(world, report_id, await template(world, report_id), who="health_staff")
