"""The 自评表 by file: the template carries the indicators and proposed weights; an upload is
checked cell by cell as typed answers, refused cells are named, and a corrected upload takes
the draft to its summary with the same total and grade the chat computes."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from bot.documents import form_workbook
from bot.documents.evaluation_template import evaluation_template_xlsx, read_evaluation_template
from storage.db import Database
from tests.review_world import World, build_world
from tests.test_evaluation_form import NOW, opened, shown
from workflow.core.access import AccessDenied
from workflow.evaluation.upload import import_upload, template_start
from workflow.forms.drafts import DraftOutcome
from workflow.forms.spec import Problem

SHEET = "绩效自评表"


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def template(world: World, evaluation_id: int, who: str = "edu_staff") -> bytes:
    start = await template_start(world.db, actor=world[who], evaluation_id=evaluation_id)
    assert not isinstance(start, Problem)
    return evaluation_template_xlsx(start)


def filled(content: bytes, cells: dict[str, object]) -> bytes:
    workbook = load_workbook(io.BytesIO(content))
    for where, value in cells.items():
        workbook[SHEET][where] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def upload(world: World, evaluation_id: int, content: bytes, who: str = "edu_staff"):
    workbook = form_workbook.read(content)
    assert form_workbook.marker(workbook) == ("self_evaluation", evaluation_id)
    cells, unreadable = read_evaluation_template(workbook)
    uploaded = await import_upload(
        world.db, actor=world[who], evaluation_id=evaluation_id, cells=cells, now=NOW
    )
    return uploaded, unreadable


async def test_the_template_round_trip_names_bad_cells_and_completes_when_corrected(
    world: World,
) -> None:
    evaluation_id = await opened(world)
    blank = await template(world, evaluation_id)
    sheet = load_workbook(io.BytesIO(blank))[SHEET]
    assert [sheet[f"D{row}"].value for row in (15, 16, 17)] == [
        "培训人次",
        "教学质量提升",
        "参训教师满意度",
    ]
    assert [sheet[f"F{row}"].value for row in (15, 16, 17)] == [50, 30, 10]  # proposed
    assert sheet["G15"].value == "适用" and sheet["B5"].value == 120.5

    first = filled(
        blank,
        {
            "B6": 120.5,
            "B7": 100,
            "B8": "部分培训改为线上",
            "B10": "完成全市教师轮训",
            "B11": "线上培训互动不足",
            "B12": "增加线下研讨",
            "I15": "450人次",
            "L15": "部分教师未能参训",
            "I16": "课堂评估优良率提高",
            "J16": "大部分达成",  # no such band
            "K16": 30,
            "I17": "95%",
        },
    )
    uploaded, unreadable = await upload(world, evaluation_id, first)
    refused = {p.where: p.problem.code for p in (*unreadable, *uploaded.problems)}
    assert refused == {
        f"{SHEET}!J16": "upload_unknown_choice",
        f"{SHEET}!K16": "evaluation_band_first",  # a score cannot stand without its band
    }
    view = uploaded.result.view
    assert str(view.cursor) == "indicators#1.band"  # the chat asks the band
    assert "band_score" not in view.data["indicators"][1]

    second = filled(blank, {"J16": "部分达成", "K16": 30, "L16": "覆盖面不足"})
    uploaded, unreadable = await upload(world, evaluation_id, second)
    refused = {p.where: p.problem.code for p in (*unreadable, *uploaded.problems)}
    assert refused == {f"{SHEET}!K16": "evaluation_outside_band"}  # 15 to 24 of 30
    third = filled(second, {"K16": 20})  # the same file, corrected
    uploaded, _ = await upload(world, evaluation_id, third)
    view = uploaded.result.view
    assert not uploaded.problems and view.step.kind == "summary", view.cursor
    text = shown(uploaded.result)
    assert "自评总分：83.3" in text and "自评等级：良" in text


async def test_another_departments_template_is_refused(world: World) -> None:
    evaluation_id = await opened(world)
    content = await template(world, evaluation_id)
    with pytest.raises(AccessDenied):
        await upload(world, evaluation_id, content, who="health_staff")
    uploaded, _ = await upload(world, evaluation_id, content)
    assert uploaded.result.outcome is DraftOutcome.moved
