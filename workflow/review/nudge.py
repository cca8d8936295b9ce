"""催办: whoever may correct an item reminds the reviewers it waits for.

At most once per working day per item (the project's calendar: a nudge on a weekend or a
holiday counts for the next working day). The `review_nudge` row's key (kind, item, day)
makes a second nudge that day impossible, even when two presses race; the nudge is kept
on the timeline and in the audit log, and the reviewers get a fresh card through the outbox.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Person, ReviewDecision, ReviewNudge, ReviewStage
from storage.types import utcnow
from workflow.calendar.workdays import load_calendar, years_around
from workflow.core.access import Actor
from workflow.core.clock import local_day
from workflow.review import submitter_notices
from workflow.review.kinds import Item, kind_named, load_item
from workflow.review.people import review_scope
from workflow.review.records import (
    Handled,
    Outcome,
    ReviewResult,
    allowed,
    record_side_step,
    stale_result,
)


async def nudge_day(session: AsyncSession, now: dt.datetime) -> dt.date:
    """The working day a nudge sent `now` counts for."""
    today = local_day(now)
    calendar = await load_calendar(session, years=years_around(today))
    return today if calendar.is_working_day(today) else calendar.next_working_day(today)


async def _may_nudge(session: AsyncSession, actor: Actor, item: Item) -> bool:
    """The submitter, or anyone who may correct the item (its staff and heads)."""
    if actor.person_id is not None and actor.person_id == item.row.submitted_by_id:
        return True
    scope = await review_scope(session, item.project)
    return await allowed(session, actor, item.kind.fix_action, item, scope)


async def nudge(
    db: Database,
    *,
    actor: Actor,
    kind: str,
    item_id: int,
    expected_version: int,
    now: dt.datetime | None = None,
) -> ReviewResult:
    """Remind the reviewers of the stage the item waits at, once per working day."""
    now = now or utcnow()
    async with db.transaction() as session:
        item = await load_item(session, kind_named(kind), item_id)
        if item is None:
            return ReviewResult(Outcome.not_found, kind=kind)
        row = item.row
        if row.status != item.kind.statuses.waiting or row.version != expected_version:
            scope = await review_scope(session, item.project)
            return await stale_result(session, actor, item, scope, item.kind.fix_action)
        if not await _may_nudge(session, actor, item):
            return ReviewResult(Outcome.denied, kind=kind)
        day = await nudge_day(session, now)
        try:
            async with session.begin_nested():
                session.add(
                    ReviewNudge(
                        item_kind=kind,
                        item_id=item.id,
                        day=day,
                        person_id=actor.person_id,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return await _already(session, item, day)
        stage = ReviewStage(row.stage)
        record_side_step(
            session,
            item,
            decision=ReviewDecision.nudge,
            actor=actor,
            now=now,
            detail={"stage": stage.value, "day": day.isoformat()},
        )
        await submitter_notices.nudged(session, item, stage, by=actor, now=now, day=day)
        return ReviewResult(
            Outcome.moved,
            item.id,
            item.project.name,
            decision=ReviewDecision.nudge.value,
            stage=stage.value,
            next_stage=row.stage,
            status=row.status,
            version=row.version,
            kind=kind,
        )


async def _already(session: AsyncSession, item: Item, day: dt.date) -> ReviewResult:
    """Nudged already this working day: say by whom and when."""
    found = (
        await session.execute(
            select(Person.name, ReviewNudge.created_at)
            .outerjoin(Person, Person.id == ReviewNudge.person_id)
            .where(
                ReviewNudge.item_kind == item.kind.name,
                ReviewNudge.item_id == item.id,
                ReviewNudge.day == day,
            )
        )
    ).one()
    return ReviewResult(
        Outcome.nudged_today,
        item.id,
        item.project.name,
        stage=item.row.stage,
        handled=Handled(found[0], ReviewDecision.nudge.value, item.row.stage, found[1]),
        kind=item.kind.name,
    )
