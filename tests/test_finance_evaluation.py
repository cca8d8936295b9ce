"""Finance's evaluation of a selected project: the department's 自评表 opens for re-scoring
with every row's data and score; finance changes a row, sees both scores and the difference,
tags problem types, writes conclusions; its total and grade are kept beside the department's,
once; only the performance section may do it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import FinanceEvaluation, FinanceScore, ProblemType, SelfEvaluation
from storage.models.enums import FinanceCheck
from tests.review_world import World, build_world
from tests.test_evaluation_form import NOW, fill_to_summary, opened, press, shown
from workflow.core.access import AccessDenied
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome
from workflow.forms.spec import Problem
from workflow.results import selection
from workflow.results.finance_form import start_finance_evaluation

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
