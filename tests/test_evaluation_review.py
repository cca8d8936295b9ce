"""A submitted 自评表 on the review machine: head 审定 then the performance section, each
decision taken exactly once; a return with a reason goes back to the department, which
reopens the table with its previous answers and resubmits through the whole chain again;
nobody fills a self-evaluation that is waiting for review."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.conversations.form_text import problem_text
from bot.ui.render import render
from storage.db import Database
from storage.models import (
    EvaluationScore,
    OutboxMessage,
    ReviewDecision,
    ReviewStep,
    SelfEvaluation,
)
from tests.review_world import World, build_world
from tests.test_evaluation_form import NOW, fill_to_summary, opened, press
from workflow.evaluation.form import SELF_EVALUATION_FORM
from workflow.evaluation.review_kind import SELF_EVALUATION
from workflow.evaluation.start import start_evaluation_form
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome
from workflow.forms.spec import Problem
from workflow.review import chain as review


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def submitted(world: World) -> int:
    """A self-evaluation filled to 83.30 (良) and submitted by the department's staff."""
    evaluation_id = await opened(world)
    await fill_to_summary(world, evaluation_id)
    done = await press(world, drafts.submit)
    assert done.outcome is DraftOutcome.submitted
    return evaluation_id


async def version_of(world: World, evaluation_id: int) -> int:
    async with world.db.sessions() as session:
        return (await session.get(SelfEvaluation, evaluation_id)).version


async def decide(
    world: World,
    who: str,
    evaluation_id: int,
    version: int,
    decision: ReviewDecision = ReviewDecision.approve,
    comment: str | None = None,
) -> review.ReviewResult:
    return await review.decide_on(
        world.db,
        actor=world[who],
        kind=SELF_EVALUATION,
        item_id=evaluation_id,
        expected_version=version,
        decision=decision,
        comment=comment,
        now=NOW,
    )


async def steps(world: World, evaluation_id: int) -> list[tuple[str | None, str]]:
    async with world.db.sessions() as session:
        rows = await session.execute(
            select(ReviewStep.stage, ReviewStep.decision)
            .where(ReviewStep.item_kind == SELF_EVALUATION, ReviewStep.item_id == evaluation_id)
            .order_by(ReviewStep.id)
        )
        return [tuple(row) for row in rows]


async def test_head_then_performance_each_decide_exactly_once(world: World) -> None:
    evaluation_id = await submitted(world)
    version = await version_of(world, evaluation_id)
    assert (await decide(world, "perf", evaluation_id, version)).ok is False  # not its turn

    head = await decide(world, "edu_head", evaluation_id, version)
    again = await decide(world, "edu_head", evaluation_id, version)  # a second press
    assert head.ok and head.next_stage == "performance" and not again.ok

    finance = await decide(world, "perf", evaluation_id, head.version)
    twice = await decide(world, "perf", evaluation_id, head.version)
    assert finance.ok and not twice.ok
    closed = await start_evaluation_form(
        world.db, actor=world["edu_staff"], evaluation_id=evaluation_id, now=NOW
    )
    assert isinstance(closed, Problem)
    assert "当前状态为“审核通过”" in problem_text(SELF_EVALUATION_FORM, closed)
    decisions = [decision for _stage, decision in await steps(world, evaluation_id)]
    assert decisions.count("approve") == 2
    async with world.db.sessions() as session:
        evaluation = await session.get(SelfEvaluation, evaluation_id)
    assert (evaluation.status, evaluation.total_score, evaluation.grade) == (
        "accepted",
        Decimal("83.30"),
        "良",
    )


async def test_a_waiting_self_evaluation_cannot_be_filled_again(world: World) -> None:
    evaluation_id = await submitted(world)
    for who in ("edu_staff", "edu_head"):
        again = await start_evaluation_form(
            world.db, actor=world[who], evaluation_id=evaluation_id, now=NOW
        )
        assert isinstance(again, Problem) and again.code == "evaluation_not_fillable"


async def test_a_return_reopens_with_the_previous_answers_and_goes_through_the_chain_again(
    world: World,
) -> None:
    evaluation_id = await submitted(world)
    head = await decide(world, "edu_head", evaluation_id, await version_of(world, evaluation_id))
    back = await decide(
        world,
        "perf",
        evaluation_id,
        head.version,
        ReviewDecision.return_,
        comment="满意度调查样本量请补充说明",
    )
    assert back.ok
    async with world.db.sessions() as session:
        assert (await session.get(SelfEvaluation, evaluation_id)).status == "returned"
        told = list(
            await session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.template == "review_item_outcome",
                    OutboxMessage.person_id == world.person_id("edu_staff"),
                )
                .order_by(OutboxMessage.id)
            )
        )
    # The submitter hears of each decision once: the head's approval, then the return with
    # its reason and the total it had.
    assert [message.context["decision"] for message in told] == ["approve", "return"]
    assert told[1].context["comment"] == "满意度调查样本量请补充说明"
    assert told[1].context["item"]["total"] == "83.30"

    # The department's head may correct it too; it opens with every previous answer.
    again = await start_evaluation_form(
        world.db, actor=world["edu_head"], evaluation_id=evaluation_id, now=NOW
    )
    assert not isinstance(again, Problem)
    data = again.view.data
    assert (data["budget_full_year"], data["executed"]) == ("120.5", "100")
    assert data["execution_reason"] == "部分培训改为线上，节约经费"
    assert [row.get("actual") for row in data["indicators"]] == ["450", None, "95"]
    assert [row.get("band") for row in data["indicators"]] == [None, "partly", None]
    assert data["indicators"][1]["band_score"] == "20"
    assert data["indicators"][0]["deviation"] == "部分教师因疫情未能参训，明年补训"
    assert (data["problems"], data["measures"]) == ("线上培训互动不足", "增加线下研讨")

    # Nothing to retype: the rows are closed at the menu, and the summary scores them again.
    head_id = world.person_id("edu_head")
    view = again.view
    if view.step.kind == "menu":
        view = (
            await drafts.finish_rows(
                world.db, person_id=head_id, draft_id=view.id, version=view.version, now=NOW
            )
        ).view
    assert view.step.kind == "summary", view.cursor
    resubmitted = await drafts.submit(
        world.db, person_id=head_id, draft_id=view.id, version=view.version, now=NOW
    )
    assert resubmitted.outcome is DraftOutcome.submitted, resubmitted.problem
    assert (resubmitted.record.total, resubmitted.record.stage) == (
        Decimal("83.30"),
        "head",
    )

    async with world.db.sessions() as session:
        evaluation = await session.get(SelfEvaluation, evaluation_id)
        rows = await session.scalar(
            select(func.count()).where(EvaluationScore.self_evaluation_id == evaluation_id)
        )
    assert (evaluation.status, evaluation.stage, rows) == ("submitted", "head", 4)
    assert [step for step in await steps(world, evaluation_id) if step[1] == "return"] == [
        ("performance", "return")
    ]
    # The head approved it before: the new card says nothing changed since then.
    async with world.db.sessions() as session:
        card = await session.scalar(
            select(OutboxMessage)
            .where(
                OutboxMessage.template == "evaluation_review_card",
                OutboxMessage.person_id == world.person_id("edu_head"),
            )
            .order_by(OutboxMessage.id.desc())
        )
    assert card.context["changes"]["rows"] == [] and card.context["changes"]["yours"]
    assert "无变化" in render(card.template, **card.context)


async def test_a_resubmission_with_new_weights_is_rescored_and_the_timeline_keeps_both(
    world: World,
) -> None:
    evaluation_id = await submitted(world)
    head = await decide(world, "edu_head", evaluation_id, await version_of(world, evaluation_id))
    await decide(
        world, "perf", evaluation_id, head.version, ReviewDecision.return_, comment="权重请复核"
    )
    staff = world.person_id("edu_staff")
    again = await start_evaluation_form(
        world.db, actor=world["edu_staff"], evaluation_id=evaluation_id, now=NOW
    )
    assert not isinstance(again, Problem) and again.view.step.kind == "menu"

    async def current():
        return (await drafts.current_draft(world.db, person_id=staff)).view

    for index, weight in ((0, "40"), (2, "20")):  # 培训人次 50 → 40, 满意度 10 → 20
        view = await current()
        await drafts.edit_row_field(
            world.db,
            person_id=staff,
            draft_id=view.id,
            version=view.version,
            index=index,
            field="weight",
            now=NOW,
        )
        await drafts.answer(world.db, person_id=staff, text=weight, now=NOW)
    view = await current()
    view = (
        await drafts.finish_rows(
            world.db, person_id=staff, draft_id=view.id, version=view.version, now=NOW
        )
    ).view
    assert view.step.kind == "summary", view.cursor
    done = await drafts.submit(
        world.db, person_id=staff, draft_id=view.id, version=view.version, now=NOW
    )
    # 8.2988 + 450/500 × 40 + 20 + 20 = 84.2988 → 84.30
    assert done.outcome is DraftOutcome.submitted and done.record.total == Decimal("84.30")
    async with world.db.sessions() as session:
        notes = list(
            await session.scalars(
                select(ReviewStep.comment)
                .where(
                    ReviewStep.item_kind == SELF_EVALUATION,
                    ReviewStep.item_id == evaluation_id,
                    ReviewStep.decision == "submit",
                )
                .order_by(ReviewStep.id)
            )
        )
        weights = list(
            await session.scalars(
                select(EvaluationScore.weight)
                .where(EvaluationScore.self_evaluation_id == evaluation_id)
                .order_by(EvaluationScore.id)
            )
        )
    assert notes == [
        "自评总分 83.30 分，等级 良（预算执行率 8.30 分，指标权重合计 90 分）",
        "自评总分 84.30 分，等级 良（预算执行率 8.30 分，指标权重合计 90 分）",
    ]
    assert weights == [Decimal(10), Decimal(40), Decimal(30), Decimal(20)]
