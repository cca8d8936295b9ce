"""/todo: everything waiting for me, across the registered review kinds and stages.

Reviews and fixes come from every registered kind (`workflow.review.kinds`), so a new kind
shows up here without an edit; expert opinions are the goal kind's own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Organisation, Project, ReviewStage, Role
from storage.types import utcnow
from workflow.core import access
from workflow.core.access import Action, Actor
from workflow.review.due import DueCalculator, StageDue
from workflow.review.kinds import GOAL, ReviewKind, item_query, kind_named, registered
from workflow.review.people import review_scope
from workflow.review.records import round_opinions

NOT_DECIDED_HERE = (ReviewStage.expert, ReviewStage.issuance)


@dataclass(frozen=True, slots=True)
class TodoItem:
    """One thing waiting for me."""

    item_id: int
    version: int
    project: str
    organisation: str
    year: int
    stage: str | None
    task: str  # review / opinion / fix
    entered_at: dt.datetime | None
    kind: str = GOAL
    due: dt.date | None = None
    days_left: int | None = None
    provisional: bool = False
    amount: str | None = None
    batchable: bool = False  # the performance and budget sections may approve it in a batch

    @property
    def goal_version_id(self) -> int:
        """The item's id (named for the goal reviews that read it so)."""
        return self.item_id

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "item_id": self.item_id,
            "goal_version_id": self.item_id,
            "version": self.version,
            "project": self.project,
            "organisation": self.organisation,
            "year": self.year,
            "stage": self.stage,
            "task": self.task,
            "due": self.due.isoformat() if self.due else None,
            "days_left": self.days_left,
            "provisional": self.provisional,
            "amount": self.amount,
            "batchable": self.batchable,
        }


async def todo(db: Database, *, actor: Actor, now: dt.datetime | None = None) -> list[TodoItem]:
    """My pending items across kinds and stages: fewest days left first, then oldest."""
    now = now or utcnow()
    async with db.transaction() as session:
        found: list[TodoItem] = []
        for kind in registered():
            found += await _reviews_for(session, actor, kind)
            found += await _fixes_for(session, actor, kind)
        found += await _opinions_for(session, actor)
        calculator = await DueCalculator.load(
            session, now=now, entered=[i.entered_at for i in found if i.entered_at]
        )
    dated = [
        _with_due(entry, calculator.stage_due(entry.stage, entry.entered_at))
        if entry.task != "fix" and entry.stage
        else entry
        for entry in found
    ]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(
        dated,
        key=lambda i: (
            i.days_left if i.days_left is not None else 10**6,
            i.entered_at or far,
            i.kind != GOAL,
            i.item_id,
        ),
    )


def _with_due(entry: TodoItem, due: StageDue | None) -> TodoItem:
    if due is None:
        return entry
    return replace(entry, due=due.due, days_left=due.days_left, provisional=due.provisional)


def _entry(kind: ReviewKind, row: Any, project: Project, org: Organisation, task: str) -> TodoItem:
    assert row.id is not None
    return TodoItem(
        item_id=row.id,
        version=row.version,
        project=project.name,
        organisation=org.name,
        year=project.year,
        stage=row.stage,
        task=task,
        entered_at=row.stage_entered_at,
        kind=kind.name,
        amount=kind.amount(row),
        batchable=task == "review" and row.stage in kind.batch_stages,
    )


async def _reviews_for(session: AsyncSession, actor: Actor, kind: ReviewKind) -> list[TodoItem]:
    """Items of `kind` waiting at a stage where the actor decides."""
    found: list[TodoItem] = []
    for stage, action in kind.stage_actions.items():
        if stage in NOT_DECIDED_HERE or not access.may_ever(actor, action):
            continue
        organisations = await access.organisations_where(session, actor, action)
        rows = await session.execute(
            item_query(
                kind,
                kind.table.status == kind.statuses.waiting,
                kind.table.stage == stage.value,
                Project.organisation_id.in_(organisations),
            )
        )
        found += [_entry(kind, row, p, o, "review") for row, p, o in rows]
    return found


async def _fixes_for(session: AsyncSession, actor: Actor, kind: ReviewKind) -> list[TodoItem]:
    """Returned items of `kind` in my organisations, waiting for correction."""
    if not access.may_ever(actor, kind.fix_action):
        return []
    organisations = await access.organisations_where(session, actor, kind.fix_action)
    rows = await session.execute(
        item_query(
            kind,
            kind.table.status == kind.statuses.returned,
            Project.organisation_id.in_(organisations),
        )
    )
    return [_entry(kind, row, p, o, "fix") for row, p, o in rows]


async def _opinions_for(session: AsyncSession, actor: Actor) -> list[TodoItem]:
    """Key projects at the performance stage still without this expert's opinion."""
    if not actor.has_role(Role.expert):
        return []
    goal = kind_named(GOAL)
    rows = await session.execute(
        item_query(
            goal,
            goal.table.status == goal.statuses.waiting,
            goal.table.stage == ReviewStage.performance.value,
            Project.is_key.is_(True),
        )
    )
    found = []
    for version, project, org in rows:
        scope = await review_scope(session, project)
        if not access.decide(actor, Action.REVIEW_EXPERT, scope):
            continue
        given = {o.actor_id for o in await round_opinions(session, version.id)}
        if actor.person_id not in given:
            found.append(_entry(goal, version, project, org, "opinion"))
    return found
