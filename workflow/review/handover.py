"""撤回 and 转交: the submitter takes an item back, or a reviewer hands it to a colleague.

Both go through the same conditional update as every transition (exactly once), write one
`review_step`, an audit entry and their outbox rows in the same transaction, and close the
cards of the state they leave.

- Withdraw: only the submitter, and only while nobody has acted at the stage the item waits
  at (an expert opinion counts). The item becomes a draft again and keeps its stage, so a
  resubmission goes through the whole route again, like a return.
- Transfer: someone who may decide at the stage hands the item to a colleague holding the
  same role in the same organisation. The item stays at its stage (and keeps the time it
  entered it, so its deadline does not move); the row version moves on, so every old card
  goes stale, and only the colleague gets a new card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Person, ReviewDecision, ReviewStage, ReviewStep, RoleAssignment
from storage.types import utcnow
from workflow.core import audit
from workflow.core.access import Actor
from workflow.notify.queue import queue_for_people
from workflow.review import notices as review_notices
from workflow.review.kinds import Item, kind_named, load_item
from workflow.review.people import acting_role, outcome_audience, review_scope
from workflow.review.records import (
    PASSIVE,
    Outcome,
    ReviewResult,
    allowed,
    move_stage,
    new_step,
    result_of,
    stale_result,
)

MOVING = (ReviewDecision.submit.value, ReviewDecision.approve.value)


async def handed_over(
    session: AsyncSession,
    item: Item,
    people: Iterable[int],
    *,
    actor: Actor,
    decision: ReviewDecision,
    stage: ReviewStage,
    now: dt.datetime,
) -> None:
    """Tell `people` that the item was withdrawn (or transferred) at `stage`."""
    queue_for_people(
        session,
        people,
        template="review_handover",
        context={
            "item": await item.kind.describe(session, item),
            "kind": item.kind.name,
            "decision": decision.value,
            "stage": stage.value,
            "by": actor.name,
            "at": review_notices.local_time(now),
        },
        buttons=(
            review_notices.fix_buttons(item.kind.name, item.id, item.row.version)
            if decision is ReviewDecision.withdraw
            else [review_notices.viewer_buttons(item.kind.name, item.id, item.row.version)]
        ),
        dedupe_prefix=f"{review_notices.KEY_PREFIX}:handover:{item.kind.ref(item.id)}:{item.row.version}",
    )


async def _acted_since_arrival(session: AsyncSession, item: Item) -> bool:
    """Whether any step was written since the item reached the stage it waits at."""
    steps = list(
        await session.scalars(
            select(ReviewStep.decision)
            .where(
                ReviewStep.item_kind == item.kind.name,
                ReviewStep.item_id == item.id,
                ReviewStep.decision.not_in([d.value for d in PASSIVE]),  # a 催办 is no action
            )
            .order_by(ReviewStep.id.desc())
        )
    )
    return bool(steps) and steps[0] not in MOVING


async def withdraw(
    db: Database,
    *,
    actor: Actor,
    kind: str,
    item_id: int,
    expected_version: int,
    now: dt.datetime | None = None,
) -> ReviewResult:
    """撤回: the submitter takes the item back before anyone acted at its stage."""
    now = now or utcnow()
    async with db.transaction() as session:
        item = await load_item(session, kind_named(kind), item_id)
        if item is None:
            return ReviewResult(Outcome.not_found, kind=kind)
        row = item.row
        if row.submitted_by_id != actor.person_id:
            scope = await review_scope(session, item.project)
            if row.status != item.kind.statuses.waiting or row.version != expected_version:
                return await stale_result(session, actor, item, scope, item.kind.fix_action)
            return ReviewResult(Outcome.denied, kind=kind)
        waiting = row.status == item.kind.statuses.waiting and row.stage is not None
        if (
            not waiting
            or row.version != expected_version
            or await _acted_since_arrival(session, item)
        ):
            scope = await review_scope(session, item.project)
            return await stale_result(session, actor, item, scope, item.kind.fix_action)
        stage = ReviewStage(row.stage)
        if not await move_stage(
            session,
            item,
            expected_version=expected_version,
            from_stage=stage.value,
            to_stage=stage.value,
            status=item.kind.statuses.draft,
            now=now,
        ):
            scope = await review_scope(session, item.project)
            return await stale_result(session, actor, item, scope, item.kind.fix_action)
        decision = ReviewDecision.withdraw
        session.add(
            new_step(
                item,
                stage=stage.value,
                decision=decision,
                actor=actor,
                acting=None,
                comment=None,
                now=now,
            )
        )
        await item.kind.on_moved(session, item, item.kind.statuses.draft, now)
        await _record(session, item, actor, decision, stage, expected_version, now)
        audience = await outcome_audience(session, item.project, row.submitted_by_id)
        await handed_over(
            session, item, audience, actor=actor, decision=decision, stage=stage, now=now
        )
        return result_of(item, Outcome.moved, decision, stage.value)


async def _record(
    session: AsyncSession,
    item: Item,
    actor: Actor,
    decision: ReviewDecision,
    stage: ReviewStage,
    expected_version: int,
    now: dt.datetime,
    **detail: object,
) -> None:
    """The audit entry, and every card of the state left behind closed."""
    audit.record(
        session,
        action=f"review_{decision.value}",
        actor_id=actor.person_id,
        object_type=item.kind.name,
        object_id=item.id,
        detail={"stage": stage.value, **detail},
    )
    settled = review_notices.settled_context(
        actor=actor,
        decision=decision,
        stage=stage.value,
        now=now,
        status=item.row.status,
        next_stage=item.row.stage,
    )
    await review_notices.close_cards(
        session, item.kind.ref(item.id), expected_version, settled=settled
    )


async def colleagues(session: AsyncSession, role: str, organisation_id: int) -> dict[int, str]:
    """Active people holding `role` in the organisation, by id."""
    rows = await session.execute(
        select(Person.id, Person.name)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(
            RoleAssignment.role == role,
            RoleAssignment.organisation_id == organisation_id,
            RoleAssignment.revoked_at.is_(None),
            Person.active.is_(True),
        )
    )
    return {person_id: name for person_id, name in rows}


async def transfer(
    db: Database,
    *,
    actor: Actor,
    kind: str,
    item_id: int,
    expected_version: int,
    to_person_id: int,
    now: dt.datetime | None = None,
) -> ReviewResult:
    """转交: hand the item at its stage to a colleague with the same role and organisation."""
    now = now or utcnow()
    async with db.transaction() as session:
        item = await load_item(session, kind_named(kind), item_id)
        if item is None:
            return ReviewResult(Outcome.not_found, kind=kind)
        scope = await review_scope(session, item.project)
        row = item.row
        waiting = row.status == item.kind.statuses.waiting and row.stage is not None
        if not waiting or row.version != expected_version:
            return await stale_result(session, actor, item, scope, item.kind.fix_action)
        stage = ReviewStage(row.stage)
        action = item.kind.action_at(stage)
        acting = acting_role(actor, action, scope)
        if acting is None or not await allowed(session, actor, action, item, scope):
            return ReviewResult(Outcome.denied, kind=kind)
        role, organisation_id = acting
        named = await colleagues(session, role.value, organisation_id)
        if to_person_id == actor.person_id or to_person_id not in named:
            return ReviewResult(Outcome.denied, kind=kind)
        if not await move_stage(
            session,
            item,
            expected_version=expected_version,
            from_stage=stage.value,
            to_stage=stage.value,
            status=row.status,
            now=now,
            entered=row.stage_entered_at,
        ):
            return await stale_result(session, actor, item, scope, action)
        decision = ReviewDecision.transfer
        session.add(
            new_step(
                item,
                stage=stage.value,
                decision=decision,
                actor=actor,
                acting=acting,
                comment=named[to_person_id],
                now=now,
            )
        )
        await _record(session, item, actor, decision, stage, expected_version, now, to=to_person_id)
        await review_notices.stage_reached(session, item, stage, now=now, only=[to_person_id])
        return result_of(item, Outcome.moved, decision, stage.value)
