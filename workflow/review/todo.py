"""/todo: everything waiting for me, across the registered review kinds and stages.

Reviews and fixes come from every registered kind (`workflow.review.kinds`), so a new kind
shows up here without an edit; expert opinions are the goal kind's own.

A page is loaded on its own: within one source (a kind's stage, its fixes) the order is the
order of entry (the due day follows the day of entry), so the first n items of the whole
list are among the first n of each source, and each source is read with LIMIT n.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
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
TODO_PAGE = 10


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


@dataclass(frozen=True, slots=True)
class TodoPage:
    """One page of my pending items, and where it lies in the whole list."""

    items: tuple[TodoItem, ...]
    page: int  # from 0
    pages: int
    total: int
    page_size: int = TODO_PAGE

    @property
    def first_number(self) -> int:
        """The number the first item of this page has in the whole list (from 1)."""
        return self.page * self.page_size + 1


async def todo(db: Database, *, actor: Actor, now: dt.datetime | None = None) -> list[TodoItem]:
    """My pending items across kinds and stages: fewest days left first, then oldest."""
    async with db.transaction() as session:
        return await _gather(session, actor, now or utcnow(), None)


async def todo_page(
    db: Database,
    *,
    actor: Actor,
    now: dt.datetime | None = None,
    page: int = 0,
    page_size: int = TODO_PAGE,
) -> TodoPage:
    """One page of my pending items (an old page number beyond the end: the last page)."""
    async with db.transaction() as session:
        total = await _count(session, actor)
        pages = max(1, -(-total // page_size))
        page = min(max(page, 0), pages - 1)
        found = await _gather(session, actor, now or utcnow(), (page + 1) * page_size)
    return TodoPage(tuple(found[page * page_size :]), page, pages, total, page_size)


async def batchable(
    db: Database, *, actor: Actor, now: dt.datetime | None = None, limit: int
) -> list[TodoItem]:
    """The first `limit` of my items that may be approved in a batch, most urgent first."""
    async with db.transaction() as session:
        return await _gather(session, actor, now or utcnow(), limit, batch_only=True)


async def _gather(
    session: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    limit: int | None,
    *,
    batch_only: bool = False,
) -> list[TodoItem]:
    """The first `limit` pending items (all of them for None), most urgent first."""
    found: list[TodoItem] = []
    for kind in registered():
        found += await _reviews_for(session, actor, kind, limit, batch_only=batch_only)
        if not batch_only:
            found += await _fixes_for(session, actor, kind, limit)
    if not batch_only:
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
    ordered = sorted(
        dated,
        key=lambda i: (
            i.days_left if i.days_left is not None else 10**6,
            i.entered_at or far,
            i.kind != GOAL,
            i.item_id,
        ),
    )
    return ordered if limit is None else ordered[:limit]


async def _count(session: AsyncSession, actor: Actor) -> int:
    """How many items wait for me, counted in SQL (expert opinions, key projects only, read)."""
    total = 0
    for kind in registered():
        for query in [
            *await _review_queries(session, actor, kind),
            *await _fix_queries(session, actor, kind),
        ]:
            counted = select(func.count()).select_from(query.order_by(None).subquery())
            total += int(await session.scalar(counted) or 0)
    return total + len(await _opinions_for(session, actor))


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


async def _review_queries(
    session: AsyncSession, actor: Actor, kind: ReviewKind, *, batch_only: bool = False
) -> list[Any]:
    """A query per stage of `kind` where the actor decides: the rows waiting there."""
    queries = []
    for stage, action in kind.stage_actions.items():
        if stage in NOT_DECIDED_HERE or not access.may_ever(actor, action):
            continue
        if batch_only and stage.value not in kind.batch_stages:
            continue
        organisations = await access.organisations_where(session, actor, action)
        queries.append(
            item_query(
                kind,
                kind.table.status == kind.statuses.waiting,
                kind.table.stage == stage.value,
                Project.organisation_id.in_(organisations),
            )
        )
    return queries


async def _fix_queries(session: AsyncSession, actor: Actor, kind: ReviewKind) -> list[Any]:
    """The query of returned items of `kind` in my organisations (none without the right)."""
    if not access.may_ever(actor, kind.fix_action):
        return []
    organisations = await access.organisations_where(session, actor, kind.fix_action)
    return [
        item_query(
            kind,
            kind.table.status == kind.statuses.returned,
            Project.organisation_id.in_(organisations),
        )
    ]


async def _reviews_for(
    session: AsyncSession,
    actor: Actor,
    kind: ReviewKind,
    limit: int | None,
    *,
    batch_only: bool = False,
) -> list[TodoItem]:
    """Items of `kind` waiting at a stage where the actor decides (the first `limit` of each)."""
    found: list[TodoItem] = []
    for query in await _review_queries(session, actor, kind, batch_only=batch_only):
        rows = await session.execute(query.limit(limit))
        found += [_entry(kind, row, p, o, "review") for row, p, o in rows]
    return found


async def _fixes_for(
    session: AsyncSession, actor: Actor, kind: ReviewKind, limit: int | None
) -> list[TodoItem]:
    """Returned items of `kind` in my organisations, waiting for correction."""
    found: list[TodoItem] = []
    for query in await _fix_queries(session, actor, kind):
        rows = await session.execute(query.limit(limit))
        found += [_entry(kind, row, p, o, "fix") for row, p, o in rows]
    return found


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
