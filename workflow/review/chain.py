"""The one review machine: enter, approve, return, exactly once, for every kind of item.

Each kind (`workflow.review.kinds`; goal versions first, `workflow.review.goal_kind`) gives
the item's route of stages, the Action that authorizes each stage, its status values and
its hooks; the functions here take a kind and an item id and work the same for all. The
goal-version functions (`enter_chain`, `decide`, …) are the goal kind's names for them.

A return sends the item back to its staff with a required reason; `stage` keeps the stage
that returned it (the timeline says so). A resubmitted version goes through the whole
route again, from the first stage (`reenter_at`): a reviewer who approved before approved
another content, and finance controls want every stage to see the change. Each submission
keeps a snapshot (`workflow.review.snapshots`), so every reviewer's card shows what changed
since the version they last approved, and an unchanged part costs one press.

Exactly once: every transition is one conditional
`UPDATE <kind's table> … WHERE id = :id AND version = :version AND stage = :stage`. When
two presses race, the database lets exactly one row change through; the other press sees
no row changed and is told who handled the item (from the newest `review_step`). Every
transition writes its `review_step` (append-only), its audit entry and its notifications
in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import ReviewDecision, ReviewStage
from storage.types import utcnow
from workflow.core import audit
from workflow.core.access import Action, Actor, Scope
from workflow.review import cosign, edit_lock, snapshots, submitter_notices
from workflow.review import notices as review_notices
from workflow.review.experts import give_opinion, give_opinion_in_session
from workflow.review.goal_kind import needs_experts, stages_for
from workflow.review.kinds import Item, ReviewKind, kind_named, load_item
from workflow.review.people import acting_role, review_scope
from workflow.review.records import (
    GOAL,
    Handled,
    Outcome,
    ReviewResult,
    allowed,
    latest_step,
    move_stage,
    new_step,
    result_of,
    stale_result,
)

__all__ = [
    "Handled",
    "Item",
    "Outcome",
    "ReviewResult",
    "decide",
    "decide_in_session",
    "decide_on",
    "decide_on_in_session",
    "enter",
    "enter_chain",
    "give_opinion",
    "give_opinion_in_session",
    "load_item",
    "may_decide",
    "may_decide_on",
    "needs_experts",
    "reenter_at",
    "stage_after",
    "stages_for",
]


def stage_after(chain: tuple[ReviewStage, ...], stage: ReviewStage) -> ReviewStage | None:
    """The next stage of the route, or None after the last."""
    position = chain.index(stage)
    return chain[position + 1] if position + 1 < len(chain) else None


def reenter_at(chain: tuple[ReviewStage, ...], item: Item) -> ReviewStage:
    """Where a (re)submitted item enters: always the first stage (after a return or a
    withdrawal the content may have changed, so every stage reviews it again)."""
    del item
    return chain[0]


async def enter(
    session: AsyncSession,
    *,
    actor: Actor,
    kind: str,
    item_id: int,
    now: dt.datetime,
    comment: str | None = None,
) -> ReviewResult:
    """Hand a draft or returned item to its route, inside the caller's transaction.

    The caller has authorized the submission (for goals `workflow.goals.declaration`); this
    writes the transition, the `submit` step and the first stage's reviewer cards.
    """
    item = await load_item(session, kind_named(kind), item_id)
    if item is None:
        return ReviewResult(Outcome.not_found, kind=kind)
    statuses = item.kind.statuses
    if item.row.status not in statuses.submittable:
        return ReviewResult(
            Outcome.not_submittable,
            item.id,
            item.project.name,
            handled=await latest_step(session, kind, item.id, asking=actor),
            kind=kind,
        )
    held = await edit_lock.may_submit(session, item, actor)
    if held is not None:  # a colleague holds the edit: their work is not overwritten
        return ReviewResult(
            Outcome.edit_held, item.id, item.project.name, handled=held.handled(), kind=kind
        )
    resubmitted = item.row.status == statuses.returned
    locked = await edit_lock.holder(session, kind, item.id) is not None
    stage = reenter_at(item.kind.route(item), item)
    moved = await move_stage(
        session,
        item,
        expected_version=item.row.version,
        from_stage=item.row.stage,
        to_stage=stage.value,
        status=statuses.waiting,
        now=now,
        submitted_by_id=actor.person_id,
        submitted_at=now,
    )
    if not moved:
        return ReviewResult(
            Outcome.already_handled,
            item.id,
            item.project.name,
            handled=await latest_step(session, kind, item.id, asking=actor),
            kind=kind,
        )
    step = new_step(
        item,
        stage=stage.value,
        decision=ReviewDecision.submit,
        actor=actor,
        acting=None,
        comment=comment,  # e.g. a self-evaluation's total, kept on its timeline
        now=now,
    )
    session.add(step)
    await snapshots.keep(session, item, step)
    await item.kind.on_moved(session, item, statuses.waiting, now)
    audit.record(
        session,
        action=item.kind.submit_audit_action,
        actor_id=actor.person_id,
        object_type=kind,
        object_id=item.id,
        detail={"stage": stage.value, "resubmitted": resubmitted},
    )
    await review_notices.stage_reached(session, item, stage, now=now)
    await submitter_notices.submitted(session, item, stage, by=actor, now=now)
    await edit_lock.released(session, item, actor, was_editable=resubmitted or locked, now=now)
    return result_of(item, Outcome.moved, ReviewDecision.submit, stage.value)


async def _ready(
    session: AsyncSession, actor: Actor, kind: str, item_id: int, expected_version: int
) -> tuple[Item, Scope, ReviewStage] | ReviewResult:
    """The item, its scope and stage when `actor` may decide on it now; else why not."""
    item = await load_item(session, kind_named(kind), item_id)
    if item is None:
        return ReviewResult(Outcome.not_found, kind=kind)
    scope = await review_scope(session, item.project)
    row = item.row
    waiting = row.status == item.kind.statuses.waiting
    if not waiting or row.version != expected_version or row.stage is None:
        return await stale_result(session, actor, item, scope, Action.VIEW_PROJECT)
    stage = ReviewStage(row.stage)
    if not await allowed(session, actor, item.kind.action_at(stage), item, scope):
        return ReviewResult(Outcome.denied, kind=kind)
    return item, scope, stage


async def may_decide_on(
    session: AsyncSession, *, actor: Actor, kind: str, item_id: int, expected_version: int
) -> ReviewResult:
    """Whether `actor` may decide on this state of the item now (before asking a reason)."""
    ready = await _ready(session, actor, kind, item_id, expected_version)
    if isinstance(ready, ReviewResult):
        return ready
    item, _scope, stage = ready
    return result_of(item, Outcome.moved, ReviewDecision.comment, stage.value)


async def decide_on(
    db: Database,
    *,
    actor: Actor,
    kind: str,
    item_id: int,
    expected_version: int,
    decision: ReviewDecision,
    comment: str | None = None,
    now: dt.datetime | None = None,
) -> ReviewResult:
    """Approve or return the item at the stage it waits at, exactly once."""
    async with db.transaction() as session:
        return await decide_on_in_session(
            session,
            actor=actor,
            kind=kind,
            item_id=item_id,
            expected_version=expected_version,
            decision=decision,
            comment=comment,
            now=now or utcnow(),
        )


def _destination(
    kind: ReviewKind, item: Item, stage: ReviewStage, decision: ReviewDecision
) -> tuple[ReviewStage | None, str]:
    """Where a decision at `stage` sends the item, and its status there."""
    statuses = kind.statuses
    if decision is ReviewDecision.return_:
        return stage, statuses.returned
    following = stage_after(kind.route(item), stage)
    if following is not None:
        return following, statuses.waiting
    return kind.rest_stage, statuses.approved


async def decide_on_in_session(
    session: AsyncSession,
    *,
    actor: Actor,
    kind: str,
    item_id: int,
    expected_version: int,
    decision: ReviewDecision,
    comment: str | None,
    now: dt.datetime,
) -> ReviewResult:
    """`decide_on` inside the caller's transaction (the return-reason form submits here)."""
    if decision not in (ReviewDecision.approve, ReviewDecision.return_):
        raise ValueError(f"not a review decision: {decision}")
    ready = await _ready(session, actor, kind, item_id, expected_version)
    if isinstance(ready, ReviewResult):
        return ready
    item, scope, stage = ready
    action = item.kind.action_at(stage)
    comment = (comment or "").strip() or None
    if decision is ReviewDecision.return_ and comment is None:
        return ReviewResult(Outcome.reason_required, item.id, item.project.name, kind=kind)
    if decision is ReviewDecision.approve and await cosign.pending(session, item):
        return ReviewResult(Outcome.awaiting_cosign, item.id, item.project.name, kind=kind)
    if decision is ReviewDecision.approve:
        refusal = await item.kind.approve_check(session, item, stage)
        if refusal is not None:
            return ReviewResult(Outcome(refusal), item.id, item.project.name, kind=kind)
    to_stage, status = _destination(item.kind, item, stage, decision)
    moved = await move_stage(
        session,
        item,
        expected_version=expected_version,
        from_stage=stage.value,
        to_stage=to_stage.value if to_stage else None,
        status=status,
        now=now,
    )
    if not moved:
        return await stale_result(session, actor, item, scope, action)
    session.add(
        new_step(
            item,
            stage=stage.value,
            decision=decision,
            actor=actor,
            acting=acting_role(actor, action, scope),
            comment=comment,
            now=now,
        )
    )
    await item.kind.on_moved(session, item, status, now)
    audit.record(
        session,
        action=action.value,
        actor_id=actor.person_id,
        object_type=kind,
        object_id=item.id,
        detail={"decision": decision.value, "stage": stage.value},
    )
    await _announce(session, item, actor, stage, decision, comment, expected_version, now)
    return result_of(item, Outcome.moved, decision, stage.value)


async def _announce(
    session: AsyncSession,
    item: Item,
    actor: Actor,
    stage: ReviewStage,
    decision: ReviewDecision,
    comment: str | None,
    expected_version: int,
    now: dt.datetime,
) -> None:
    """The outcome to the submitter, the old cards closed, the next stage's cards."""
    await review_notices.decided(
        session, item, actor=actor, stage=stage, decision=decision, comment=comment, now=now
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
    if item.row.status == item.kind.statuses.waiting:
        await review_notices.stage_reached(session, item, ReviewStage(item.row.stage), now=now)


# The goal kind's names for the machine (goal declaration, forms, handlers and tests).


async def enter_chain(
    session: AsyncSession, *, actor: Actor, goal_version_id: int, now: dt.datetime
) -> ReviewResult:
    """Hand a draft or returned goal version to its chain (see `enter`)."""
    return await enter(session, actor=actor, kind=GOAL, item_id=goal_version_id, now=now)


async def decide(db: Database, *, goal_version_id: int, **decision: Any) -> ReviewResult:
    """Approve or return a goal version at the stage it waits at (see `decide_on`)."""
    return await decide_on(db, kind=GOAL, item_id=goal_version_id, **decision)


async def decide_in_session(
    session: AsyncSession, *, goal_version_id: int, **decision: Any
) -> ReviewResult:
    """`decide` inside the caller's transaction."""
    return await decide_on_in_session(session, kind=GOAL, item_id=goal_version_id, **decision)


async def may_decide(
    session: AsyncSession, *, actor: Actor, goal_version_id: int, expected_version: int
) -> ReviewResult:
    """Whether `actor` may decide on this state of the goal version now."""
    return await may_decide_on(
        session,
        actor=actor,
        kind=GOAL,
        item_id=goal_version_id,
        expected_version=expected_version,
    )
