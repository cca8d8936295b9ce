"""Issuance (批复下达): the budget section's year list, /issue once, and who hears what."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from bot.ui.render import render
from storage.db import Database
from storage.models import (
    BudgetYear,
    GoalVersion,
    Indicator,
    OutboxMessage,
    Project,
    ReviewDecision,
    ReviewStep,
)
from tests.review_world import (
    DEPARTMENT_CHAIN,
    YEAR,
    World,
    approve_through,
    build_world,
    make_goal,
)
from workflow.core.access import AccessDenied
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome
from workflow.goals import adjustment, issuance
from workflow.review import chain as review
from workflow.review import views as review_views

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def three_projects(world: World) -> dict[str, int]:
    """An approved education project, an approved school project, a health one still in review."""
    edu = await make_goal(world, name="教师培训项目")
    await approve_through(world, edu, now=NOW)
    school = await make_goal(world, org="SCHOOL", staff="school_staff", name="校舍维修")
    await approve_through(
        world,
        school,
        staff="school_staff",
        reviewers=("school_head", "edu_head", "biz1", "perf", "budget"),
        now=NOW,
    )
    health = await make_goal(world, org="HEALTH", staff="health_staff", name="基层医疗")
    await approve_through(world, health, staff="health_staff", reviewers=("health_head",), now=NOW)
    return {"edu": edu, "school": school, "health": health}


async def rows(world: World, model, *conditions):
    async with world.db.transaction() as session:
        return list(await session.scalars(select(model).where(*conditions)))


async def test_the_budget_section_sees_every_project_and_those_without_budget(
    world: World,
) -> None:
    ids = await three_projects(world)
    overview = await issuance.budget_overview(world.db, actor=world["budget"], year=YEAR)
    by_name = {line.name: line for line in overview.lines}
    assert set(by_name) == {"教师培训项目", "校舍维修", "基层医疗"}
    # Still in the chain, no year dates set: pending, not refused (only issuance refuses).
    assert not by_name["基层医疗"].no_budget and by_name["基层医疗"].stage == "business"
    assert [line.name for line in overview.closing] == ["基层医疗"]
    assert not by_name["教师培训项目"].no_budget
    assert by_name["教师培训项目"].version_status == "approved"
    assert {line.goal_version_id for line in overview.ready} == {ids["edu"], ids["school"]}
    assert by_name["校舍维修"].amount == "120.50"
    with pytest.raises(AccessDenied):
        await issuance.budget_overview(world.db, actor=world["edu_head"], year=YEAR)


async def test_issue_issues_every_approved_goal_once_and_tells_each_organisation(
    world: World,
) -> None:
    ids = await three_projects(world)
    with pytest.raises(AccessDenied):
        await issuance.issue_year(world.db, actor=world["perf"], year=YEAR, expected=2, now=LATER)
    stale = await issuance.issue_year(
        world.db, actor=world["budget"], year=YEAR, expected=5, now=LATER
    )
    assert stale.stale and not stale.issued
    assert {v.status for v in await rows(world, GoalVersion)} == {"approved", "in_review"}

    done = await issuance.issue_year(
        world.db, actor=world["budget"], year=YEAR, expected=2, now=LATER
    )
    assert {line.goal_version_id for line in done.issued} == {ids["edu"], ids["school"]}
    assert [line.name for line in done.no_budget] == ["基层医疗"]
    versions = {v.id: v for v in await rows(world, GoalVersion)}
    assert versions[ids["edu"]].status == "issued" and versions[ids["edu"]].stage is None
    assert versions[ids["edu"]].issued_at == LATER
    projects = {p.name: p.status for p in await rows(world, Project)}
    assert projects == {"教师培训项目": "issued", "校舍维修": "issued", "基层医疗": "no_budget"}
    steps = await rows(world, ReviewStep, ReviewStep.decision == "issue")
    assert sorted(s.item_id for s in steps if s.item_kind == "goal_version") == sorted(
        [ids["edu"], ids["school"]]
    )
    year_row = (await rows(world, BudgetYear))[0]
    assert year_row.issued_at == LATER

    notices = await rows(world, OutboxMessage, OutboxMessage.template == "goals_issued")
    heard = {(n.person_id, n.context["organisation"]) for n in notices}
    assert heard == {
        (world.person_id("edu_staff"), "市教育局"),
        (world.person_id("edu_staff2"), "市教育局"),
        (world.person_id("edu_head"), "市教育局"),
        (world.person_id("school_staff"), "市第一中学"),
        (world.person_id("school_head"), "市第一中学"),
        (world.person_id("health_staff"), "市卫健委"),
        (world.person_id("health_head"), "市卫健委"),
    }
    health_notice = next(n for n in notices if n.person_id == world.person_id("health_staff"))
    assert health_notice.context["issued"] == []
    assert [p["name"] for p in health_notice.context["no_budget"]] == ["基层医疗"]

    again = await issuance.issue_year(
        world.db, actor=world["budget"], year=YEAR, expected=0, now=LATER
    )
    assert not again.issued and not again.no_budget and not again.stale
    assert len(await rows(world, ReviewStep, ReviewStep.decision == "issue")) == 2


async def test_two_simultaneous_confirmations_issue_each_goal_once(world: World) -> None:
    await three_projects(world)
    results = await asyncio.gather(
        *(
            issuance.issue_year(world.db, actor=world["budget"], year=YEAR, expected=2, now=LATER)
            for _ in range(4)
        )
    )
    issued = [line.goal_version_id for r in results for line in r.issued]
    assert len(issued) == len(set(issued)) == 2
    assert len(await rows(world, ReviewStep, ReviewStep.decision == "issue")) == 2
    notices = await rows(world, OutboxMessage, OutboxMessage.template == "goals_issued")
    told = [(n.person_id, p["project_id"]) for n in notices for p in n.context["issued"]]
    assert len(told) == len(set(told))  # nobody hears of the same issuance twice


async def issued_project(world: World) -> int:
    gv = await make_goal(world, name="教师培训项目")
    await approve_through(world, gv, now=NOW)
    await issuance.issue_year(world.db, actor=world["budget"], year=YEAR, expected=1, now=LATER)
    return gv


async def open_adjustment(
    world: World, gv: int, reason: str | None = "培训对象扩大"
) -> tuple[drafts.DraftResult, int]:
    """Staff request an adjustment: the form opens prefilled; the reason is asked first."""
    async with world.db.transaction() as session:
        version = (await session.get(GoalVersion, gv)).version
    opened = await adjustment.start_adjustment(
        world.db, actor=world["edu_staff"], goal_version_id=gv, expected_version=version, now=LATER
    )
    assert opened.outcome is DraftOutcome.moved, opened
    person = world.person_id("edu_staff")
    if reason is not None:
        assert opened.view.step.field.name == "adjustment_reason"
        shown = await drafts.answer(world.db, person_id=person, text=reason, now=LATER)
        assert shown.view.step.kind == "summary"
        assert shown.view.data["annual_goal"] == "完成全市教师轮训"  # prefilled
    current = await drafts.current_draft(world.db, person_id=person)
    done = await drafts.submit(
        world.db,
        person_id=person,
        draft_id=current.view.id,
        version=current.view.version,
        now=LATER,
    )
    assert done.outcome is DraftOutcome.submitted, done
    return opened, done.record.goal_version_id


async def test_an_adjustment_goes_through_the_chain_while_the_issued_version_stays_in_force(
    world: World,
) -> None:
    first = await issued_project(world)
    _, second = await open_adjustment(world, first)
    versions = {v.id: v for v in await rows(world, GoalVersion)}
    assert (versions[second].number, versions[second].kind) == (2, "adjustment")
    assert versions[second].adjustment_reason == "培训对象扩大"
    assert (versions[second].status, versions[second].stage) == ("in_review", "head")
    assert versions[first].status == "issued"
    assert [p.status for p in await rows(world, Project)] == ["issued"]
    indicators = await rows(world, Indicator, Indicator.goal_version_id == second)
    assert len(indicators) == 3

    # Only one adjustment at a time.
    again = await adjustment.start_adjustment(
        world.db,
        actor=world["edu_staff"],
        goal_version_id=first,
        expected_version=versions[first].version,
        now=LATER,
    )
    assert again.code == "adjustment_open"
    with pytest.raises(AccessDenied):
        await adjustment.start_adjustment(
            world.db,
            actor=world["health_staff"],
            goal_version_id=first,
            expected_version=versions[first].version,
            now=LATER,
        )

    # The head's card of the adjustment says which version stays in force meanwhile.
    (card,) = await rows(
        world,
        OutboxMessage,
        OutboxMessage.template == "review_card",
        OutboxMessage.person_id == world.person_id("edu_head"),
        OutboxMessage.dedupe_key.like(f"rv:card:{second}:%"),
    )
    assert card.context["item"]["in_force"] == 1
    text = render("review_card", **card.context)
    assert "调整（第 2 版）；调整原因：培训对象扩大" in text
    assert "现行有效：第 1 版（本调整批复下达前继续执行）" in text
    details = await review_views.details(world.db, actor=world["edu_head"], goal_version_id=second)
    assert [(v["number"], v["in_force"]) for v in details.context["versions"]] == [
        (1, True),
        (2, False),
    ]
    version = versions[second].version
    for who in DEPARTMENT_CHAIN:
        version = (
            await review.decide(
                world.db,
                actor=world[who],
                goal_version_id=second,
                expected_version=version,
                decision=ReviewDecision.approve,
                now=LATER,
            )
        ).version
    overview = await issuance.budget_overview(world.db, actor=world["budget"], year=YEAR)
    assert [line.goal_version_id for line in overview.ready] == [second]
    assert versions[first].status == "issued"
    done = await issuance.issue_year(
        world.db, actor=world["budget"], year=YEAR, expected=1, now=LATER
    )
    assert [line.goal_version_id for line in done.issued] == [second]
    statuses = {v.id: v.status for v in await rows(world, GoalVersion)}
    assert statuses == {first: "superseded", second: "issued"}
    history = await review_views.timeline(world.db, actor=world["edu_staff"], goal_version_id=first)
    assert [(s["version_number"], s["decision"]) for s in history.context["steps"]][-2:] == [
        (2, "approve"),
        (2, "issue"),
    ]


async def test_a_returned_adjustment_is_corrected_and_goes_through_the_chain_again(
    world: World,
) -> None:
    first = await issued_project(world)
    _, second = await open_adjustment(world, first)
    async with world.db.transaction() as session:
        version = (await session.get(GoalVersion, second)).version
    version = (
        await review.decide(
            world.db,
            actor=world["edu_head"],
            goal_version_id=second,
            expected_version=version,
            decision=ReviewDecision.approve,
            now=LATER,
        )
    ).version
    returned = await review.decide(
        world.db,
        actor=world["biz1"],
        goal_version_id=second,
        expected_version=version,
        decision=ReviewDecision.return_,
        comment="调整理由不充分",
        now=LATER,
    )
    assert returned.ok
    assert {v.id: v.status for v in await rows(world, GoalVersion)}[first] == "issued"
    opened, resubmitted = await open_adjustment(world, second, reason=None)
    assert opened.view.data["adjustment_reason"] == "培训对象扩大"
    assert opened.view.step.kind == "summary"
    assert resubmitted == second
    row = {v.id: v for v in await rows(world, GoalVersion)}[second]
    assert (row.status, row.stage) == ("in_review", "head")


async def test_goals_still_in_the_chain_are_closed_as_no_budget_with_a_timeline_entry(
    world: World,
) -> None:
    ids = await three_projects(world)
    returned = await make_goal(world, org="HEALTH", staff="health_staff", name="健康宣传")
    async with world.db.transaction() as session:
        version = (
            await review.enter_chain(
                session, actor=world["health_staff"], goal_version_id=returned, now=NOW
            )
        ).version
    await review.decide(
        world.db,
        actor=world["health_head"],
        goal_version_id=returned,
        expected_version=version,
        decision=ReviewDecision.return_,
        comment="指标不全",
        now=NOW,
    )
    never_submitted = await make_goal(world, org="CULTURE", staff="culture_head", name="文化下乡")
    health = (await rows(world, GoalVersion, GoalVersion.id == ids["health"]))[0]

    done = await issuance.issue_year(
        world.db, actor=world["budget"], year=YEAR, expected=2, now=LATER
    )
    assert {line.name for line in done.no_budget} == {"基层医疗", "健康宣传", "文化下乡"}
    versions = {v.id: v for v in await rows(world, GoalVersion)}
    for gv in (ids["health"], returned, never_submitted):
        assert (versions[gv].status, versions[gv].stage) == ("no_budget", None)
    closing = await rows(world, ReviewStep, ReviewStep.decision == "no_budget")
    assert {(s.item_id, s.stage, s.actor_id) for s in closing} == {
        (gv, "issuance", world.person_id("budget"))
        for gv in (ids["health"], returned, never_submitted)
    }

    # The business section's card of the health goal is closed in its chat, and stale.
    cards = await rows(
        world,
        OutboxMessage,
        OutboxMessage.template == "review_card",
        OutboxMessage.person_id == world.person_id("biz2"),
        OutboxMessage.edit_of_id.is_(None),
    )
    assert [c.context["item"]["project"] for c in cards] == ["基层医疗"]
    card = cards[0]
    (closing_edit,) = await rows(world, OutboxMessage, OutboxMessage.edit_of_id == card.id)
    assert closing_edit.buttons is None
    assert closing_edit.context["settled"]["decision"] == "no_budget"
    stale = await review.decide(
        world.db,
        actor=world["biz2"],
        goal_version_id=ids["health"],
        expected_version=health.version,
        decision=ReviewDecision.approve,
        now=LATER,
    )
    assert stale.outcome is review.Outcome.already_handled
    assert (stale.handled.by, stale.handled.decision) == ("高科长", "no_budget")
    # Nobody has it to do any more, and the returned one cannot be resubmitted.
    assert await review_views.todo(world.db, actor=world["biz2"], now=LATER) == []
    assert await review_views.todo(world.db, actor=world["health_staff"], now=LATER) == []
    async with world.db.transaction() as session:
        again = await review.enter_chain(
            session, actor=world["health_staff"], goal_version_id=returned, now=LATER
        )
    assert again.outcome is review.Outcome.not_submittable
    history = await review_views.timeline(
        world.db, actor=world["health_staff"], goal_version_id=returned
    )
    assert [s["decision"] for s in history.context["steps"]] == ["submit", "return", "no_budget"]
    # The department hears which of its goals were closed, and where they stood.
    notice = next(
        n
        for n in await rows(world, OutboxMessage, OutboxMessage.template == "goals_issued")
        if n.person_id == world.person_id("health_staff")
    )
    assert {p["name"]: p["version_status"] for p in notice.context["no_budget"]} == {
        "基层医疗": "in_review",
        "健康宣传": "returned",
    }
    text = render("goals_issued", **notice.context)
    assert "基层医疗（业务科室审核中，审核已终止）" in text
    assert "健康宣传（已退回待修改，审核已终止）" in text


async def test_budget_marks_no_budget_only_past_the_deadline_or_after_issuance(
    world: World,
) -> None:
    waiting = await make_goal(world, name="教师培训项目")
    await approve_through(world, waiting, reviewers=("edu_head", "biz1", "perf"), now=NOW)
    await make_goal(world, org="HEALTH", staff="health_staff", name="基层医疗")

    def shown() -> str:
        return render(
            "budget_overview",
            year=overview.year,
            lines=[line.as_dict() for line in overview.lines],
            ready=len(overview.ready),
            unfunded=len(overview.unfunded),
            funds={},
            priors={},
        )

    # No dates set: the budget section's own queue and an undeclared project are pending.
    overview = await issuance.budget_overview(world.db, actor=world["budget"], year=YEAR, now=NOW)
    assert overview.unfunded == []
    assert "不予预算安排 0 个" in shown() and "— <b>不予预算安排</b>" not in shown()
    assert "⏳ 教师培训项目（120.50 万元）：预算科审核中" in shown()

    async with world.db.transaction() as session:
        (await session.get(BudgetYear, YEAR)).goal_submission_date = dt.date(2026, 3, 2)
    after = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # the day after 一上
    overview = await issuance.budget_overview(world.db, actor=world["budget"], year=YEAR, now=after)
    assert [line.name for line in overview.unfunded] == ["基层医疗"]  # never submitted by 一上
    assert "⛔ 基层医疗" in shown() and "⏳ 教师培训项目" in shown()
    before = await issuance.budget_overview(world.db, actor=world["budget"], year=YEAR, now=NOW)
    assert before.unfunded == []  # the deadline (today) has not passed yet

    done = await issuance.issue_year(
        world.db, actor=world["budget"], year=YEAR, expected=0, now=LATER
    )
    assert {line.name for line in done.no_budget} == {"教师培训项目", "基层医疗"}
    async with world.db.transaction() as session:
        (await session.get(BudgetYear, YEAR)).goal_submission_date = None
    overview = await issuance.budget_overview(world.db, actor=world["budget"], year=YEAR, now=LATER)
    assert {line.name for line in overview.unfunded} == {"教师培训项目", "基层医疗"}


async def test_issuance_waits_for_the_peoples_congress_date_set_for_the_year(
    world: World,
) -> None:
    ids = await three_projects(world)
    async with world.db.transaction() as session:
        (await session.get(BudgetYear, YEAR)).congress_date = dt.date(2026, 3, 10)
    overview = await issuance.budget_overview(world.db, actor=world["budget"], year=YEAR, now=NOW)
    assert overview.before_congress and overview.congress_date == dt.date(2026, 3, 10)
    early = await issuance.issue_year(
        world.db, actor=world["budget"], year=YEAR, expected=2, now=NOW
    )
    assert early.congress_date == dt.date(2026, 3, 10) and not early.issued
    assert {v.status for v in await rows(world, GoalVersion)} == {"approved", "in_review"}
    text = render("issue_before_congress", year=YEAR, date=early.congress_date)
    assert "人代会批准预算之前不能批复下达" in text and "2026-03-10" in text

    on_the_day = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)
    done = await issuance.issue_year(
        world.db, actor=world["budget"], year=YEAR, expected=2, now=on_the_day
    )
    assert {line.goal_version_id for line in done.issued} == {ids["edu"], ids["school"]}
