"""Budget linkage: every issued project of a year carries a recommendation from its grade in
force (finance's over the department's), flags for problems tagged or rectification open,
and the budget section's decision with its reason; only the budget section decides."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storage.db import Database
from storage.models.enums import Grade
from tests.review_world import YEAR, World, build_world
from tests.test_evaluation_form import NOW
from tests.test_finance_evaluation import TAGS, evaluated, perf_does, perf_says, selected
from tests.tracking_world import issued_project
from workflow.core.access import AccessDenied
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome
from workflow.forms.spec import Problem
from workflow.results import linkage
from workflow.results.finance_form import start_finance_evaluation


@pytest.mark.parametrize(
    ("grade", "recommendation"),
    [
        (Grade.excellent.value, "priority"),
        (Grade.good.value, "priority"),
        (Grade.average.value, "adjust"),
        (Grade.poor.value, "cut"),
        (None, None),
    ],
)
def test_each_grade_recommends_what_the_notice_says(
    grade: str | None, recommendation: str | None
) -> None:
    assert linkage.recommend(grade) == recommendation


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def test_the_grade_in_force_recommends_and_the_budget_section_decides(world: World) -> None:
    await evaluated(world)  # 83.30 良 by the department, 83.30 良 by finance, no problems
    await issued_project(world, name="校园安全", org="HEALTH", staff="health_staff")
    with pytest.raises(AccessDenied):
        await linkage.linkage_lines(world.db, actor=world["perf"], year=YEAR)
    lines = await linkage.linkage_lines(world.db, actor=world["budget"], year=YEAR)
    assert [(line.project, line.grade, line.graded_by, line.recommendation) for line in lines] == [
        ("教师培训项目", "良", "finance", "priority"),
        ("校园安全", None, None, None),  # no result yet: last
    ]
    assert not lines[0].flagged

    budget = world.person_id("budget")
    opened = await linkage.start_linkage(
        world.db, actor=world["budget"], project_id=lines[0].project_id, now=NOW
    )
    assert not isinstance(opened, Problem)
    adjusted = await drafts.choose(
        world.db,
        person_id=budget,
        draft_id=opened.view.id,
        version=opened.view.version,
        index=1,
        now=NOW,
    )
    assert str(adjusted.view.cursor) == "amount"
    refused = await drafts.answer(world.db, person_id=budget, text="0", now=NOW)
    assert refused.problem is not None and refused.problem.code == "must_be_positive"
    await drafts.answer(world.db, person_id=budget, text="100", now=NOW)
    summary = await drafts.answer(world.db, person_id=budget, text="结余较多，适当压减", now=NOW)
    done = await drafts.submit(
        world.db, person_id=budget, draft_id=summary.view.id, version=summary.view.version, now=NOW
    )
    assert done.outcome is DraftOutcome.submitted, done.problem
    (line, _) = await linkage.linkage_lines(world.db, actor=world["budget"], year=YEAR)
    assert (line.decision, line.amount, line.reason) == (
        "adjusted",
        Decimal(100),
        "结余较多，适当压减",
    )


async def test_problems_tagged_flag_a_project_whatever_its_grade(world: World) -> None:
    selection_id = await selected(world)
    await start_finance_evaluation(
        world.db, actor=world["perf"], selection_id=selection_id, now=NOW
    )
    await perf_does(world, drafts.finish_rows)
    await perf_does(world, drafts.toggle_choice, index=TAGS.index("large_balance"))
    await perf_does(world, drafts.confirm_choices)
    await perf_says(world, "结余资金较多")
    await perf_does(world, drafts.submit)
    (line,) = await linkage.linkage_lines(world.db, actor=world["budget"], year=YEAR)
    assert line.recommendation == "priority" and line.flagged and line.tags == ("large_balance",)


async def test_next_years_reviewer_sees_finance_grade_problems_and_the_decision(
    world: World,
) -> None:
    from tests.review_world import submit_goal_version
    from tests.test_evaluation_prior import NOW as REVIEW_NOW
    from tests.test_evaluation_prior import cards, continuing

    await evaluated(world)
    (line, *_) = await linkage.linkage_lines(world.db, actor=world["budget"], year=YEAR)
    budget = world.person_id("budget")
    opened = await linkage.start_linkage(
        world.db, actor=world["budget"], project_id=line.project_id, now=NOW
    )
    await drafts.choose(
        world.db,
        person_id=budget,
        draft_id=opened.view.id,
        version=opened.view.version,
        index=0,
        now=NOW,
    )
    summary = await drafts.answer(world.db, person_id=budget, text="绩效良好，维持安排", now=NOW)
    await drafts.submit(
        world.db, person_id=budget, draft_id=summary.view.id, version=summary.view.version, now=NOW
    )
    _, goal = await continuing(world, line.project_id)
    await submit_goal_version(world, goal, "edu_staff", REVIEW_NOW)
    (card,) = await cards(world, "review_card")
    assert "财政评价 83.30 分，良" in card and "预算安排：维持安排" in card

    # The budget section's list of next year shows it too.
    from bot.ui.render import render
    from workflow.goals.issuance import budget_overview

    overview = await budget_overview(world.db, actor=world["budget"], year=YEAR + 1)
    text = render(
        "budget_overview",
        year=overview.year,
        lines=[one.as_dict() for one in overview.lines],
        ready=len(overview.ready),
        unfunded=len(overview.unfunded),
        funds=overview.fund_actions,
        priors=overview.priors,
    )
    assert "📊 上年 良·维持安排" in text


async def test_the_results_table_shows_both_scores_and_stays_within_the_department(
    world: World,
) -> None:
    import io

    from docx import Document
    from openpyxl import load_workbook

    from bot.documents.results_disclosure import results_docx, results_xlsx
    from workflow.results.disclosure import results_disclosure

    await evaluated(world)
    table = await results_disclosure(world.db, actor=world["edu_staff"], year=YEAR)
    ((result),) = table.results
    assert (result.self_total, result.finance_total, result.grade) == (
        Decimal("83.30"),
        Decimal("83.30"),
        "良",
    )
    rows = list(load_workbook(io.BytesIO(results_xlsx(table))).active.iter_rows(values_only=True))
    assert rows[2][1:7] == ("教师培训项目", "市教育局", "120.50", "83.30", "83.30", "良")
    assert (
        Document(io.BytesIO(results_docx(table))).tables[0].rows[1].cells[1].text == "教师培训项目"
    )
    with pytest.raises(AccessDenied):
        await results_disclosure(
            world.db, actor=world["health_staff"], year=YEAR, organisation_code="EDU"
        )
    needed = await results_disclosure(world.db, actor=world["perf"], year=YEAR)
    assert needed.organisation_needed
    named = await results_disclosure(
        world.db, actor=world["perf"], year=YEAR, organisation_code="EDU"
    )
    assert len(named.results) == 1


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")  # no stream left open
async def test_finance_summary_streams_every_project_with_both_scores(
    world: World, tmp_path
) -> None:
    from openpyxl import load_workbook

    from bot.documents.evaluation_summary import write_summary
    from workflow.results.summary import summary_lines

    await evaluated(world)
    await issued_project(world, name="校园安全", org="HEALTH", staff="health_staff")
    with pytest.raises(AccessDenied):
        await write_summary(
            summary_lines(world.db, actor=world["edu_staff"], year=YEAR), tmp_path / "x.xlsx"
        )
    count = await write_summary(
        summary_lines(world.db, actor=world["perf"], year=YEAR), tmp_path / "s.xlsx"
    )
    rows = list(load_workbook(tmp_path / "s.xlsx").active.iter_rows(values_only=True))
    assert count == 2 and len(rows) == 3
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["教师培训项目"][4:10] == (83.3, "良", 83.3, "良", None, "优先保障")
    assert by_name["校园安全"][1] == "市卫健委" and by_name["校园安全"][4] is None
