"""Stages register what is due: the sweep and /deadlines iterate the registry, rules pick
their trigger, and a bad trigger costs only its own items."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
import time_machine
from sqlalchemy import select

from bot.ui.render import render
from storage.db import Database
from storage.models import (
    DeadlineRule,
    GoalVersion,
    OutboxMessage,
    RectificationRequest,
    RectificationSource,
    ReminderLog,
)
from storage.types import utcnow
from tests import sample_stage
from tests.deadline_world import add_project, at_local, build_world
from workflow.calendar import registry
from workflow.calendar.admin import update_rule
from workflow.calendar.reminders import run_sweep
from workflow.calendar.view import deadlines_for
from workflow.results.due import PLAN_SOURCES
from workflow.tracking.due import REPLY_SOURCES

D = dt.date


@pytest.fixture
def inspection_stage() -> Iterator[None]:
    with sample_stage.installed():
        yield


async def sweep(db: Database, day: D):
    with time_machine.travel(at_local(day), tick=False):
        return await run_sweep(db, now=utcnow())


async def reminder_keys(db: Database) -> list[str]:
    async with db.sessions() as session:
        return sorted(await session.scalars(select(ReminderLog.key)))


async def kinds_queued(db: Database) -> set[str]:
    async with db.sessions() as session:
        rows = await session.scalars(select(OutboxMessage))
        return {row.context.get("kind") for row in rows if row.template == "reminder_due"}


async def test_a_registered_stage_reaches_the_sweep_and_deadlines(
    database: Database, inspection_stage: None
) -> None:
    world = await build_world(database)
    project = await add_project(database, world, name="教师培训")
    async with database.transaction() as session:
        session.add(
            DeadlineRule(
                key=sample_stage.RULE_KEY,
                description="on-site inspection within 20 days after Q3 ends",
                trigger="q3_end",
                days=20,
                unit="calendar_days",
            )
        )
    # 09-30 + 20 days = Tue 10-20; on Fri 10-16 two working days are left (Mon, Tue).
    result = await sweep(database, D(2026, 10, 16))
    assert result.working_day and result.items == 2  # the tracking form and the inspection
    keys = await reminder_keys(database)
    assert f"site_inspection:si{project}:{world.staff}:before3" in keys
    assert f"tracking:p{project}:{world.staff}:after1" in keys  # the real stages still run

    view = await deadlines_for(
        database, actor=world.actor(world.staff), now=at_local(D(2026, 10, 16))
    )
    assert [(row.kind, row.project, row.due, row.left) for row in view.mine] == [
        ("tracking", "教师培训", D(2026, 10, 15), -1),
        ("site_inspection", "教师培训", D(2026, 10, 20), 2),
    ]
    async with database.sessions() as session:
        todo = await registry.collect_todo(session, person_id=world.staff, now=utcnow())
        nothing = await registry.collect_todo(session, person_id=world.budget, now=utcnow())
    assert [(e.kind, e.project_name, e.due) for e in todo] == [
        ("site_inspection", "教师培训", D(2026, 10, 20))
    ]
    assert nothing == []


async def test_without_the_stage_its_items_are_gone(database: Database) -> None:
    world = await build_world(database)
    await add_project(database, world)
    result = await sweep(database, D(2026, 10, 16))
    assert result.items == 1 and await kinds_queued(database) == {"tracking"}


def test_a_name_is_registered_once() -> None:
    with sample_stage.installed():

        async def impostor(session, today):  # pragma: no cover - never iterated
            yield

        with pytest.raises(ValueError, match=sample_stage.NAME):
            registry.register_due_source(sample_stage.NAME, impostor)
        registry.register_due_source(sample_stage.NAME, sample_stage.inspections_due)  # again
    assert sample_stage.NAME not in dict(registry.due_sources())


async def test_an_administrator_counts_tracking_from_another_trigger(database: Database) -> None:
    world = await build_world(database)
    await add_project(database, world, name="教师培训")
    staff, now = world.actor(world.staff), at_local(D(2026, 10, 16))
    before = await deadlines_for(database, actor=staff, now=now)
    changed = await update_rule(
        database, actor=world.actor(world.admin), key="tracking", days=15, trigger="year_end"
    )
    after = await deadlines_for(database, actor=staff, now=now)
    assert [(row.kind, row.due) for row in before.mine] == [("tracking", D(2026, 10, 15))]
    assert changed.ok and changed.previous.trigger == "q3_end"
    # 12-31 + 15 days = 2027-01-15, a Friday; 2027's holidays are not loaded.
    assert [(row.kind, row.due, row.provisional) for row in after.mine] == [
        ("tracking", D(2027, 1, 15), True)
    ]
    assert "年度结束（12月31日）后 15 日内" in render(
        "rule_updated", rule=changed.rule, previous=changed.previous
    )
    async with database.sessions() as session:
        stored = await session.get(DeadlineRule, "tracking")
    assert (stored.trigger, stored.days) == ("year_end", 15)


async def test_an_unknown_trigger_is_refused_and_the_rule_kept(database: Database) -> None:
    world = await build_world(database)
    refused = await update_rule(
        database, actor=world.actor(world.admin), key="tracking", days=15, trigger="q4_end"
    )
    assert not refused.ok and refused.reason == "bad_trigger"
    async with database.sessions() as session:
        assert await session.get(DeadlineRule, "tracking") is None  # nothing stored
    text = render("rule_usage", reason="bad_trigger", max_days=366, triggers=["q3_end"])
    assert "没有这个起算事件" in text and "第三季度结束（9月30日）" in text


async def test_a_stored_unknown_trigger_skips_its_items_and_the_sweep_goes_on(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    world = await build_world(database)
    project = await add_project(database, world)
    async with database.transaction() as session:
        # A row an older or newer release wrote: the trigger means nothing to this one.
        session.add(
            DeadlineRule(
                key="tracking",
                description="tracking",
                trigger="q4_end",
                days=15,
                unit="calendar_days",
            )
        )
        session.add(
            RectificationRequest(
                project_id=project,
                source="tracking",
                content="资金使用进度偏慢",
                issued_at=at_local(D(2026, 10, 9), 15),
            )
        )
    with caplog.at_level(logging.WARNING, logger="workflow.calendar.due_items"):
        result = await sweep(database, D(2026, 10, 16))
    assert result.items == 1 and result.queued == 1
    assert await kinds_queued(database) == {"rectification_reply"}
    assert any("q4_end" in record.getMessage() for record in caplog.records)


async def test_a_subject_lacking_the_rules_trigger_is_skipped_with_a_warning(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    world = await build_world(database)
    await add_project(database, world, name="教师培训")
    await add_project(database, world, year=2027, status="in_review", name="智慧教育")
    async with database.transaction() as session:
        goal = await session.get(GoalVersion, world.goal)
        goal.status, goal.stage = "in_review", "business"
        goal.stage_entered_at = at_local(D(2026, 10, 12), 10)
    # A goal version is never a submitted tracking form: no date to count from.
    changed = await update_rule(
        database,
        actor=world.actor(world.admin),
        key="review.business",
        days=5,
        trigger="tracking_submitted",
    )
    assert changed.ok
    with caplog.at_level(logging.WARNING, logger="workflow.calendar.due_items"):
        business = await deadlines_for(
            database, actor=world.actor(world.business), now=at_local(D(2026, 10, 16))
        )
        staff = await deadlines_for(
            database, actor=world.actor(world.staff), now=at_local(D(2026, 10, 16))
        )
    assert business.mine == ()
    assert [row.kind for row in staff.mine] == ["tracking"]
    assert any(
        "review.business" in r.getMessage() and "tracking_submitted" in r.getMessage()
        for r in caplog.records
    )


def test_every_rectification_source_owes_a_reply_or_a_plan() -> None:
    assert set(REPLY_SOURCES).isdisjoint(PLAN_SOURCES)
    assert {*REPLY_SOURCES, *PLAN_SOURCES} == {source.value for source in RectificationSource}


async def test_a_spot_check_owes_the_30_day_plan(database: Database) -> None:
    world = await build_world(database)
    project = await add_project(database, world, year=2025, name="课后服务")
    async with database.transaction() as session:
        request = RectificationRequest(
            project_id=project,
            source="spot_check",
            content="自评结果与实际不符",
            issued_at=at_local(D(2026, 9, 1), 15),
        )
        session.add(request)
        await session.flush()
        request_id = request.id
    view = await deadlines_for(
        database, actor=world.actor(world.staff), now=at_local(D(2026, 9, 2))
    )
    # 09-01 + 30 days = 10-01, National Day: the next working day is 10-08 (not the
    # 7-working-day reply, which would be 09-10).
    plan = [row for row in view.mine if row.project == "课后服务" and row.kind.startswith("rect")]
    assert [(row.kind, row.due) for row in plan] == [("rectification_plan", D(2026, 10, 8))]
    await sweep(database, D(2026, 10, 8))
    keys = await reminder_keys(database)
    assert f"rectification_plan:rr{request_id}.1:{world.staff}:due" in keys
    assert not any(key.startswith("rectification_reply") for key in keys)
    shown = render("deadlines", today=view.today, mine=plan, late=(), finance=False)
    assert "评价结果整改方案 · 课后服务" in shown and "截止 2026-10-08" in shown
