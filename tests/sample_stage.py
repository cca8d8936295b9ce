"""A stage that exists only in the tests: on-site inspections of issued projects.

It registers like a real stage (a due source and a todo source) but only while a test's
fixture installs it, so every other test sees the real stages alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Project, ProjectStatus, RoleAssignment
from workflow.calendar import registry, triggers
from workflow.calendar.registry import DueSubject, TodoEntry

NAME = "tests.inspection"
RULE_KEY = "site_inspection"


async def inspections_due(session: AsyncSession, today: dt.date) -> AsyncIterator[DueSubject]:
    """Every issued project is inspected after Q3 ends."""
    issued = await session.scalars(
        select(Project).where(Project.status == ProjectStatus.issued.value).order_by(Project.id)
    )
    for project in issued:
        q3_end = triggers.q3_end(project.year)
        if today >= q3_end:
            yield DueSubject(
                RULE_KEY,
                f"si{project.id}",
                project,
                triggers.budget_year_events(project.year),
                notify_from=q3_end,
            )


async def inspections_waiting(
    session: AsyncSession, person_id: int, now: dt.datetime
) -> AsyncIterator[TodoEntry]:
    """An issued project waits for an inspection report from its organisation's staff."""
    rows = await session.execute(
        select(Project)
        .join(RoleAssignment, RoleAssignment.organisation_id == Project.organisation_id)
        .where(
            RoleAssignment.person_id == person_id,
            RoleAssignment.role == "staff",
            Project.status == ProjectStatus.issued.value,
        )
        .order_by(Project.id)
    )
    for project in rows.scalars():
        yield TodoEntry(
            kind=RULE_KEY,
            item_id=project.id,
            project_id=project.id,
            project_name=project.name,
            stage=None,
            waiting_since=dt.datetime(project.year, 9, 30, tzinfo=dt.UTC),
            due=dt.date(project.year, 10, 20),
        )


@contextmanager
def installed() -> Iterator[None]:
    """The sample stage registered for the duration of a block."""
    registry.register_due_source(NAME, inspections_due)
    registry.register_todo_source(NAME, inspections_waiting)
    try:
        yield
    finally:
        registry.unregister(NAME)
