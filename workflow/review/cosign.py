"""加签: a stage's reviewer asks one more person to sign before the stage decides.

The added person (anyone who may view the item) gets a card with 会签同意; until everyone
added at this visit of the stage has signed, the stage may return the item but not approve
it (`pending`). Adding and signing are each exactly once: the `review_cosign` row's key
(item, stage, the moment the stage was entered, person) admits one addition, and signing is
a conditional update of that row. Both are kept on the timeline and in the audit log.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Person, ReviewCosign, ReviewDecision, ReviewStage
from storage.types import utcnow
from workflow.core import audit
from workflow.core.access import Action, Actor
from workflow.notify.queue import queue_for_people
from workflow.review import notices as review_notices
from workflow.review.kinds import Item, kind_named, load_item
from workflow.review.people import acting_role, people_who_may, review_scope
from workflow.review.records import (
    Outcome,
    ReviewResult,
    allowed,
    new_step,
    record_side_step,
    result_of,
    stale_result,
)


def _visit(item: Item) -> tuple[object, ...]:
    table = ReviewCosign
    return (
        table.item_kind == item.kind.name,
        table.item_id == item.id,
        table.stage == item.row.stage,
        table.stage_entered_at == item.row.stage_entered_at,
    )


async def pending(session: AsyncSession, item: Item) -> list[str]:
    """The names of the people added at this visit of the stage who have not signed yet."""
    if item.row.stage is None or item.row.stage_entered_at is None:
        return []
    rows = await session.scalars(
        select(Person.name)
        .join(ReviewCosign, ReviewCosign.person_id == Person.id)
        .where(*_visit(item), ReviewCosign.signed_at.is_(None))
        .order_by(ReviewCosign.id)
    )
    return list(rows)


async def _waiting(session: AsyncSession, kind: str, item_id: int, version: int) -> Item | None:
    item = await load_item(session, kind_named(kind), item_id)
    if item is None:
        return None
    row = item.row
    if row.status != item.kind.statuses.waiting or row.version != version or not row.stage:
        return None
    return item


async def add_reviewer(
    db: Database,
    *,
    actor: Actor,
    kind: str,
    item_id: int,
    expected_version: int,
    person_id: int,
    now: dt.datetime | None = None,
) -> ReviewResult:
    """加签 `person_id` at the stage the item waits at, once."""
    now = now or utcnow()
    async with db.transaction() as session:
        item = await load_item(session, kind_named(kind), item_id)
        if item is None:
            return ReviewResult(Outcome.not_found, kind=kind)
        scope = await review_scope(session, item.project)
        if await _waiting(session, kind, item_id, expected_version) is None:
            return await stale_result(session, actor, item, scope, Action.VIEW_PROJECT)
        stage = ReviewStage(item.row.stage)
        action = item.kind.action_at(stage)
        if not await allowed(session, actor, action, item, scope):
            return ReviewResult(Outcome.denied, kind=kind)
        viewers = await people_who_may(session, Action.VIEW_PROJECT, scope)
        name = await session.scalar(select(Person.name).where(Person.id == person_id))
        if person_id not in viewers or person_id == actor.person_id or name is None:
            return ReviewResult(Outcome.denied, kind=kind)
        try:
            async with session.begin_nested():
                session.add(
                    ReviewCosign(
                        item_kind=kind,
                        item_id=item.id,
                        stage=stage.value,
                        stage_entered_at=item.row.stage_entered_at,
                        person_id=person_id,
                        added_by_id=actor.person_id,
                        added_at=now,
                    )
                )
        except IntegrityError:  # added already (a double press)
            return ReviewResult(
                Outcome.already_handled,
                item.id,
                item.project.name,
                decision=ReviewDecision.add_reviewer.value,
                kind=kind,
            )
        session.add(
            new_step(
                item,
                stage=stage.value,
                decision=ReviewDecision.add_reviewer,
                actor=actor,
                acting=acting_role(actor, action, scope),
                comment=name,
                now=now,
            )
        )
        audit.record(
            session,
            action="review_add_reviewer",
            actor_id=actor.person_id,
            object_type=kind,
            object_id=item.id,
            detail={"stage": stage.value, "person": person_id},
        )
        context = await review_notices.card_context(session, item, stage, now=now)
        version = item.row.version
        queue_for_people(
            session,
            [person_id],
            template="review_cosign",
            context={**context, "by": actor.name, "kind": kind},
            buttons=[
                [("review_cosign", review_notices.press("sg", kind, item.id, version))],
                review_notices.viewer_buttons(kind, item.id, version),
            ],
            dedupe_prefix=f"rv:card:{item.kind.ref(item.id)}:{version}:cosign",
        )
        return result_of(item, Outcome.moved, ReviewDecision.add_reviewer, stage.value)


async def sign(
    db: Database,
    *,
    actor: Actor,
    kind: str,
    item_id: int,
    expected_version: int,
    now: dt.datetime | None = None,
) -> ReviewResult:
    """会签同意: the added person signs, once; the stage may approve when all have."""
    now = now or utcnow()
    async with db.transaction() as session:
        item = await load_item(session, kind_named(kind), item_id)
        if item is None:
            return ReviewResult(Outcome.not_found, kind=kind)
        scope = await review_scope(session, item.project)
        if await _waiting(session, kind, item_id, expected_version) is None:
            return await stale_result(session, actor, item, scope, Action.VIEW_PROJECT)
        table = ReviewCosign.__table__
        signed = await session.execute(
            update(table)
            .where(
                table.c.item_kind == kind,
                table.c.item_id == item.id,
                table.c.stage == item.row.stage,
                table.c.stage_entered_at == item.row.stage_entered_at,
                table.c.person_id == actor.person_id,
                table.c.signed_at.is_(None),
            )
            .values(signed_at=now)
        )
        if signed.rowcount != 1:
            asked = await session.scalar(
                select(ReviewCosign.id).where(
                    *_visit(item), ReviewCosign.person_id == actor.person_id
                )
            )
            if asked is None:
                return ReviewResult(Outcome.denied, kind=kind)
            return ReviewResult(
                Outcome.already_handled,
                item.id,
                item.project.name,
                decision=ReviewDecision.cosign.value,
                kind=kind,
            )
        record_side_step(
            session,
            item,
            decision=ReviewDecision.cosign,
            actor=actor,
            now=now,
            detail={"stage": item.row.stage},
        )
        return result_of(item, Outcome.moved, ReviewDecision.cosign, item.row.stage)
