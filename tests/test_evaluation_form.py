"""The 自评表 in the chat: the funds, the overall goal, one scored row per issued indicator;
refusals where the national rules say so; the summary shows every score, the total and the
grade equal to hand computation; submitted, it is stored row by row with the rule that gave
each score and goes to the department head, then the performance section."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.conversations import form_view
from storage.db import Database
from storage.models import EvaluationScore, ReviewDecision, SelfEvaluation
from tests.review_world import YEAR, World, build_world
from tests.test_form_view import check
from tests.tracking_world import issued_project
from workflow.calendar.due_items import collect_due_items
from workflow.core.access import AccessDenied
from workflow.evaluation.opening import open_evaluation
from workflow.evaluation.review_kind import SELF_EVALUATION
from workflow.evaluation.start import start_evaluation_form
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome, DraftResult
from workflow.forms.spec import Problem
from workflow.review import chain as review

NOW = dt.datetime(YEAR + 1, 2, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def opened(world: World) -> int:
    await issued_project(world, name="教师培训项目", amount="120.5")
    await open_evaluation(world.db, actor=world["perf"], year=YEAR, now=NOW)
    async with world.db.sessions() as session:
        return (await session.scalars(select(SelfEvaluation.id))).one()


async def say(world: World, text: str, who: str = "edu_staff") -> DraftResult:
    result = await drafts.answer(world.db, person_id=world.person_id(who), text=text, now=NOW)
    assert result.outcome is DraftOutcome.moved, (text, result.problem)
    return result


async def refused(world: World, text: str, code: str) -> DraftResult:
    result = await drafts.answer(
        world.db, person_id=world.person_id("edu_staff"), text=text, now=NOW
    )
    assert result.outcome is DraftOutcome.refused and result.problem.code == code, result.problem
    return result


async def press(world: World, operation, **kwargs) -> DraftResult:
    person = world.person_id("edu_staff")
    view = (await drafts.current_draft(world.db, person_id=person)).view
    result = await operation(
        world.db, person_id=person, draft_id=view.id, version=view.version, now=NOW, **kwargs
    )
    assert result.outcome in (DraftOutcome.moved, DraftOutcome.submitted), result.problem
    return result


def shown(result: DraftResult) -> str:
    return check(form_view.step(result.view, result.problem))


async def fill_to_summary(world: World, evaluation_id: int) -> DraftResult:
    started = await start_evaluation_form(
        world.db, actor=world["edu_staff"], evaluation_id=evaluation_id, now=NOW
    )
    assert not isinstance(started, Problem) and str(started.view.cursor) == "budget_full_year"
    assert "年初预算数（万元）：120.5" in shown(started)
    await say(world, "120.5")
    await refused(world, "130", "tracking_above_budget")  # B > A
    low = await say(world, "100")  # 82.99 %: a reason is needed
    assert str(low.view.cursor) == "execution_reason"
    assert "预算执行率得分（满分 10）：8.3" in shown(low)
    await say(world, "部分培训改为线上，节约经费")
    row = await say(world, "完成全市教师轮训 450 人次")
    assert str(row.view.cursor) == "indicators#0.actual" and "权重 50 分" in shown(row)
    await refused(world, "90%", "tracking_wrong_unit")
    deviation = await say(world, "450人次")  # 450 / 500 × 50 = 45
    assert str(deviation.view.cursor) == "indicators#0.deviation"
    assert "得分 45" in shown(deviation)
    await say(world, "部分教师因疫情未能参训，明年补训")
    await say(world, "课堂评估优良率提高")  # 定性: what was achieved
    await press(world, drafts.choose, index=1)  # 部分达成: 15 to 24 of 30
    outside = await refused(world, "30", "evaluation_outside_band")
    assert "15 至 24 分" in shown(outside)
    await say(world, "20")
    await say(world, "听课评课覆盖面不足")
    menu = await say(world, "95")  # ≥ 90 %: met, 10
    assert menu.view.step.kind == "menu" and "3/3" in shown(menu)
    await press(world, drafts.finish_rows)
    await say(world, "线上培训互动不足")
    return await say(world, "增加线下研讨")


async def test_the_table_is_scored_as_it_is_filled_and_the_summary_shows_total_and_grade(
    world: World,
) -> None:
    evaluation_id = await opened(world)
    summary = await fill_to_summary(world, evaluation_id)
    text = shown(summary)
    # 100/120.5×10 + 45 + 20 + 10 = 83.2988 → 83.30, 良
    assert summary.view.step.kind == "summary"
    assert "自评总分：83.3" in text and "自评等级：良" in text
    submitted = await press(world, drafts.submit)
    assert submitted.outcome is DraftOutcome.submitted
    assert (submitted.record.total, submitted.record.grade) == (Decimal("83.30"), "良")

    async with world.db.sessions() as session:
        evaluation = await session.get(SelfEvaluation, evaluation_id)
        rows = list(
            await session.scalars(
                select(EvaluationScore)
                .where(EvaluationScore.self_evaluation_id == evaluation_id)
                .order_by(EvaluationScore.id)
            )
        )
    assert (evaluation.status, evaluation.total_score, evaluation.grade) == (
        "submitted",
        Decimal("83.30"),
        "良",
    )
    assert evaluation.execution_reason == "部分培训改为线上，节约经费"
    assert [(r.weight, r.score, r.rule) for r in rows] == [
        (Decimal(10), Decimal("8.30"), "execution_rate"),  # 100 / 120.5 × 10, as shown
        (Decimal(50), Decimal(45), "ratio"),
        (Decimal(30), Decimal(20), "qualitative"),
        (Decimal(10), Decimal(10), "met"),
    ]
    assert rows[0].indicator_id is None and len({r.indicator_id for r in rows[1:]}) == 3
    assert (
        rows[2].band == "partly" and rows[1].deviation_reason == "部分教师因疫情未能参训，明年补训"
    )

    # The head, then the performance section, each exactly once.
    async with world.db.sessions() as session:
        version = (await session.get(SelfEvaluation, evaluation_id)).version
    head = await review.decide_on(
        world.db,
        actor=world["edu_head"],
        kind=SELF_EVALUATION,
        item_id=evaluation_id,
        expected_version=version,
        decision=ReviewDecision.approve,
        now=NOW,
    )
    assert head.ok and head.next_stage == "performance"
    foreign = await review.decide_on(  # another department's head: refused, nothing moves
        world.db,
        actor=world["health_head"],
        kind=SELF_EVALUATION,
        item_id=evaluation_id,
        expected_version=head.version,
        decision=ReviewDecision.approve,
        now=NOW,
    )
    assert not foreign.ok
    finance = await review.decide_on(
        world.db,
        actor=world["perf"],
        kind=SELF_EVALUATION,
        item_id=evaluation_id,
        expected_version=head.version,
        decision=ReviewDecision.approve,
        now=NOW,
    )
    assert finance.ok
    async with world.db.sessions() as session:
        assert (await session.get(SelfEvaluation, evaluation_id)).status == "accepted"


async def test_a_row_not_applicable_drops_out_and_the_total_is_rescaled(world: World) -> None:
    evaluation_id = await opened(world)
    summary = await fill_to_summary(world, evaluation_id)
    row = await press(world, drafts.edit_field, number=_entry_number(summary, "indicators"))
    assert row.view.step.kind == "menu"
    edited = await press(world, drafts.edit_row_field, index=2, field="applicable")
    assert str(edited.view.cursor) == "indicators#2.applicable"
    await press(world, drafts.choose, index=1)  # 不适用
    menu = await say(world, "本年度未开展满意度调查")
    assert menu.view.step.kind == "menu"
    after = await press(world, drafts.finish_rows)
    # (8.2988 + 45 + 20) × 100 / 90 = 81.44; the weights still make 90 with 预算执行率's 10.
    assert after.view.step.kind == "summary", after.view.cursor
    assert "自评总分：81.44" in shown(after) and "自评等级：良" in shown(after)


def _entry_number(result: DraftResult, name: str) -> int:
    from workflow.forms.flow import visible_entries

    entries = visible_entries(result.view.form, result.view.data, result.view.context)
    return [entry.name for entry in entries].index(name) + 1


async def test_weights_must_make_ninety(world: World) -> None:
    evaluation_id = await opened(world)
    summary = await fill_to_summary(world, evaluation_id)
    await press(world, drafts.edit_field, number=_entry_number(summary, "indicators"))
    await press(world, drafts.edit_row_field, index=0, field="weight")
    await say(world, "40")
    done = await drafts.finish_rows(
        world.db,
        person_id=world.person_id("edu_staff"),
        draft_id=(
            await drafts.current_draft(world.db, person_id=world.person_id("edu_staff"))
        ).view.id,
        version=(
            await drafts.current_draft(world.db, person_id=world.person_id("edu_staff"))
        ).view.version,
        now=NOW,
    )
    assert done.outcome is DraftOutcome.refused and done.problem.code == "evaluation_weights"
    assert "80" in shown(done)


async def test_another_departments_staff_cannot_open_it(world: World) -> None:
    evaluation_id = await opened(world)
    with pytest.raises(AccessDenied):
        await start_evaluation_form(
            world.db, actor=world["health_staff"], evaluation_id=evaluation_id, now=NOW
        )


async def test_a_submitted_self_evaluation_is_due_with_the_head_then_with_finance(
    world: World,
) -> None:
    evaluation_id = await opened(world)
    async with world.db.transaction() as session:
        entered = await review.enter(
            session, actor=world["edu_staff"], kind=SELF_EVALUATION, item_id=evaluation_id, now=NOW
        )

    async def waiting() -> list[tuple[str, frozenset[int]]]:
        async with world.db.sessions() as session:
            snapshot = await collect_due_items(session, today=NOW.date())
        return [
            (item.rule_key, item.owners)
            for item in snapshot.items
            if item.subject.startswith(f"se{evaluation_id}.")
        ]

    assert await waiting() == [("review.head", frozenset({world.person_id("edu_head")}))]
    await review.decide_on(
        world.db,
        actor=world["edu_head"],
        kind=SELF_EVALUATION,
        item_id=evaluation_id,
        expected_version=entered.version,
        decision=ReviewDecision.approve,
        now=NOW,
    )
    ((rule, owners),) = await waiting()
    assert rule == "review.performance"
    assert owners == {world.person_id("perf"), world.person_id("perf2")}


async def skip_refused(world: World, code: str) -> DraftResult:
    result = await drafts.skip(world.db, person_id=world.person_id("edu_staff"), now=NOW)
    assert result.outcome is DraftOutcome.refused and result.problem.code == code, result.problem
    return result


async def test_the_reasons_the_notice_asks_for_cannot_be_skipped(world: World) -> None:
    evaluation_id = await opened(world)
    await start_evaluation_form(
        world.db, actor=world["edu_staff"], evaluation_id=evaluation_id, now=NOW
    )
    await say(world, "120.5")
    await say(world, "108")  # 89.63 %: below 90 %, the reason is required
    asked = await skip_refused(world, "evaluation_execution_reason")
    assert "执行率低于 90%" in shown(asked)
    await say(world, "年底资金未拨付完毕")
    await say(world, "完成全市教师轮训 450 人次")
    await refused(world, "-5", "negative")
    await say(world, "499")  # 499 of ≥ 500: not met by one, the deviation is required
    deviation = await skip_refused(world, "evaluation_deviation_required")
    assert "必须填写偏差原因" in shown(deviation)
    await say(world, "一名教师病休")
    await say(world, "课堂评估优良率提高")
    await press(world, drafts.choose, index=0)  # 达成: 24 to 30 of 30, met, no deviation
    await refused(world, "23.99", "evaluation_outside_band")
    met = await say(world, "24")
    assert str(met.view.cursor) == "indicators#2.actual", met.view.cursor


async def test_at_exactly_ninety_percent_the_reason_is_not_asked(world: World) -> None:
    evaluation_id = await opened(world)
    await start_evaluation_form(
        world.db, actor=world["edu_staff"], evaluation_id=evaluation_id, now=NOW
    )
    await say(world, "100")
    at_ninety = await say(world, "90")
    assert str(at_ninety.view.cursor) == "overall_achieved", at_ninety.view.cursor


async def test_a_row_marked_not_applicable_needs_its_reason(world: World) -> None:
    evaluation_id = await opened(world)
    await start_evaluation_form(
        world.db, actor=world["edu_staff"], evaluation_id=evaluation_id, now=NOW
    )
    summary = await fill_to_summary(world, evaluation_id)
    await press(world, drafts.edit_field, number=_entry_number(summary, "indicators"))
    await press(world, drafts.edit_row_field, index=0, field="applicable")
    reason = await press(world, drafts.choose, index=1)  # 不适用
    assert str(reason.view.cursor) == "indicators#0.na_reason"
    await skip_refused(world, "required")


async def test_a_full_year_budget_of_zero_is_refused_in_the_engines_words(world: World) -> None:
    evaluation_id = await opened(world)
    await start_evaluation_form(
        world.db, actor=world["edu_staff"], evaluation_id=evaluation_id, now=NOW
    )
    zero = await refused(world, "0", "evaluation_scoring")
    assert "全年预算数为 0，无法计算执行率" in shown(zero)
