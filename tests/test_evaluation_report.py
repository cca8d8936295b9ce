"""The department's self-evaluation report: its narrative written through the form, the
report (docx) and the scores (xlsx) read back against what is stored, and who may get them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.documents.evaluation_report import evaluation_report_docx, report_file_name
from bot.documents.evaluation_scores import evaluation_scores_xlsx, scores_file_name
from storage.db import Database
from storage.models import FormDraft, SelfEvaluation
from tests.evaluation_world import evaluated_project
from tests.review_world import YEAR, World, build_world
from workflow.core.access import AccessDenied
from workflow.evaluation import report as reports
from workflow.evaluation.report_form import start_report_form
from workflow.evaluation.scoring import shown
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome

NOW = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)
PARTS = ["本局负责全市教育事业。", "年初设定目标 3 项，未调整。", "实行项目负责制。", "提前排期。"]


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def write_narrative(world: World, who: str, texts: list[str], now: dt.datetime = NOW) -> None:
    """Open the narrative form for the actor's department and answer every part."""
    opened = await start_report_form(
        world.db, actor=world[who], department_id=world.orgs["EDU"], year=YEAR, now=now
    )
    assert opened.view is not None and opened.outcome is DraftOutcome.moved
    person = world.person_id(who)
    step = opened
    if opened.view.step.kind != "summary":  # editing starts at the summary
        for text in texts:
            step = await drafts.answer(world.db, person_id=person, text=text, now=now)
            assert step.view is not None, step.problem
    else:
        step = await drafts.edit_field(
            world.db,
            person_id=person,
            draft_id=opened.view.id,
            version=opened.view.version,
            number=1,
            now=now,
        )
        assert step.view is not None and step.problem is None
        step = await drafts.answer(world.db, person_id=person, text=texts[0], now=now)
    assert step.view is not None and step.view.step.kind == "summary"
    done = await drafts.submit(
        world.db, person_id=person, draft_id=step.view.id, version=step.view.version, now=now
    )
    assert done.outcome is DraftOutcome.submitted, done.problem
    assert done.record["department_id"] == world.orgs["EDU"]


async def three_projects(world: World):
    """The department's two evaluated projects (one in its unit), a draft, another department's."""
    training = await evaluated_project(world)
    school = await evaluated_project(
        world, org="SCHOOL", staff="school_staff", name="校舍维修", executed="120.5", rows=None
    )
    draft = await evaluated_project(world, name="未提交项目", status="draft")
    await evaluated_project(world, org="HEALTH", staff="health_staff", name="健康体检")
    return training, school, draft


async def test_the_report_reads_back_in_the_national_outline(world: World) -> None:
    training, school, _draft = await three_projects(world)
    await write_narrative(world, "edu_staff", PARTS)
    report = await reports.department_report(
        world.db, actor=world["edu_head"], department_id=world.orgs["EDU"], year=YEAR
    )
    doc = Document(io.BytesIO(evaluation_report_docx(report)))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "一、基本概况",
        "二、绩效目标及调整情况",
        "三、管理措施及组织实施",
        "四、绩效目标完成情况",
        "五、未完成目标及原因",
        "六、下一步改进意见",
    ]
    texts = [p.text for p in doc.paragraphs]
    for part, heading in zip(PARTS, [0, 1, 2, 5], strict=True):
        assert texts[texts.index(headings[heading]) + 1] == part
    (table,) = doc.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    async with world.db.sessions() as session:
        stored = {
            e.id: e
            for e in await session.scalars(
                select(SelfEvaluation).where(
                    SelfEvaluation.id.in_([training.evaluation_id, school.evaluation_id])
                )
            )
        }
    # The department's projects, its unit's among them; no draft, no other department's.
    assert [row[1] for row in rows[1:]] == ["教师培训项目", "校舍维修"]
    for row, built in zip(rows[1:], [training, school], strict=True):
        evaluation = stored[built.evaluation_id]
        assert row[6] == str(shown(evaluation.total_score)) and row[7] == evaluation.grade
    assert rows[1][3:6] == ["120.50", "100.00", "82.99%"] and rows[2][5] == "100.00%"
    # 五: the 培训人次 and 教学质量提升 rows fall short in both projects, with their reasons.
    shortfalls = texts[texts.index("五、未完成目标及原因") + 1 : texts.index("六、下一步改进意见")]
    assert shortfalls[0] == "（1）教师培训项目"
    assert shortfalls[1].startswith("培训人次：年度指标值 ≥500人次，实际完成 450人次。部分学校停课")
    assert "下年提前排期" in shortfalls[1] and shortfalls[2].startswith("教学质量提升")
    assert shortfalls[3] == "（2）校舍维修"
    assert report_file_name(report) == "2026年度部门自评价报告-市教育局.docx"


async def test_an_unwritten_narrative_is_said_and_the_latest_edit_wins(world: World) -> None:
    await evaluated_project(world)
    report = await reports.department_report(
        world.db, actor=world["perf"], department_id=world.orgs["EDU"], year=YEAR
    )
    texts = [p.text for p in Document(io.BytesIO(evaluation_report_docx(report))).paragraphs]
    assert texts.count("（部门尚未填写本部分。）") == 4
    await write_narrative(world, "edu_staff", PARTS)
    await write_narrative(world, "edu_head", ["改写后的基本概况。"], NOW + dt.timedelta(days=1))
    state = await reports.report_state(world.db, actor=world["edu_staff"], year=YEAR)
    assert state is not None and state.narrative is not None and state.may_write
    assert state.narrative.texts == dict(
        zip(reports.NARRATIVE, ["改写后的基本概况。", *PARTS[1:]], strict=True)
    )
    assert state.narrative.written_by == "李局长" and (state.evaluated, state.total) == (1, 1)
    async with world.db.sessions() as session:
        kept = list(
            await session.scalars(select(FormDraft).where(FormDraft.form == "department_report"))
        )
        assert await reports.narrative(session, world.orgs["EDU"], YEAR + 1) is None
    assert [d.status for d in kept] == ["submitted", "submitted"]  # the first version stays


async def test_the_scores_workbook_has_a_row_per_project_and_row(world: World) -> None:
    training, school, draft = await three_projects(world)
    scores = await reports.score_book(
        world.db, actor=world["biz1"], department_id=world.orgs["EDU"], year=YEAR
    )
    assert scores_file_name(scores.department, YEAR) == "2026年度项目绩效自评得分-市教育局.xlsx"
    book = load_workbook(io.BytesIO(evaluation_scores_xlsx(scores.rows)))
    sheet = book["自评得分"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:N13"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["项目名称", "实施单位", "自评表状态"]
    # Three self-evaluations of the department (the draft too), four rows each.
    assert [row[0] for row in values[1:]] == [
        *["教师培训项目"] * 4,
        *["未提交项目"] * 4,
        *["校舍维修"] * 4,
    ]
    first = values[1]
    assert first[:9] == [
        "教师培训项目",
        "市教育局",
        "待审核",
        None,
        None,
        "预算执行率",
        "120.50",
        "100.00",
        10,
    ]
    assert first[9] == pytest.approx(8.3) and first[12] == float(shown(training.total))
    assert values[2][5:11] == ["培训人次", "≥500人次", "450人次", 50, 45, "适用"]
    assert values[2][13] == training.grade and values[5][2] == "待填报"
    assert values[9][0] == "校舍维修" and values[9][12] == float(shown(school.total))
    del draft


async def test_another_department_is_refused_and_finance_names_the_department(
    world: World,
) -> None:
    await three_projects(world)
    edu = world.orgs["EDU"]
    for outsider in ("health_staff", "health_head", "biz2", "school_staff"):
        with pytest.raises(AccessDenied):
            await reports.department_report(
                world.db, actor=world[outsider], department_id=edu, year=YEAR
            )
        with pytest.raises(AccessDenied):
            await reports.score_book(world.db, actor=world[outsider], department_id=edu, year=YEAR)
    with pytest.raises(AccessDenied):
        await reports.report_state(world.db, actor=world["health_staff"], year=YEAR, code="EDU")
    # Finance may read but never write the department's words.
    state = await reports.report_state(world.db, actor=world["perf"], year=YEAR, code="EDU")
    assert state is not None and state.department == "市教育局" and not state.may_write
    assert state.evaluated == 2 and state.total == 3
    with pytest.raises(AccessDenied):
        await start_report_form(
            world.db, actor=world["perf"], department_id=edu, year=YEAR, now=NOW
        )
    assert await reports.report_state(world.db, actor=world["perf"], year=YEAR) is None
    assert await reports.report_state(world.db, actor=world["perf"], year=YEAR, code="BIZ1") is None
