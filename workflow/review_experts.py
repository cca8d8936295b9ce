"""Expert opinions on key projects, collected while they wait at the performance stage.

An expert gives one opinion (同意 / 修改后同意 / 不同意, with text unless agreeing) per
round of review; the performance section hears each one and decides only once one is in.
Opinions do not move the item, so they leave the row version (and everyone's cards) alone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import GoalVersionStatus, ReviewDecision, ReviewStage
from storage.types import utcnow
from workflow import access, audit, review_notices
from workflow.access import AccessDenied, Action, Actor, Scope
from workflow.review_people import acting_role, review_scope
from workflow.review_records import (
    EXPERT_DECISIONS,
    Handled,
    Item,
    Outcome,
    ReviewResult,
    load_item,
    new_step,
    result_of,
    round_opinions,
    stale_result,
)


async def _ready(
    session: AsyncSession, actor: Actor, goal_version_id: int, expected_version: int
) -> tuple[Item, Scope] | ReviewResult:
    """The item and its scope when `actor` may give an opinion on it now; else why not."""
    item = await load_item(session, goal_version_id)
    if item is None:
        return ReviewResult(Outcome.not_found)
    scope = await review_scope(session, item.project)
    at_performance = (
        item.version.status == GoalVersionStatus.in_review.value
        and item.version.stage == ReviewStage.performance.value
        and item.version.version == expected_version
    )
    if not at_performance:
        return await stale_result(session, actor, item, scope, Action.REVIEW_EXPERT)
    try:
        await access.authorize(
            session,
            actor,
            Action.REVIEW_EXPERT,
            scope=scope,
            object_type="goal_version",
            object_id=item.id,
        )
    except AccessDenied:
        return ReviewResult(Outcome.denied)
    earlier = [s for s in await round_opinions(session, item.id) if s.actor_id == actor.person_id]
    if earlier:
        return ReviewResult(
            Outcome.already_handled,
            item.id,
            item.project.name,
            handled=Handled(
                actor.name, earlier[0].decision, earlier[0].stage, earlier[0].created_at
            ),
        )
    return item, scope


async def may_give_opinion(
    session: AsyncSession, *, actor: Actor, goal_version_id: int, expected_version: int
) -> ReviewResult:
    """Whether `actor` may give an opinion on this state of the item now."""
    ready = await _ready(session, actor, goal_version_id, expected_version)
    if isinstance(ready, ReviewResult):
        return ready
    item, _scope = ready
    return result_of(item, Outcome.moved, ReviewDecision.comment, ReviewStage.expert.value)


async def give_opinion_in_session(
    session: AsyncSession,
    *,
    actor: Actor,
    goal_version_id: int,
    expected_version: int,
    decision: ReviewDecision,
    comment: str | None,
    now: dt.datetime,
) -> ReviewResult:
    """An expert's opinion on a key project at the performance stage (once per round)."""
    if decision not in EXPERT_DECISIONS:
        raise ValueError(f"not an expert opinion: {decision}")
    ready = await _ready(session, actor, goal_version_id, expected_version)
    if isinstance(ready, ReviewResult):
        return ready
    item, scope = ready
    comment = (comment or "").strip() or None
    if decision is not ReviewDecision.expert_agree and comment is None:
        return ReviewResult(Outcome.reason_required, item.id, item.project.name)
    session.add(
        new_step(
            item,
            stage=ReviewStage.expert.value,
            decision=decision,
            actor=actor,
            acting=acting_role(actor, Action.REVIEW_EXPERT, scope),
            comment=comment,
            now=now,
        )
    )
    audit.record(
        session,
        action=Action.REVIEW_EXPERT.value,
        actor_id=actor.person_id,
        object_type="goal_version",
        object_id=item.id,
        detail={"decision": decision.value},
    )
    await review_notices.opinion_given(
        session, item, expert=actor, decision=decision, comment=comment, now=now
    )
    settled = review_notices.settled_context(
        by=actor.name,
        decision=decision,
        stage=ReviewStage.expert.value,
        now=now,
        status=item.version.status,
        next_stage=item.version.stage,
    )
    await review_notices.close_cards(
        session,
        item.id,
        expected_version,
        settled=settled,
        kinds=("expert",),
        people=[actor.person_id] if actor.person_id else [],
    )
    return result_of(item, Outcome.moved, decision, ReviewStage.expert.value)


async def give_opinion(
    db: Database,
    *,
    actor: Actor,
    goal_version_id: int,
    expected_version: int,
    decision: ReviewDecision,
    comment: str | None = None,
    now: dt.datetime | None = None,
) -> ReviewResult:
    """`give_opinion_in_session` in a transaction of its own."""
    async with db.transaction() as session:
        return await give_opinion_in_session(
            session,
            actor=actor,
            goal_version_id=goal_version_id,
            expected_version=expected_version,
            decision=decision,
            comment=comment,
            now=now or utcnow(),
        )
