"""A sweep remembers how far each project's reminders went: the repeat reads nothing, and
whatever changes the plan (a rule, a new person acting) is still reminded the same day."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import func, select

from bench.common import StatementCounter
from storage.db import Database
from storage.models import Person, Project, ReminderProgress, RoleAssignment
from storage.types import utcnow
from tests.deadline_world import Sent, World, add_project, at_local, build_world, outbox
from workflow.calendar.admin import update_rule
from workflow.calendar.reminders import SweepResult, run_sweep

D = dt.date
# 2026 tracking forms are due Thu 10-15: Mon 10-12 is "3 days before", Tue 10-13 still is.
THREE_BEFORE, STILL_THREE, ONE_BEFORE = D(2026, 10, 12), D(2026, 10, 13), D(2026, 10, 14)
PROJECTS = 12
# Rules, chart, roles, calendar, budget years and every stage's query: not one per project.
REPEAT_STATEMENT_BUDGET = 20


async def sweep_at(db: Database, moment: dt.datetime) -> SweepResult:
    with time_machine.travel(moment, tick=False):
        return await run_sweep(db, now=utcnow())


async def _projects(db: Database, world: World) -> None:
    for n in range(PROJECTS):
        department = world.department if n % 2 else world.other_department
        await add_project(db, world, name=f"项目{n}", organisation_id=department)


async def test_the_repeat_reads_no_reminded_project_and_the_next_step_still_goes_out(
    database: Database,
) -> None:
    world = await build_world(database)
    await _projects(database, world)
    counter = StatementCounter(database)

    first = await sweep_at(database, at_local(THREE_BEFORE))
    assert first.queued == PROJECTS
    before = counter.count
    again = await sweep_at(database, at_local(THREE_BEFORE, 15))
    repeat_statements = counter.count - before
    # Next working day, same slot ("3 days before" until 1 remains): still nothing to read.
    before = counter.count
    next_day = await sweep_at(database, at_local(STILL_THREE))
    next_day_statements = counter.count - before
    step = await sweep_at(database, at_local(ONE_BEFORE))

    assert (again.queued, again.items, next_day.queued, next_day.items) == (0, 0, 0, 0)
    assert repeat_statements <= REPEAT_STATEMENT_BUDGET
    assert next_day_statements <= REPEAT_STATEMENT_BUDGET
    assert step.queued == PROJECTS
    sent = await outbox(database)
    assert sorted({(s.day, s.slot) for s in sent}) == [
        (THREE_BEFORE, "before3"),
        (ONE_BEFORE, "before1"),
    ]
    assert len(sent) == 2 * PROJECTS
    async with database.sessions() as session:
        kept = await session.scalar(select(func.count()).select_from(ReminderProgress))
        slots = set(await session.scalars(select(ReminderProgress.slot)))
    assert (kept, slots) == (PROJECTS, {"before1"})


async def test_a_subject_whose_deadline_changed_is_reminded_the_same_day(
    database: Database,
) -> None:
    world = await build_world(database)
    await add_project(database, world)
    first = await sweep_at(database, at_local(THREE_BEFORE))
    # The administrator shortens the tracking period: due Tue 10-13, one working day away.
    await update_rule(database, actor=world.actor(world.admin), key="tracking", days=13)
    again = await sweep_at(database, at_local(THREE_BEFORE, 15))

    assert (first.queued, again.queued) == (1, 1)
    assert await outbox(database) == [
        Sent(THREE_BEFORE, world.staff, "reminder_due", "before3"),
        Sent(THREE_BEFORE, world.staff, "reminder_due", "before1"),
    ]


async def test_someone_who_starts_acting_after_the_sweep_hears_the_current_step(
    database: Database,
) -> None:
    world = await build_world(database)
    await add_project(database, world)
    await sweep_at(database, at_local(THREE_BEFORE))
    async with database.transaction() as session:
        newcomer = Person(name="新经办")
        session.add(newcomer)
        await session.flush()
        session.add(
            RoleAssignment(person_id=newcomer.id, role="staff", organisation_id=world.department)
        )
    again = await sweep_at(database, at_local(THREE_BEFORE, 15))

    assert again.queued == 1
    assert await outbox(database) == [
        Sent(THREE_BEFORE, world.staff, "reminder_due", "before3"),
        Sent(THREE_BEFORE, newcomer.id, "reminder_due", "before3"),
    ]


async def test_a_project_moved_to_another_organisation_reminds_its_new_staff(
    database: Database,
) -> None:
    world = await build_world(database)
    project = await add_project(database, world)
    await sweep_at(database, at_local(THREE_BEFORE))
    async with database.transaction() as session:
        moved = await session.get(Project, project)
        assert moved is not None
        moved.organisation_id = world.other_department
    again = await sweep_at(database, at_local(THREE_BEFORE, 15))

    assert again.queued == 1
    assert await outbox(database) == [
        Sent(THREE_BEFORE, world.staff, "reminder_due", "before3"),
        Sent(THREE_BEFORE, world.other_staff, "reminder_due", "before3"),
    ]
