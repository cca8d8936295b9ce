"""The reminder sweep, driven through time: one message per step, escalation, catch-up."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select
from telegram.ext import Application, CallbackContext

from bot import services
from bot.config import Settings
from bot.reminder_job import schedule_reminders, startup_sweep
from bot.ui.render import render
from storage.db import Database
from storage.models import (
    CalendarOverride,
    CalendarYear,
    DeadlineRule,
    GoalVersion,
    Organisation,
    OutboxMessage,
    Person,
    ReminderLog,
    RoleAssignment,
    TrackingReport,
)
from storage.types import utcnow
from tests.deadline_world import Sent, World, add_project, at_local, build_world, outbox
from workflow.calendar import reminders
from workflow.calendar.reminders import ReminderSettings, run_sweep
from workflow.calendar.slots import slot_for

D = dt.date


async def sweep_at(db: Database, moment: dt.datetime, **settings: object):
    """Travel to `moment` and run the sweep as the job would."""
    with time_machine.travel(moment, tick=False):
        return await run_sweep(db, now=utcnow(), settings=ReminderSettings(**settings))  # type: ignore[arg-type]


async def run_days(db: Database, first: D, last: D, *, down: set[D] = frozenset()) -> None:
    """The daily 09:00 run on every day from `first` to `last`, except the `down` days."""
    day = first
    while day <= last:
        if day not in down:
            await sweep_at(db, at_local(day))
        day += dt.timedelta(days=1)


async def submit_tracking(db: Database, world: World, moment: dt.datetime) -> None:
    with time_machine.travel(moment, tick=False):
        async with db.transaction() as session:
            session.add(
                TrackingReport(
                    project_id=world.project,
                    goal_version_id=world.goal,
                    period_end=D(2026, 9, 30),
                    status="submitted",
                    submitted_by_id=world.staff,
                    submitted_at=utcnow(),
                )
            )


def test_slots() -> None:
    assert [slot_for(left, 10) for left in (9, 7, 5, 3, 2, 1, 0, -1, -4)] == [
        None,
        "before7",
        "before7",
        "before3",
        "before3",
        "before1",
        "due",
        "after1",
        "after4",
    ]
    # A 5-day limit starts below the 7-day slot: it never fires.
    assert slot_for(4, 4) is None and slot_for(3, 4) == "before3"


async def test_a_whole_tracking_period_with_three_days_down(database: Database) -> None:
    world = await build_world(database)
    await add_project(database, world)
    # 2026 tracking: 09-30 + 15 days = Thu 10-15. National Day 10-01..07, Sat 10-10 worked.
    await run_days(database, D(2026, 9, 25), D(2026, 10, 9))
    # Down over the worked Saturday, Sunday and Monday (the "3 days before" step is Monday).
    down = {D(2026, 10, 10), D(2026, 10, 11), D(2026, 10, 12)}
    # Back on Tuesday at 07:30: the start-up run leaves it to 09:00, which catches up once.
    early = await sweep_at(database, at_local(D(2026, 10, 13), 7, 30))
    assert early.before_time and early.queued == 0
    await run_days(database, D(2026, 10, 13), D(2026, 10, 21), down=down)
    await submit_tracking(database, world, at_local(D(2026, 10, 22), 8, 0))
    await run_days(database, D(2026, 10, 22), D(2026, 10, 30))

    staff, head, performance = world.staff, world.head, world.performance
    reminder, escalation = "reminder_due", "reminder_escalation"
    assert await outbox(database) == [
        Sent(D(2026, 9, 30), staff, reminder, "before7"),  # the day Q3 ends
        Sent(D(2026, 10, 13), staff, reminder, "before3"),  # the one catch-up, at 09:00
        Sent(D(2026, 10, 14), staff, reminder, "before1"),
        Sent(D(2026, 10, 15), staff, reminder, "due"),
        Sent(D(2026, 10, 16), staff, reminder, "after1"),
        Sent(D(2026, 10, 16), head, escalation, "escalate_head"),
        Sent(D(2026, 10, 19), staff, reminder, "after2"),  # the weekend stays quiet
        Sent(D(2026, 10, 20), staff, reminder, "after3"),
        Sent(D(2026, 10, 20), performance, escalation, "escalate_performance"),
        Sent(D(2026, 10, 21), staff, reminder, "after4"),
        # Submitted on 10-22: staff hear no more; the performance section has 7 working
        # days (due 11-02), so its reminders start 3 working days before.
        Sent(D(2026, 10, 28), performance, reminder, "before3"),
        Sent(D(2026, 10, 30), performance, reminder, "before1"),
    ]
    async with database.sessions() as session:
        keys = list(await session.scalars(select(ReminderLog.key)))
        dedupe = list(await session.scalars(select(OutboxMessage.dedupe_key)))
    assert len(keys) == len(set(keys)) == 12
    assert sorted(keys) == sorted(dedupe)


async def test_what_the_people_read(database: Database) -> None:
    world = await build_world(database)
    await add_project(database, world)
    await sweep_at(database, at_local(D(2026, 10, 13)))
    await sweep_at(database, at_local(D(2026, 10, 20)))
    async with database.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    texts = {
        (row.person_id, row.context.get("slot") or row.context.get("level")): render(
            row.template, **row.context
        )
        for row in rows
    }
    assert "还剩 <b>2</b> 个工作日" in texts[(world.staff, "before3")]
    assert "绩效跟踪表" in texts[(world.staff, "before3")]
    assert "截止日期：2026-10-15" in texts[(world.staff, "before3")]
    assert "已逾期 <b>3</b> 个工作日" in texts[(world.staff, "after3")]
    assert "市教育局的“教师培训”" in texts[(world.head, "head")]
    assert "请督促经办人员" in texts[(world.head, "head")]
    assert "请绩效管理科跟进督办" in texts[(world.performance, "performance")]


async def test_a_deadline_in_an_unknown_year_is_marked_provisional(database: Database) -> None:
    world = await build_world(database)
    await add_project(database, world)  # 2026: self-evaluation due 2027-03-31
    await sweep_at(database, at_local(D(2027, 3, 24)))  # a Wednesday, weekends-only
    async with database.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    (self_evaluation,) = [row for row in rows if row.context.get("kind") == "self_evaluation"]
    text = render(self_evaluation.template, **self_evaluation.context)
    assert self_evaluation.person_id == world.staff
    assert "部门自评" in text and "截止日期：2027-03-31" in text and "暂定" in text
    (warning,) = [row for row in rows if row.template == "calendar_unknown"]
    assert warning.person_id == world.admin
    assert "2027 年的节假日安排尚未载入" in render(warning.template, **warning.context)


async def test_a_second_sweep_the_same_day_queues_nothing(database: Database) -> None:
    world = await build_world(database)
    await add_project(database, world)
    first = await sweep_at(database, at_local(D(2026, 10, 16)))
    again = await sweep_at(database, at_local(D(2026, 10, 16), 15))
    # The repeat leaves the reminded subjects out in SQL: nothing planned, nothing queued.
    assert (first.queued, again.queued, again.already_sent) == (2, 0, 0)
    assert len(await outbox(database)) == 2


async def test_two_bot_processes_sweeping_at_once_queue_each_reminder_once(
    database: Database, second_process: Database
) -> None:
    world = await build_world(database)
    await add_project(database, world, name="教师培训")
    await add_project(database, world, name="乡村医生", organisation_id=world.other_department)
    moment = at_local(D(2026, 10, 20))
    results = await asyncio.gather(
        run_sweep(database, now=moment),
        run_sweep(second_process, now=moment),
    )
    # Per project: the staff's "after3", the head's (one department has one) and the
    # performance section's escalation.
    assert sorted(result.queued for result in results) == [0, 5]
    async with database.sessions() as session:
        keys = list(await session.scalars(select(OutboxMessage.dedupe_key)))
    assert len(keys) == len(set(keys)) == 5
    assert sorted(keys) == sorted(key for result in results for key in result.keys)


async def test_a_sweep_that_looked_before_the_other_wrote_still_queues_whats_new(
    database: Database, second_process: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build_world(database)
    await add_project(database, world)
    moment = at_local(D(2026, 10, 16))  # the first working day overdue
    first = await run_sweep(database, now=moment)
    # Meanwhile a colleague joins the department; the other process's sweep looked for
    # taken keys before the first one wrote them, and so plans the whole step again.
    async with database.transaction() as session:
        newcomer = Person(name="吴新人", telegram_user_id=108)
        session.add(newcomer)
        await session.flush()
        session.add(
            RoleAssignment(person_id=newcomer.id, role="staff", organisation_id=world.department)
        )
    looks = []
    real_look = reminders._existing_keys

    async def looked_too_early(session, keys):  # type: ignore[no-untyped-def]
        looks.append(len(keys))
        return set() if len(looks) == 1 else await real_look(session, keys)

    monkeypatch.setattr(reminders, "_existing_keys", looked_too_early)
    second = await run_sweep(second_process, now=moment)

    assert len(looks) == 2  # turned away by the taken keys, it looked again
    assert (first.queued, second.queued) == (2, 1)
    assert [(s.person, s.slot) for s in await outbox(database)] == [
        (world.staff, "after1"),
        (world.head, "escalate_head"),
        (newcomer.id, "after1"),
    ]


async def test_a_units_lateness_reaches_its_head_or_else_its_departments(
    database: Database,
) -> None:
    world = await build_world(database)
    async with database.transaction() as session:
        headless = Organisation(
            code="U1", name="市教师发展中心", kind="unit", parent_id=world.department
        )
        headed = Organisation(code="U2", name="市电教馆", kind="unit", parent_id=world.department)
        session.add_all([headless, headed])
        await session.flush()
        unit_staff = Person(name="郑经办", telegram_user_id=111)
        other_unit_staff = Person(name="冯经办", telegram_user_id=112)
        unit_head = Person(name="陈馆长", telegram_user_id=113)
        session.add_all([unit_staff, other_unit_staff, unit_head])
        await session.flush()
        session.add_all(
            [
                RoleAssignment(person_id=unit_staff.id, role="staff", organisation_id=headless.id),
                RoleAssignment(
                    person_id=other_unit_staff.id, role="staff", organisation_id=headed.id
                ),
                RoleAssignment(person_id=unit_head.id, role="head", organisation_id=headed.id),
            ]
        )
    await add_project(database, world, name="骨干教师研修", organisation_id=headless.id)
    await add_project(database, world, name="数字教材", organisation_id=headed.id)

    await sweep_at(database, at_local(D(2026, 10, 16)))  # the first working day overdue

    async with database.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "reminder_escalation")
        )
        escalations = sorted((row.person_id, row.context["project"]) for row in rows)
    # No head registered at the first unit: the supervising department's head hears of it.
    assert escalations == sorted([(world.head, "骨干教师研修"), (unit_head.id, "数字教材")])


async def test_escalation_thresholds_are_configurable(database: Database) -> None:
    world = await build_world(database)
    await add_project(database, world)
    # Fri 10-16 is the first working day overdue.
    result = await sweep_at(
        database,
        at_local(D(2026, 10, 16)),
        escalate_head_after_days=2,
        escalate_performance_after_days=1,
    )
    assert result.queued == 2
    assert [(s.person, s.slot) for s in await outbox(database)] == [
        (world.staff, "after1"),
        (world.performance, "escalate_performance"),
    ]
    await sweep_at(
        database,
        at_local(D(2026, 10, 19)),
        escalate_head_after_days=2,
        escalate_performance_after_days=1,
    )
    assert [(s.person, s.slot) for s in await outbox(database)][2:] == [
        (world.staff, "after2"),
        (world.head, "escalate_head"),
    ]


async def test_nothing_goes_out_on_holidays_or_weekends(database: Database) -> None:
    world = await build_world(database)
    await add_project(database, world)
    for day in (D(2026, 10, 17), D(2026, 10, 18)):
        result = await sweep_at(database, at_local(day))
        assert not result.working_day
    assert await outbox(database) == []


async def test_review_stage_limit_reminds_the_reviewer(database: Database) -> None:
    world = await build_world(database)
    await add_project(database, world, year=2027, status="in_review")
    entered = at_local(D(2026, 11, 2), 16)  # Monday afternoon: due the next Monday
    async with database.transaction() as session:
        goal = await session.get(GoalVersion, world.goal)
        goal.status, goal.stage, goal.stage_entered_at = "in_review", "business", entered
    await run_days(database, D(2026, 11, 2), D(2026, 11, 12))
    business, head = world.business, world.head
    assert [(s.day, s.person, s.slot) for s in await outbox(database)] == [
        (D(2026, 11, 4), business, "before3"),
        (D(2026, 11, 6), business, "before1"),
        (D(2026, 11, 9), business, "due"),
        (D(2026, 11, 10), business, "after1"),
        (D(2026, 11, 11), business, "after2"),
        (D(2026, 11, 12), business, "after3"),
        (D(2026, 11, 12), world.performance, "escalate_performance"),
    ]
    # Lateness at a finance stage is not the department head's to chase.
    assert head not in {s.person for s in await outbox(database)}


async def test_goal_declaration_before_the_first_submission_date(database: Database) -> None:
    world = await build_world(database)
    await add_project(
        database, world, year=2027, status="draft", goal_submission_date=D(2026, 10, 20)
    )
    await run_days(database, D(2026, 10, 8), D(2026, 10, 21))
    # Working days in (10-10, 10-20]: 12, 13, 14, 15, 16, 19, 20: the worked Saturday is the
    # "7 days before" step.
    assert [(s.day, s.slot) for s in await outbox(database) if s.person == world.staff] == [
        (D(2026, 10, 10), "before7"),
        (D(2026, 10, 15), "before3"),
        (D(2026, 10, 19), "before1"),
        (D(2026, 10, 20), "due"),
        (D(2026, 10, 21), "after1"),
    ]


async def test_admins_hear_weekly_that_next_year_is_unknown(database: Database) -> None:
    world = await build_world(database)
    for day in (D(2026, 12, 1), D(2026, 12, 2), D(2026, 12, 7)):
        await sweep_at(database, at_local(day))
    warnings = [s for s in await outbox(database) if s.template == "calendar_unknown"]
    assert [(s.day, s.person, s.slot) for s in warnings] == [
        (D(2026, 12, 1), world.admin, "2027"),
        (D(2026, 12, 7), world.admin, "2027"),
    ]
    async with database.transaction() as session:
        session.add(CalendarOverride(day=D(2027, 1, 1), kind="holiday"))
    await sweep_at(database, at_local(D(2026, 12, 14)))  # one day loaded: still not official
    async with database.transaction() as session:
        session.add(CalendarYear(year=2027))  # the administrator confirmed a whole schedule
    await sweep_at(database, at_local(D(2026, 12, 21)))
    async with database.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert count == 3


async def test_the_job_runs_daily_at_reminder_time_and_catches_up_at_startup(
    database: Database,
) -> None:
    world = await build_world(database)
    await add_project(database, world)
    settings = Settings(_env_file=None, reminder_time=dt.time(8, 30), escalate_head_after_days=2)
    application = Application.builder().token("123:TEST").build()
    services.install(application, services.Services(settings=settings, db=database))
    schedule_reminders(application)
    jobs = {job.name: job.job for job in application.job_queue.jobs()}
    trigger = jobs["reminder_sweep"].trigger
    assert "hour='8', minute='30'" in str(trigger)
    assert str(trigger.timezone) == "Asia/Shanghai"
    assert jobs["reminder_sweep"].misfire_grace_time is None  # late runs still run
    assert "reminder_catch_up" in jobs
    with time_machine.travel(at_local(D(2026, 10, 16), 8, 45), tick=False):
        await startup_sweep(CallbackContext(application))
    async with database.sessions() as session:
        rules = set(await session.scalars(select(DeadlineRule.key)))
    assert "tracking" in rules and "review.budget" in rules
    # Two working days before the head hears of it: only the staff's "overdue" reminder.
    assert [(s.person, s.slot) for s in await outbox(database)] == [(world.staff, "after1")]
