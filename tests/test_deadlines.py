"""Deadline rules as data, the year's dates, the admin overview and /deadlines' view."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.ui.render import render
from storage.db import Database
from storage.models import (
    AuditEntry,
    BudgetYear,
    DeadlineRule,
    GoalVersion,
    RectificationRequest,
    TrackingReport,
)
from tests.deadline_world import add_project, at_local, build_world
from workflow.calendar import rules as deadlines
from workflow.calendar.admin import (
    calendar_overview,
    import_calendar,
    set_year_dates,
    update_rule,
)
from workflow.calendar.rules import DEFAULTS_BY_KEY, ensure_default_rules, load_rules
from workflow.calendar.view import deadlines_for, mark_for
from workflow.calendar.workdays import Deadline, WorkCalendar
from workflow.core.access import TERMINAL, AccessDenied

D = dt.date


def test_the_notices_deadlines_from_the_default_rules() -> None:
    calendar = WorkCalendar()
    rule = DEFAULTS_BY_KEY.__getitem__
    assert rule(deadlines.TRACKING).deadline(D(2025, 9, 30), calendar).due == D(2025, 10, 15)
    assert rule(deadlines.TRACKING_REVIEW).deadline(D(2026, 9, 28), calendar).due == D(2026, 10, 13)
    # Issued 09-30: 10-08, 10-09, Sat 10-10, 10-12, 10-13, 10-14, 10-15.
    assert rule(deadlines.RECTIFICATION_REPLY).deadline(D(2026, 9, 30), calendar).due == D(
        2026, 10, 15
    )
    assert rule(deadlines.SELF_EVALUATION).deadline(D(2024, 12, 31), calendar) == Deadline(
        D(2025, 3, 31), False
    )
    # 2027 is not in the installed data: the due date is a weekends-only guess.
    assert rule(deadlines.SELF_EVALUATION).deadline(D(2026, 12, 31), calendar) == Deadline(
        D(2027, 3, 31), True
    )
    # 30 days after 2025-09-15 is 10-15; after 2025-09-05 it is 10-05, a holiday → 10-09.
    assert rule(deadlines.RECTIFICATION_PLAN).deadline(D(2025, 9, 5), calendar).due == D(
        2025, 10, 9
    )
    assert rule(deadlines.GOAL_DECLARATION).deadline(D(2026, 10, 20), calendar).due == D(
        2026, 10, 20
    )
    review = rule(deadlines.review_rule_key("business"))
    assert (review.days, review.unit) == (5, "working_days")


async def test_default_rules_are_seeded_once_and_edits_survive(database: Database) -> None:
    world = await build_world(database)
    added = await ensure_default_rules(database)
    assert set(added) == set(DEFAULTS_BY_KEY)
    result = await update_rule(
        database, actor=world.actor(world.admin), key="review.business", days=7
    )
    assert result.ok and result.rule.days == 7 and result.previous.days == 5
    assert await ensure_default_rules(database) == []
    async with database.sessions() as session:
        stored = await session.get(DeadlineRule, "review.business")
        rules = await load_rules(session)
    assert (stored.days, stored.updated_by_id) == (7, world.admin)
    assert rules["review.business"].days == 7 and rules["tracking"].days == 15


async def test_an_edited_rule_moves_the_reviewers_deadline(database: Database) -> None:
    world = await build_world(database)
    await add_project(database, world, year=2027, status="in_review")
    async with database.transaction() as session:
        goal = await session.get(GoalVersion, world.goal)
        goal.status, goal.stage = "in_review", "business"
        goal.stage_entered_at = at_local(D(2026, 11, 2), 10)
    business = world.actor(world.business)
    before = await deadlines_for(database, actor=business, now=at_local(D(2026, 11, 3)))
    await update_rule(
        database, actor=world.actor(world.admin), key="review.business", days=3, unit="months"
    )
    after = await deadlines_for(database, actor=business, now=at_local(D(2026, 11, 3)))
    assert [(row.kind, row.due, row.left) for row in before.mine] == [
        ("review.business", D(2026, 11, 9), 4)
    ]
    assert [row.due for row in after.mine] == [D(2027, 2, 2)]
    assert after.mine[0].provisional  # 2027's holidays are not loaded
    shown = render("deadlines", today=after.today, mine=after.mine, late=(), finance=False)
    assert "截止 2027-02-02" in shown and "暂定" in shown


async def test_only_administrators_edit_rules_and_refusals_are_audited(
    database: Database,
) -> None:
    world = await build_world(database)
    with pytest.raises(AccessDenied):
        await update_rule(database, actor=world.actor(world.staff), key="tracking", days=30)
    admin = world.actor(world.admin)
    assert (await update_rule(database, actor=admin, key="nope", days=3)).reason == ("unknown_rule")
    assert (
        await update_rule(database, actor=admin, key="tracking", days=3, unit="weeks")
    ).reason == ("bad_unit")
    assert (await update_rule(database, actor=admin, key="tracking", days=999)).reason == (
        "bad_days"
    )
    async with database.sessions() as session:
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        rules = await load_rules(session)
    assert [(e.action, e.actor_id, e.allowed) for e in entries] == [
        ("manage_calendar", world.staff, False)
    ]
    assert rules["tracking"].days == 15


async def test_budget_section_sets_the_years_dates(database: Database) -> None:
    world = await build_world(database)
    budget = world.actor(world.budget)
    first = await set_year_dates(
        database, actor=budget, year=2027, goal_submission_date=D(2026, 10, 20)
    )
    second = await set_year_dates(database, actor=budget, year=2027, congress_date=D(2027, 1, 15))
    assert (first.goal_submission_date, first.congress_date) == (D(2026, 10, 20), None)
    assert (second.goal_submission_date, second.congress_date) == (D(2026, 10, 20), D(2027, 1, 15))
    with pytest.raises(AccessDenied):
        await set_year_dates(
            database, actor=world.actor(world.staff), year=2027, congress_date=D(2027, 2, 1)
        )
    async with database.sessions() as session:
        stored = await session.get(BudgetYear, 2027)
    assert stored.congress_date == D(2027, 1, 15)


async def test_overview_shows_rules_years_and_the_unknown_next_year(database: Database) -> None:
    world = await build_world(database)
    await set_year_dates(database, actor=TERMINAL, year=2027, goal_submission_date=D(2026, 10, 20))
    overview = await calendar_overview(
        database, actor=world.actor(world.admin), today=D(2026, 11, 28)
    )
    assert [rule.key for rule in overview.rules][:2] == ["goal_declaration", "tracking"]
    assert [(y.year, y.goal_submission_date) for y in overview.years] == [(2027, D(2026, 10, 20))]
    assert [(c.year, c.source) for c in overview.calendars] == [
        (2026, "library"),
        (2027, "unknown"),
    ]
    assert overview.may_edit_rules and overview.may_set_dates
    budget_view = await calendar_overview(
        database, actor=world.actor(world.budget), today=D(2026, 11, 28)
    )
    assert budget_view.may_set_dates and not budget_view.may_edit_rules
    with pytest.raises(AccessDenied):
        await calendar_overview(database, actor=world.actor(world.staff), today=D(2026, 11, 28))
    await import_calendar(database, actor=TERMINAL, text="2027-01-01,holiday\n")
    admin = world.actor(world.admin)
    partly = await calendar_overview(database, actor=admin, today=D(2026, 11, 28))
    assert partly.calendars[1].source == "partial"  # one day is not the year's schedule
    await import_calendar(database, actor=TERMINAL, text="2027-01-01,holiday\n", complete=True)
    again = await calendar_overview(database, actor=world.actor(world.admin), today=D(2026, 11, 28))
    assert again.calendars[1].source == "overrides"


def test_marks() -> None:
    assert [mark_for(left) for left in (-1, 0, 3, 4)] == ["red", "yellow", "yellow", "green"]


async def test_deadlines_for_staff_and_who_is_late_for_finance(database: Database) -> None:
    world = await build_world(database)
    education = await add_project(database, world, name="教师培训")
    await add_project(database, world, name="乡村医生", organisation_id=world.other_department)
    async with database.transaction() as session:
        session.add(
            RectificationRequest(
                project_id=education,
                source="tracking",
                content="资金结余较多",
                issued_at=at_local(D(2026, 10, 9), 15),
            )
        )
    now = at_local(D(2026, 10, 16), 10)
    staff = await deadlines_for(database, actor=world.actor(world.staff), now=now)
    # The education bureau's staff see their own items only: the tracking form (overdue
    # since 10-15) and the rectification reply (7 working days from 10-09 → 10-19).
    assert [(r.kind, r.project, r.due, r.left, r.mark) for r in staff.mine] == [
        ("tracking", "教师培训", D(2026, 10, 15), -1, "red"),
        ("rectification_reply", "教师培训", D(2026, 10, 19), 1, "yellow"),
    ]
    assert not staff.finance and staff.late == ()
    business = await deadlines_for(database, actor=world.actor(world.business), now=now)
    assert business.finance and business.mine == ()
    assert sorted((r.department, r.project, r.left) for r in business.late) == [
        ("市卫健委", "乡村医生", -1),
        ("市教育局", "教师培训", -1),
    ]
    performance = await deadlines_for(database, actor=world.actor(world.performance), now=now)
    assert len(performance.late) == 2


async def test_every_deadline_of_the_notice_as_deadlines_shows_it(database: Database) -> None:
    world = await build_world(database)
    tracked_late = await add_project(database, world, name="教师培训")
    tracked = await add_project(database, world, name="校园安全")
    tracked_goal = world.goal
    last_year = await add_project(database, world, year=2025, name="课后服务")
    last_year_goal = world.goal
    await add_project(
        database,
        world,
        year=2027,
        status="draft",
        name="智慧教育",
        goal_submission_date=D(2026, 10, 25),  # a Sunday
    )
    async with database.transaction() as session:
        session.add_all(
            [
                TrackingReport(
                    project_id=tracked,
                    goal_version_id=tracked_goal,
                    period_end=D(2026, 9, 30),
                    status="submitted",
                    submitted_at=at_local(D(2026, 10, 9), 15),
                ),
                TrackingReport(
                    project_id=last_year,
                    goal_version_id=last_year_goal,
                    period_end=D(2025, 9, 30),
                    status="accepted",
                    submitted_at=at_local(D(2025, 10, 10)),
                ),
                RectificationRequest(
                    project_id=tracked_late,
                    source="tracking",
                    content="资金使用进度偏慢",
                    issued_at=at_local(D(2026, 9, 28), 15),
                ),
                RectificationRequest(
                    project_id=tracked,
                    source="evaluation",
                    content="项目资金结余较多",
                    issued_at=at_local(D(2026, 9, 5), 10),
                ),
            ]
        )
    now = at_local(D(2026, 10, 16), 10)  # a Friday
    staff = await deadlines_for(database, actor=world.actor(world.staff), now=now)
    performance = await deadlines_for(database, actor=world.actor(world.performance), now=now)

    since_self_evaluation_due = WorkCalendar().working_days_between(D(2026, 10, 16), D(2026, 3, 31))
    assert [(row.kind, row.project, row.due, row.left) for row in staff.mine] == [
        # 3 months after 2025 ends: 03-31.
        ("self_evaluation", "课后服务", D(2026, 3, 31), since_self_evaluation_due),
        # 30 days after 09-05 is 10-05, National Day: the next working day.
        ("rectification_plan", "校园安全", D(2026, 10, 8), -7),
        # DOMAIN §6: received 09-28, 7 working days (Sat 10-10 counts) → 10-13.
        ("rectification_reply", "教师培训", D(2026, 10, 13), -3),
        # 15 days after Q3 ends.
        ("tracking", "教师培训", D(2026, 10, 15), -1),
        # The first submission date finance set, a Sunday: the next working day.
        ("goal_declaration", "智慧教育", D(2026, 10, 26), 6),
    ]
    assert [row.mark for row in staff.mine] == ["red", "red", "red", "red", "green"]
    # Finance reviews a tracking form within 7 working days of 10-09: Sat 10-10 … 10-19.
    assert [(row.kind, row.project, row.due, row.left, row.mark) for row in performance.mine] == [
        ("tracking_review", "校园安全", D(2026, 10, 19), 1, "yellow")
    ]
    assert {row.kind for row in performance.late} == {
        "self_evaluation",
        "rectification_plan",
        "rectification_reply",
        "tracking",
    }
    shown = render("deadlines", today=staff.today, mine=staff.mine, late=(), finance=False)
    assert "🟢 绩效目标申报 · 智慧教育" in shown and "截止 2026-10-26，还剩 6 个工作日" in shown
    assert "🔴 整改意见书面回复 · 教师培训" in shown and "已逾期 3 个工作日" in shown
