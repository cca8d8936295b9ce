"""/deadlines: what is due for me and my organisation, and for finance who is late."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.db import Database
from storage.models import Role
from workflow.calendar.due_items import DueItem, DueSnapshot, collect_due_items
from workflow.core import access
from workflow.core.access import Action, Actor
from workflow.core.clock import local_day

YELLOW_WITHIN_WORKING_DAYS = 3
FINANCE_ROLES = (Role.business, Role.performance, Role.budget)  # they follow who is late


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    """One line of /deadlines."""

    kind: str  # the rule key
    stage: str | None
    project: str
    organisation: str
    department: str
    due: dt.date
    left: int  # working days; negative when overdue
    mark: str  # red (overdue) / yellow (due within 3 working days) / green
    provisional: bool


@dataclass(frozen=True, slots=True)
class DeadlinesView:
    """My items, and for finance sections the late items of their departments."""

    today: dt.date
    mine: tuple[DeadlineRow, ...]
    late: tuple[DeadlineRow, ...]
    finance: bool


def mark_for(left: int) -> str:
    """Red when overdue, yellow when due within a few working days, else green."""
    if left < 0:
        return "red"
    if left <= YELLOW_WITHIN_WORKING_DAYS:
        return "yellow"
    return "green"


def _row(item: DueItem, snapshot: DueSnapshot, today: dt.date) -> DeadlineRow:
    left = snapshot.calendar.working_days_between(today, item.due)
    names = snapshot.directory.names
    return DeadlineRow(
        kind=item.rule_key,
        stage=item.stage,
        project=item.project_name,
        organisation=names.get(item.organisation_id, ""),
        department=names.get(item.department_id, ""),
        due=item.due,
        left=left,
        mark=mark_for(left),
        provisional=item.deadline.provisional,
    )


async def deadlines_for(db: Database, *, actor: Actor, now: dt.datetime) -> DeadlinesView:
    """What `actor` has due, soonest first; finance sections also get who is late.

    Mine: what I must do myself, and what my own organisation must do (where I declare).
    Late: for the finance sections, whatever is overdue in the departments they may view.
    Someone who may view no project at all (an administrator) is refused, and audited.
    """
    today = local_day(now)
    async with db.transaction() as session:
        if not access.may_ever(actor, Action.VIEW_PROJECT):
            await access.authorize(session, actor, Action.VIEW_PROJECT, object_type="deadlines")
        snapshot = await collect_due_items(session, today=today)
        my_organisations = await access.organisations_where(session, actor, Action.DECLARE_GOAL)
        finance = any(actor.has_role(role) for role in FINANCE_ROLES)
        watched = (
            await access.organisations_where(session, actor, Action.VIEW_PROJECT)
            if finance
            else frozenset()
        )
    mine = sorted(
        (
            _row(item, snapshot, today)
            for item in snapshot.items
            if actor.person_id in item.owners or item.organisation_id in my_organisations
        ),
        key=lambda row: (row.left, row.project),
    )
    late = [
        row
        for item in snapshot.items
        if item.department_id in watched
        for row in [_row(item, snapshot, today)]
        if row.left < 0
    ]
    late.sort(key=lambda row: (row.left, row.department, row.project))
    return DeadlinesView(today=today, mine=tuple(mine), late=tuple(late), finance=finance)
