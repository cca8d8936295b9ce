"""The goal declaration form through the draft workflow, down to the records it makes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.conversations import form_view
from bot.ui.render import render
from storage.db import Database
from storage.models import (
    AuditEntry,
    BudgetYear,
    GoalVersion,
    Indicator,
    OutboxMessage,
    Person,
    Project,
    ProjectCodepartment,
    RectificationRequest,
    ReviewDecision,
    ReviewEditLock,
    ReviewStep,
    ScheduleItem,
)
from tests.goal_world import (
    CONTINUING_HEADER,
    HEADER_ANSWERS,
    INDICATOR_ROWS,
    NOW,
    SCHEDULE_ROWS,
    TAIL_ANSWERS,
    GoalWorld,
    actor_of_person_db,
    add_last_year,
    begin,
    build_goal_world,
    continue_last_year,
    declare,
    declared,
    fill_header,
    fill_rows,
    goal_row_version,
    press,
    say,
    where,
)
from workflow.core.access import AccessDenied, Actor
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome
from workflow.goals import declaration as goals
from workflow.goals.context import GOAL_CONTEXT_READS, load_goal_context
from workflow.review import chain as review
from workflow.review import forms as review_forms
from workflow.review.edit_lock import Taken


async def test_a_full_declaration_becomes_a_submitted_project(database: Database) -> None:
    world = await build_goal_world(database)
    await declare(database, world.staff)
    result = await press(database, world.staff, drafts.submit)
    assert result.outcome is DraftOutcome.submitted
    async with database.transaction() as session:
        project = await session.get(Project, result.record.project_id)
        version = await session.get(GoalVersion, result.record.goal_version_id)
        schedule = await session.scalars(select(ScheduleItem).order_by(ScheduleItem.position))
        indicators = list(await session.scalars(select(Indicator).order_by(Indicator.position)))
        schedule = list(schedule)
    assert (project.name, project.year, project.organisation_id) == (
        "职业技能提升培训",
        2026,
        world.department,
    )
    assert project.status == "in_review" and project.attribute == "new"
    assert result.record.stage == "head" and version.status == "in_review"
    assert project.is_key is False and project.is_shared is False
    assert version.funds_total == Decimal(120) and version.funds_carryover == Decimal("15.5")
    assert version.annual_amount == Decimal(120)
    assert version.start_date == dt.date(2026, 1, 1) and version.end_date == dt.date(2026, 12, 31)
    assert version.phone == "0519-87654321" and version.submitted_by_id == world.staff
    assert [(s.content, s.end_date) for s in schedule] == [
        ("制定培训计划", dt.date(2026, 2, 28)),
        ("组织开展培训", dt.date(2026, 11, 30)),
    ]
    assert [(i.level1, i.level2, i.name, i.sign) for i in indicators] == [
        ("产出", "数量", "培训人次", "≥"),
        ("产出", "质量", "取证率", "≥"),
        ("效益", "社会效益", "就业率提升", "定性"),
        ("满意度", "服务对象满意度", "学员满意度", "≥"),
    ]
    assert indicators[0].target_value == Decimal(3000) and indicators[0].unit == "人次"
    assert indicators[2].target_text == "良" and indicators[2].target_value is None
    assert indicators[2].unit is None and indicators[2].weight == Decimal(20)


@pytest.mark.parametrize(
    ("field", "text", "code"),
    [
        ("end_date", "2025-12-31", "end_before_start"),
        ("funds_total", "NaN", "not_a_number"),
        ("funds_total", "-5", "negative"),
        ("funds_total", "0", "must_be_positive"),
        ("funds_fiscal", "130", "parts_exceed_total"),
        ("funds_carryover", "25", "parts_exceed_total"),
        ("funds_other", "5", "breakdown_mismatch"),
        ("annual_amount", "121", "annual_exceeds_total"),
        ("phone", "12345", "phone_format"),
        ("year", "2031", "year_not_open"),
        ("year", "2025", "year_issued"),  # issued already: no new projects in it
        ("overall_goal", "字" * 5000, "too_long"),
    ],
)
async def test_header_rules(database: Database, field: str, text: str, code: str) -> None:
    world = await build_goal_world(database)
    await begin(database, world.staff)
    before = [(f, t) for f, t in HEADER_ANSWERS[: [f for f, _ in HEADER_ANSWERS].index(field)]]
    for name, answer in before:
        await say(database, world.staff, answer, expect_at=name)
    result = await drafts.answer(database, person_id=world.staff, text=text, now=NOW)
    assert result.outcome is DraftOutcome.refused and result.problem.code == code
    assert where(result) == field


async def at_indicators(db: Database, world: GoalWorld) -> None:
    await begin(db, world.staff)
    await fill_header(db, world.staff)
    await fill_rows(db, world.staff, SCHEDULE_ROWS)
    await press(db, world.staff, drafts.finish_rows)
    for _, text in TAIL_ANSWERS:
        await say(db, world.staff, text)


async def test_indicator_rules(database: Database) -> None:
    world = await build_goal_world(database)
    await at_indicators(database, world)
    first = await drafts.current_draft(database, person_id=world.staff)
    assert where(first) == "indicators#0.level1"
    assert [c.label for c in first.view.step.choices] == ["产出", "成本", "效益", "满意度"]
    await say(database, world.staff, "产出")
    level2 = await drafts.current_draft(database, person_id=world.staff)
    assert [c.label for c in level2.view.step.choices] == ["数量", "质量", "时效"]
    refused = await drafts.answer(database, person_id=world.staff, text="经济效益", now=NOW)
    assert refused.problem.code == "choose_button"
    for text in ("数量", "培训人次", "≥"):
        await say(database, world.staff, text)
    assert where(await drafts.current_draft(database, person_id=world.staff)) == (
        "indicators#0.target_value"
    )
    refused = await drafts.answer(database, person_id=world.staff, text="很多", now=NOW)
    assert refused.problem.code == "not_a_number"
    for text in ("3000", "人次"):
        await say(database, world.staff, text)
    over = await drafts.answer(database, person_id=world.staff, text="120", now=NOW)
    assert over.problem.code == "weight_range"
    menu = await drafts.skip(database, person_id=world.staff, now=NOW)
    assert where(menu) == "indicators#menu"
    too_few = await press(database, world.staff, drafts.finish_rows)
    assert too_few.problem.code == "too_few_rows" and too_few.problem.params == {"minimum": 3}
    await press(database, world.staff, drafts.add_row)
    await fill_rows(database, world.staff, [["产出", "时效", "按期完成率", "=", "100", "%", "10"]])
    await press(database, world.staff, drafts.add_row)
    await fill_rows(database, world.staff, [["效益", "社会效益", "就业带动", "定性", "达成", "20"]])
    missing = await press(database, world.staff, drafts.finish_rows)
    assert missing.problem.code == "indicator_levels_missing"
    assert missing.problem.params == {"levels": "满意度"}


async def test_someone_with_no_declaring_role_cannot_start(database: Database) -> None:
    await build_goal_world(database)
    async with database.transaction() as session:
        passer_by = Person(name="路人")
        session.add(passer_by)
        await session.flush()
    stranger = Actor(person_id=passer_by.id, name="路人", roles=frozenset())
    with pytest.raises(AccessDenied):
        await goals.start_declaration(database, actor=stranger, now=NOW)
    async with database.transaction() as session:
        refusal = await session.scalar(select(AuditEntry))
    assert (refusal.actor_id, refusal.action, refusal.allowed) == (
        passer_by.id,
        "declare_goal",
        False,
    )


async def test_staff_of_two_organisations_choose_one(database: Database) -> None:
    world = await build_goal_world(database)
    await begin(database, world.unit_staff)
    await say(database, world.unit_staff, "2026")
    current = await drafts.current_draft(database, person_id=world.unit_staff)
    assert where(current) == "organisation"
    assert [c.label for c in current.view.step.choices] == [
        "市人力资源和社会保障局",
        "市职业技能鉴定中心",
    ]
    result = await press(database, world.unit_staff, drafts.choose, index=1)
    assert result.view.data["organisation"] == world.unit


async def test_continuing_project_shows_last_year_and_copies_its_indicators(
    database: Database,
) -> None:
    world = await build_goal_world(database)
    last_year = await add_last_year(database, world)
    async with database.transaction() as session:  # one request open, one settled
        for status in ("replied", "accepted"):
            session.add(
                RectificationRequest(
                    project_id=last_year, source="evaluation", content="加强跟踪", status=status
                )
            )
    await begin(database, world.staff)
    await say(database, world.staff, "2026")
    await say(database, world.staff, "延续")
    current = await drafts.current_draft(database, person_id=world.staff)
    assert where(current) == "predecessor"
    shown = await press(database, world.staff, drafts.choose, index=0)
    assert where(shown) == "copy_last_year"
    last = shown.view.context["predecessor"]
    assert last["evaluation"]["grade"] == "良" and last["evaluation"]["total"] == Decimal("86.5")
    assert last["evaluation"]["problems"] == "培训后跟踪不足" and last["issued"] is True
    assert last["evaluation"]["open_rectifications"] == 1
    prompt = render("goal_last_year", context=shown.view.context)
    assert "上年绩效评价结果</b>：良，86.50 分" in prompt and "还有 1 项整改要求未完成" in prompt
    assert last["annual_goal"] == "2025 年培训 3000 人次"
    copied = await say(database, world.staff, "是")
    assert [row["name"] for row in copied.view.data["indicators"]] == ["培训人次", "长效机制"]
    named = await press(database, world.staff, drafts.choose, index=0)  # last year's name
    assert named.view.data["name"] == "职业技能提升培训"


async def test_copied_indicator_outside_this_years_tree_must_be_fixed(database: Database) -> None:
    world = await build_goal_world(database)
    await add_last_year(database, world)
    await continue_last_year(database, world)
    await fill_header(database, world.staff, CONTINUING_HEADER)
    await fill_rows(database, world.staff, SCHEDULE_ROWS)
    await press(database, world.staff, drafts.finish_rows)
    for _, text in TAIL_ANSWERS:
        result = await say(database, world.staff, text)
    assert where(result) == "indicators#menu"  # rows copied: the menu, not a new row
    too_few = await press(database, world.staff, drafts.finish_rows)
    assert too_few.problem.code == "too_few_rows"
    await press(database, world.staff, drafts.add_row)
    await fill_rows(database, world.staff, [INDICATOR_ROWS[3]])
    refused = await press(database, world.staff, drafts.finish_rows)
    assert refused.problem.code == "level_not_in_tree"
    assert refused.problem.params == {"level1": "效益", "level2": "可持续影响", "row": 2}


async def test_shared_project_names_co_departments(database: Database) -> None:
    world = await build_goal_world(database)
    await at_indicators(database, world)
    view = (await drafts.current_draft(database, person_id=world.staff)).view
    await drafts.back(
        database, person_id=world.staff, draft_id=view.id, version=view.version, now=NOW
    )
    result = await say(database, world.staff, "是", expect_at="is_shared")
    assert where(result) == "codepartments"
    unknown = await drafts.answer(database, person_id=world.staff, text="市卫健委", now=NOW)
    assert unknown.problem.code == "unknown_department"
    own = await drafts.answer(
        database, person_id=world.staff, text="市人力资源和社会保障局", now=NOW
    )
    assert own.problem.code == "own_department"
    named = await say(database, world.staff, "D02")
    assert named.view.data["codepartments"] == ["市教育局"]
    await fill_rows(database, world.staff, INDICATOR_ROWS)
    await press(database, world.staff, drafts.finish_rows)
    done = await press(database, world.staff, drafts.submit)
    assert done.outcome is DraftOutcome.submitted
    async with database.transaction() as session:
        rows = list(await session.scalars(select(ProjectCodepartment)))
    assert [(r.project_id, r.organisation_id) for r in rows] == [
        (done.record.project_id, world.other_department)
    ]


async def test_same_name_submitted_by_a_colleague_meanwhile(database: Database) -> None:
    world = await build_goal_world(database)
    await declare(database, world.staff)
    await declare(database, world.colleague)
    first = await press(database, world.colleague, drafts.submit)
    assert first.outcome is DraftOutcome.submitted
    second = await press(database, world.staff, drafts.submit)
    assert second.outcome is DraftOutcome.refused
    assert second.problem.code == "project_name_taken" and where(second) == "name"
    async with database.transaction() as session:
        assert len(list(await session.scalars(select(Project)))) == 1
    renamed = await say(database, world.staff, "职业技能提升培训（二期）")
    assert renamed.view.cursor.is_summary
    again = await press(database, world.staff, drafts.submit)
    assert again.outcome is DraftOutcome.submitted


async def test_one_person_edits_a_returned_project_and_a_take_over_is_confirmed(
    database: Database,
) -> None:
    world = await build_goal_world(database)
    done = await declared(database, world.staff)
    project_id = done.record.project_id
    gv = done.record.goal_version_id
    head = await actor_of_person_db(database, world.head)
    returned = await review.decide(
        database,
        actor=head,
        goal_version_id=gv,
        expected_version=await goal_row_version(database, gv),
        decision=ReviewDecision.return_,
        comment="指标不够细化",
        now=NOW,
    )
    assert returned.ok and returned.status == "returned"
    staff = await actor_of_person_db(database, world.staff)
    colleague = await actor_of_person_db(database, world.colleague)
    _form, mine = await review_forms.start_fix(
        database, actor=staff, goal_version_id=gv, expected_version=returned.version, now=NOW
    )
    assert mine.view.cursor.is_summary and mine.view.data["funds_total"] == "120"

    # The colleague is told who holds the edit and since when, by either way in.
    _form, held = await review_forms.start_fix(
        database, actor=colleague, goal_version_id=gv, expected_version=returned.version, now=NOW
    )
    assert isinstance(held, Taken) and not held.ok and held.held.name == "王芳"
    text = render("review_edit_lock", event="held", by=held.held.name, at="2026-03-02 09:00")
    assert "王芳 正在修改此项目" in text and "确认接手修改" in text
    blocked = await goals.start_goal_edit(database, actor=colleague, project_id=project_id, now=NOW)
    assert blocked.code == "edit_locked" and blocked.params["by"] == "王芳"

    # Taken over after the confirmation: the staff member is told, the timeline keeps it.
    _form, theirs = await review_forms.start_fix(
        database,
        actor=colleague,
        goal_version_id=gv,
        expected_version=returned.version,
        now=NOW,
        take_over=True,
    )
    assert theirs.view is not None
    edit = await drafts.edit_field(database, person_id=world.colleague, number=8, now=NOW)
    assert where(edit) == "funds_total"
    at_summary = await say(database, world.colleague, "150")
    assert at_summary.view.cursor.is_summary
    mismatch = await press(database, world.colleague, drafts.submit)
    assert mismatch.problem.code == "breakdown_mismatch" and where(mismatch) == "funds_other"
    fixed = await press(database, world.colleague, drafts.choose, index=0)
    assert fixed.view.cursor.is_summary and fixed.view.data["funds_other"] == "34.5"

    # The former holder's submission is refused, saying who holds it; nothing is lost.
    refused = await press(database, world.staff, drafts.submit)
    assert refused.outcome is DraftOutcome.refused and refused.problem.code == "edit_held"
    assert refused.problem.params["by"] == "李明"
    first = await press(database, world.colleague, drafts.submit)
    assert first.outcome is DraftOutcome.submitted, first.problem
    second = await press(database, world.staff, drafts.submit)
    assert second.outcome is DraftOutcome.refused and second.problem.code == "project_changed"

    async with database.transaction() as session:
        version = await session.scalar(select(GoalVersion))
        project = await session.get(Project, project_id)
        locks = list(await session.scalars(select(ReviewEditLock)))
        notices = list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == "review_edit_lock")
                .order_by(OutboxMessage.id)
            )
        )
        steps = list(
            await session.scalars(
                select(ReviewStep.decision).where(ReviewStep.item_id == gv).order_by(ReviewStep.id)
            )
        )
    assert version.funds_total == Decimal(150) and project.status == "in_review"
    assert locks == []
    told = [(m.person_id, m.context["event"]) for m in notices]
    assert (world.staff, "taken_over") in told and (world.staff, "resubmitted") in told
    assert (world.colleague, "resubmitted") not in told
    assert steps == ["submit", "return", "take_over", "submit"]


async def test_the_context_depends_only_on_the_answers_it_names(database: Database) -> None:
    """Drafts reuse the loaded context after answers outside GOAL_CONTEXT_READS."""
    world = await build_goal_world(database)
    await add_last_year(database, world)
    await continue_last_year(database, world)
    full = (await fill_header(database, world.staff, CONTINUING_HEADER)).view.data
    read_only = {name: full[name] for name in GOAL_CONTEXT_READS if name in full}
    assert set(full) - set(read_only)  # many answers are not read...
    async with database.sessions() as session:
        everything = await load_goal_context(session, world.staff, full)
        named = await load_goal_context(session, world.staff, read_only)
    assert everything == named  # ...and leave the context as it is
    assert everything["predecessor"]["name"] == "职业技能提升培训"


async def test_a_schedule_row_may_not_end_after_the_project(database: Database) -> None:
    world = await build_goal_world(database)
    await begin(database, world.staff)
    await fill_header(database, world.staff)  # the project ends 2026-12-31
    await say(database, world.staff, "组织开展培训")
    await say(database, world.staff, "2026-03-01")
    late = await drafts.answer(database, person_id=world.staff, text="2027-03-31", now=NOW)
    assert late.outcome is DraftOutcome.refused and late.problem.code == "row_after_project_end"
    assert "不能晚于项目结束日期（2026年12月31日）" in render_problem(late)
    assert where(late) == "schedule#0.end"
    await say(database, world.staff, "2026-12-31")  # on the last day is fine


def render_problem(result) -> str:
    from bot.conversations.form_text import problem_text

    return str(problem_text("goal_declaration", result.problem))


async def test_new_offers_the_next_year_once_every_configured_year_is_issued(
    database: Database,
) -> None:
    world = await build_goal_world(database)
    async with database.transaction() as session:
        (await session.get(BudgetYear, 2026)).issued_at = NOW
    opened = await begin(database, world.staff)
    assert [choice.label for choice in opened.view.step.choices] == ["2027"]
    issued = await drafts.answer(database, person_id=world.staff, text="2026", now=NOW)
    assert issued.outcome is DraftOutcome.refused and issued.problem.code == "year_issued"
    assert "2026 年度的绩效目标已经批复下达" in render_problem(issued)
    assert "可申报的年度：2027" in render_problem(issued)
    await say(database, world.staff, "2027", expect_at="year")


async def test_the_number_offered_for_the_other_funds_is_written_as_typed(
    database: Database,
) -> None:
    world = await build_goal_world(database)
    await begin(database, world.staff)
    amounts = {"funds_total": "1200.50", "funds_fiscal": "1200.5", "funds_carryover": "0"}
    before_other = HEADER_ANSWERS[: [f for f, _ in HEADER_ANSWERS].index("funds_other")]
    header = [(f, amounts.get(f, t)) for f, t in before_other]
    at_other = await fill_header(database, world.staff, header)
    assert where(at_other) == "funds_other"
    offered = [b.text for row in form_view.step(at_other.view).markup.inline_keyboard for b in row]
    assert "0" in offered and not [text for text in offered if "0.0" in text], offered
    at_annual = await press(database, world.staff, drafts.choose, index=0)
    assert where(at_annual) == "annual_amount" and at_annual.view.data["funds_other"] == "0"
    offered = [b.text for row in form_view.step(at_annual.view).markup.inline_keyboard for b in row]
    assert "1,200.5" in offered, offered
