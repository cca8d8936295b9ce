"""The sweep writes its rows in batches: every reminder points at its own message, once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from storage.db import Database
from storage.models import OutboxMessage, ReminderLog, TrackingReport
from storage.types import utcnow
from tests.deadline_world import add_project, at_local, build_world
from workflow.calendar import reminders
from workflow.calendar.reminders import run_sweep

DUE_SOON = at_local(dt.date(2026, 10, 13))  # three working days before the Q3 forms are due


async def _sweep(db: Database) -> reminders.SweepResult:
    with time_machine.travel(DUE_SOON, tick=False):
        return await run_sweep(db, now=utcnow())


async def test_batches_link_each_reminder_to_its_message_and_skip_tracked_projects(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reminders, "INSERT_BATCH", 2)  # five reminders: three batches
    world = await build_world(database)
    projects = [
        await add_project(database, world, name=f"项目{n}", organisation_id=org)
        for n, org in enumerate([world.department] * 3 + [world.other_department] * 3)
    ]
    tracked = projects[0]
    async with database.transaction() as session:
        session.add(
            TrackingReport(
                project_id=tracked,
                goal_version_id=world.goal,
                period_end=dt.date(2026, 9, 30),
                status="submitted",
                submitted_by_id=world.staff,
                submitted_at=DUE_SOON,
            )
        )

    first = await _sweep(database)
    assert first.queued == 5

    async with database.sessions() as session:
        rows = (
            await session.execute(
                select(ReminderLog, OutboxMessage).join(
                    OutboxMessage, OutboxMessage.id == ReminderLog.outbox_message_id
                )
            )
        ).all()
    assert len(rows) == 5
    for log, message in rows:
        assert message.dedupe_key == log.key
        assert message.person_id == log.person_id
        assert message.template == "reminder_due" and message.context["slot"] == "before3"
        assert log.due_date == dt.date.fromisoformat(message.context["due"])
    reminded = {message.context["project"] for _, message in rows}
    assert reminded == {f"项目{n}" for n in range(1, 6)}  # not 项目0: its form is in
    people = sorted(message.person_id for _, message in rows)
    assert people == sorted([world.staff] * 2 + [world.other_staff] * 3)

    again = await _sweep(database)
    # The repeat reads none of the reminded projects (reminder_progress); only the review
    # of 项目0's submitted form (one per form, not per project) is planned again.
    assert (again.queued, again.items, again.already_sent) == (0, 1, 0)
