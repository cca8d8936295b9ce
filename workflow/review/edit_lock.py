"""One person edits a returned (or withdrawn) item at a time: the edit lock.

修改后重新提交 (a goal) or 填报 on a returned 跟踪表 / 自评表 (`take_returned`) takes the lock
(`review_edit_lock`, one row per item: who, since when). While
someone else holds it, a second person is told who and since when, and may take it over
after a confirmation; the previous holder is told through the outbox, and the take-over is
kept on the timeline. A submission by someone who does not hold the lock is refused
(`may_submit`), so nobody's edits are silently lost; the submission releases the lock and
everyone else who could have edited the item hears that it was resubmitted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Person, ReviewDecision, ReviewEditLock
from storage.types import utcnow
from workflow.core.access import Actor
from workflow.forms.spec import Problem
from workflow.notify.queue import queue_for_people
from workflow.review import notices as review_notices
from workflow.review.kinds import Item, kind_named, load_item
from workflow.review.people import outcome_audience, review_scope
from workflow.review.records import (
    Handled,
    Outcome,
    ReviewResult,
    allowed,
    record_side_step,
)


@dataclass(frozen=True, slots=True)
class Lock:
    """Who holds the edit of an item, since when."""

    person_id: int
    name: str | None
    since: dt.datetime

    def handled(self) -> Handled:
        return Handled(self.name, ReviewDecision.take_over.value, None, self.since)


@dataclass(frozen=True, slots=True)
class Taken:
    """What asking for the edit came to: taken (`previous` held it before a take-over),
    held by someone else (`held`), or not editable (`denied`)."""

    ok: bool
    held: Lock | None = None
    previous: Lock | None = None
    denied: bool = False


async def holder(session: AsyncSession, kind: str, item_id: int) -> Lock | None:
    """The lock on the item, if anyone holds it."""
    row = (
        await session.execute(
            select(ReviewEditLock, Person.name)
            .join(Person, Person.id == ReviewEditLock.person_id)
            .where(ReviewEditLock.item_kind == kind, ReviewEditLock.item_id == item_id)
        )
    ).first()
    if row is None:
        return None
    lock, name = row
    return Lock(lock.person_id, name, lock.since)


def _editable(item: Item) -> bool:
    statuses = item.kind.statuses
    return item.row.status in (statuses.returned, statuses.draft)


async def take(
    db: Database,
    *,
    actor: Actor,
    kind: str,
    item_id: int,
    now: dt.datetime | None = None,
    take_over: bool = False,
) -> Taken:
    """Take the edit of a returned item (`take_over`: from whoever holds it), exactly once."""
    now = now or utcnow()
    assert actor.person_id is not None
    async with db.transaction() as session:
        item = await load_item(session, kind_named(kind), item_id)
        if item is None or not _editable(item):
            return Taken(False, denied=True)
        scope = await review_scope(session, item.project)
        if not await allowed(session, actor, item.kind.fix_action, item, scope):
            return Taken(False, denied=True)
        current = await holder(session, kind, item_id)
        if current is not None and current.person_id == actor.person_id:
            return Taken(True)
        if current is None:
            try:
                async with session.begin_nested():
                    session.add(
                        ReviewEditLock(
                            item_kind=kind, item_id=item_id, person_id=actor.person_id, since=now
                        )
                    )
                return Taken(True)
            except IntegrityError:  # someone took it a moment ago
                current = await holder(session, kind, item_id)
                assert current is not None
        if not take_over:
            return Taken(False, held=current)
        table = ReviewEditLock.__table__
        moved = await session.execute(
            update(table)
            .where(
                table.c.item_kind == kind,
                table.c.item_id == item_id,
                table.c.person_id == current.person_id,
                table.c.since == current.since,
            )
            .values(person_id=actor.person_id, since=now)
        )
        if moved.rowcount != 1:  # taken over by a third person meanwhile
            return Taken(False, held=await holder(session, kind, item_id))
        await _taken_over(session, item, actor, current, now)
        return Taken(True, previous=current)


async def take_returned(
    db: Database,
    *,
    actor: Actor,
    kind: str,
    item_id: int,
    now: dt.datetime,
    take_over: bool = False,
) -> Taken:
    """Before a form opens on the item: the lock taken when it is returned (a draft never
    submitted needs none); `held` says who keeps the actor out."""
    async with db.sessions() as session:
        item = await load_item(session, kind_named(kind), item_id)
        returned = item is not None and item.row.status == item.kind.statuses.returned
    if not returned:
        return Taken(True)
    return await take(db, actor=actor, kind=kind, item_id=item_id, now=now, take_over=take_over)


def held_problem(result: ReviewResult) -> Problem | None:
    """A submission refused because a colleague holds the edit, as the form's problem."""
    if result.outcome is not Outcome.edit_held or result.handled is None:
        return None
    held = result.handled
    return Problem("edit_held", {"by": held.by or "", "since": review_notices.local_time(held.at)})


async def _taken_over(
    session: AsyncSession, item: Item, actor: Actor, previous: Lock, now: dt.datetime
) -> None:
    """The take-over on the timeline and in the audit log; the previous holder told."""
    record_side_step(
        session,
        item,
        decision=ReviewDecision.take_over,
        actor=actor,
        now=now,
        detail={"from": previous.person_id},
    )
    queue_for_people(
        session,
        [previous.person_id],
        template="review_edit_lock",
        context={
            "event": "taken_over",
            "item": await item.kind.describe(session, item),
            "kind": item.kind.name,
            "by": actor.name,
            "at": review_notices.local_time(now),
        },
        buttons=[review_notices.viewer_buttons(item.kind.name, item.id, item.row.version)],
        dedupe_prefix=f"rv:lock:{item.kind.ref(item.id)}:{now.isoformat()}",
    )


async def may_submit(session: AsyncSession, item: Item, actor: Actor) -> Lock | None:
    """The lock that keeps `actor` from submitting the item (held by someone else), or None."""
    current = await holder(session, item.kind.name, item.id)
    if current is None or current.person_id == actor.person_id:
        return None
    return current


async def released(
    session: AsyncSession, item: Item, actor: Actor, *, was_editable: bool, now: dt.datetime
) -> None:
    """Resubmitted: the lock goes, and everyone else who could edit the item is told."""
    table = ReviewEditLock.__table__
    await session.execute(
        delete(table).where(table.c.item_kind == item.kind.name, table.c.item_id == item.id)
    )
    if not was_editable:
        return
    others = [
        person
        for person in await outcome_audience(session, item.project, item.row.submitted_by_id)
        if person != actor.person_id
    ]
    queue_for_people(
        session,
        others,
        template="review_edit_lock",
        context={
            "event": "resubmitted",
            "item": await item.kind.describe(session, item),
            "kind": item.kind.name,
            "by": actor.name,
            "at": review_notices.local_time(now),
        },
        buttons=[review_notices.viewer_buttons(item.kind.name, item.id, item.row.version)],
        dedupe_prefix=f"rv:resubmitted:{item.kind.ref(item.id)}:{item.row.version}",
    )
