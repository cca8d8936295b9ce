"""Finance's evaluation of a selected project: the department's 自评表 opens for re-scoring
with every row's data and score; finance changes a row, sees both scores and the difference,
tags problem types, writes conclusions; its total and grade are kept beside the department's,
once; only the performance section may do it."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from docx import Document
from sqlalchemy import select

from bot.documents.finance_report import finance_report_docx
from bot.ui.callbacks import button_data, parse_results
from storage.db import Database
from storage.models import (
    FinanceEvaluation,
    FinanceScore,
    OutboxMessage,
    ProblemType,
    RectificationReply,
    RectificationRequest,
    SelfEvaluation,
)
from storage.models.enums import FinanceCheck
from tests.review_world import YEAR, World, build_world
from tests.test_evaluation_form import NOW, fill_to_summary, opened, press, shown
from workflow.core.access import AccessDenied
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome
from workflow.forms.spec import Problem
from workflow.results import report, selection
from workflow.results.finance_form import start_finance_evaluation
from workflow.results.plan_form import start_plan
from workflow.tracking import rectification

TAGS = [kind.value for kind in ProblemType]


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def selected(world: World) -> int:
    """A submitted self-evaluation (83.30, 良) added to the spot checks; the selection id."""
    evaluation_id = await opened(world)
    await fill_to_summary(world, evaluation_id)
    assert (await press(world, drafts.submit)).outcome is DraftOutcome.submitted
    async with world.db.sessions() as session:
        project_id = (await session.get(SelfEvaluation, evaluation_id)).project_id
    chosen = await selection.select_by_hand(
        world.db,
        actor=world["perf"],
        project_id=project_id,
        check=FinanceCheck.spot_check,
        reason="群众反映培训人次虚高",
    )
    assert not isinstance(chosen, Problem)
    return chosen.id


async def perf_does(world: World, operation, **kwargs):
    person = world.person_id("perf")
    view = (await drafts.current_draft(world.db, person_id=person)).view
    result = await operation(
        world.db, person_id=person, draft_id=view.id, version=view.version, now=NOW, **kwargs
    )
    assert result.outcome in (DraftOutcome.moved, DraftOutcome.submitted), result.problem
    return result


async def perf_says(world: World, text: str):
    result = await drafts.answer(world.db, person_id=world.person_id("perf"), text=text, now=NOW)
    assert result.outcome is DraftOutcome.moved, (text, result.problem)
    return result


async def test_finance_rescores_a_row_tags_problems_and_keeps_its_grade_beside_the_departments(
    world: World,
) -> None:
    selection_id = await selected(world)
    with pytest.raises(AccessDenied):
        await start_finance_evaluation(
            world.db, actor=world["edu_staff"], selection_id=selection_id, now=NOW
        )
    started = await start_finance_evaluation(
        world.db, actor=world["perf"], selection_id=selection_id, now=NOW
    )
    assert not isinstance(started, Problem) and started.view.step.kind == "menu"
    menu = shown(started)
    assert "部门 45 → 财政 45" in menu and "部门 20 → 财政 20" in menu

    await perf_does(world, drafts.edit_row_field, index=0, field="actual")
    back = await perf_says(world, "400")  # finance counts 400 人次: 40 of 50, five less
    assert back.view.step.kind == "menu" and "部门 45 → 财政 40（-5）" in shown(back)
    tags = await perf_does(world, drafts.finish_rows)
    assert str(tags.view.cursor) == "tags"
    for tag in (ProblemType.off_target, ProblemType.other):
        await perf_does(world, drafts.toggle_choice, index=TAGS.index(tag.value))
    await perf_does(world, drafts.confirm_choices)
    await perf_says(world, "培训签到记录不全")
    summary = await perf_says(world, "培训人次核减 50，建议完善签到管理")
    text = shown(summary)
    # 8.2988 + 40 + 20 + 10 = 78.2988 → 78.30, 中 (the department had 83.30, 良)
    assert "部门自评总分：83.3" in text and "财政评价总分：78.3" in text
    assert "财政评价等级：中" in text and "与部门自评相差（分）：-5" in text
    assert "偏离绩效目标、其他问题" in text
    done = await perf_does(world, drafts.submit)
    assert (done.record.total_score, done.record.grade) == (Decimal("78.30"), "中")

    async with world.db.sessions() as session:
        kept = (await session.scalars(select(FinanceEvaluation))).one()
        rows = list(await session.scalars(select(FinanceScore).order_by(FinanceScore.id)))
    assert (kept.department_total, kept.problem_tags, kept.other_problem) == (
        Decimal("83.30"),
        "off_target,other",
        "培训签到记录不全",
    )
    assert [(r.score, r.department_score) for r in rows] == [
        (Decimal("8.30"), Decimal("8.30")),
        (Decimal(40), Decimal(45)),
        (Decimal(20), Decimal(20)),
        (Decimal(10), Decimal(10)),
    ]
    again = await start_finance_evaluation(
        world.db, actor=world["perf"], selection_id=selection_id, now=NOW
    )
    assert isinstance(again, Problem) and again.code == "finance_evaluation_done"
    (line,) = await selection.selections(
        world.db, actor=world["perf"], year=kept.created_at.year - 1
    )
    assert (line.finance_total, line.finance_grade) == (Decimal("78.30"), "中")


async def evaluated(world: World) -> int:
    """A spot-checked project finance has scored (no changes); the selection id."""
    selection_id = await selected(world)
    await start_finance_evaluation(
        world.db, actor=world["perf"], selection_id=selection_id, now=NOW
    )
    await perf_does(world, drafts.finish_rows)
    await perf_does(world, drafts.confirm_choices)  # no problem types
    await perf_says(world, "自评基本属实")
    await perf_does(world, drafts.submit)
    return selection_id


async def test_the_report_opens_a_30_day_plan_request_and_the_plan_comes_back_once(
    world: World,
) -> None:
    selection_id = await evaluated(world)
    friday = dt.datetime(YEAR + 1, 2, 12, 2, 0, tzinfo=dt.UTC)  # + 30 days = Sunday 14 March
    with pytest.raises(AccessDenied):
        await report.report_facts(world.db, actor=world["edu_staff"], selection_id=selection_id)
    issued = await report.issue_report(
        world.db, actor=world["perf"], selection_id=selection_id, now=friday
    )
    assert not isinstance(issued, Problem)
    assert issued.due == dt.date(YEAR + 1, 3, 15)  # moved off the weekend to Monday
    twice = await report.issue_report(world.db, actor=world["perf"], selection_id=selection_id)
    assert isinstance(twice, Problem) and twice.code == "report_already_issued"

    async with world.db.sessions() as session:
        request = (await session.scalars(select(RectificationRequest))).one()
        told = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.template == "evaluation_report_issued")
            )
        )
    assert (request.source, request.due_date, request.content) == (
        "spot_check",
        dt.date(YEAR + 1, 3, 15),
        "自评基本属实",
    )
    assert {m.person_id for m in told} == {
        world.person_id("edu_staff"),
        world.person_id("edu_staff2"),
    }
    presses = [parse_results(button_data(data)) for row in told[0].buttons for _, data in row]
    assert presses == [("w", selection_id), ("p", request.id)]

    # The department reads the report once it was sent; another department never does.
    facts = await report.report_facts(world.db, actor=world["edu_staff"], selection_id=selection_id)
    document = Document(io.BytesIO(finance_report_docx(facts)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["一、基本概况", "二、组织实施"] and headings[-1] == "六、评价结论及建议"
    assert document.tables[0].rows[2].cells[3].text == "45.00"  # the department's 培训人次
    with pytest.raises(AccessDenied):
        await report.report_facts(world.db, actor=world["health_staff"], selection_id=selection_id)

    staff = world.person_id("edu_staff")
    opened = await start_plan(world.db, actor=world["edu_staff"], request_id=request.id, now=friday)
    assert not isinstance(opened, Problem)
    for text in ("已制定整改方案", "培训人次统计口径不一", "统一签到系统", "培训科张科长"):
        step = await drafts.answer(world.db, person_id=staff, text=text, now=friday)
        assert step.outcome is DraftOutcome.moved, step.problem
    past = await drafts.answer(world.db, person_id=staff, text="2027-01-01", now=friday)
    assert past.problem is not None and past.problem.code == "plan_date_past"
    await drafts.answer(world.db, person_id=staff, text="2027-06-30", now=friday)
    view = (await drafts.current_draft(world.db, person_id=staff)).view
    assert view.step.kind == "menu"
    common = {"person_id": staff, "now": friday}
    view = (
        await drafts.finish_rows(world.db, draft_id=view.id, version=view.version, **common)
    ).view
    view = (await drafts.skip(world.db, draft_id=view.id, version=view.version, **common)).view
    sent = await drafts.submit(world.db, draft_id=view.id, version=view.version, **common)
    assert sent.outcome is DraftOutcome.submitted, sent.problem
    async with world.db.sessions() as session:
        reply = (await session.scalars(select(RectificationReply))).one()
        status = await session.scalar(select(RectificationRequest.status))
    assert status == "replied"
    assert reply.plan == [
        {
            "problem": "培训人次统计口径不一",
            "measures": "统一签到系统",
            "responsible": "培训科张科长",
            "completion": "2027-06-30",
        }
    ]
    assert (
        await rectification.accept(world.db, actor=world["perf"], request_id=request.id, version=2)
        == "accepted"
    )


async def test_a_key_evaluation_report_also_gives_30_days_moved_off_the_weekend(
    world: World,
) -> None:
    evaluation_id = await opened(world)
    await fill_to_summary(world, evaluation_id)
    await press(world, drafts.submit)
    async with world.db.sessions() as session:
        project_id = (await session.get(SelfEvaluation, evaluation_id)).project_id
    chosen = await selection.select_by_hand(
        world.db,
        actor=world["perf"],
        project_id=project_id,
        check=FinanceCheck.key_evaluation,
        reason="资金量大",
    )
    await start_finance_evaluation(world.db, actor=world["perf"], selection_id=chosen.id, now=NOW)
    await perf_does(world, drafts.finish_rows)
    await perf_does(world, drafts.confirm_choices)
    await perf_says(world, "总体良好")
    await perf_does(world, drafts.submit)
    thursday = dt.datetime(YEAR + 1, 2, 11, 2, 0, tzinfo=dt.UTC)  # + 30 days = Saturday 13 March
    issued = await report.issue_report(
        world.db, actor=world["perf"], selection_id=chosen.id, now=thursday
    )
    assert not isinstance(issued, Problem) and issued.due == dt.date(YEAR + 1, 3, 15)
    async with world.db.sessions() as session:
        request = (await session.scalars(select(RectificationRequest))).one()
    assert (request.source, request.due_date) == ("evaluation", dt.date(YEAR + 1, 3, 15))
