"""Expert review of key projects, organised by the performance section at its stage.

The performance section invites experts from its card (邀请专家: everyone holding the expert
role, listed to pick from); an invitation is per project (`expert_assignment`) and is what
grants the expert the project (`workflow.core.access.project_scope`): only invited experts get
the opinion card, see the project and give an opinion. Inviting needs the performance
section's own review permission on the item while it waits at that stage.

An expert gives one opinion (同意 / 修改后同意 / 不同意, with text unless agreeing) per
round of review; the performance section hears each one and decides only once one is in.
Opinions do not move the item, so they leave the row version (and everyone's cards) alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import ExpertAssignment, GoalVersionStatus, ReviewDecision, ReviewStage
from storage.types import utcnow
from workflow.core import audit
from workflow.core.access import Action, Actor, Scope
from workflow.review import notices as review_notices
from workflow.review.people import acting_role, expert_candidates, review_scope
from workflow.review.records import (
    EXPERT_DECISIONS,
    Handled,
    Item,
    Outcome,
    ReviewResult,
    allowed,
    load_goal,
    new_step,
    result_of,
    round_opinions,
    stale_result,
)


async def _ready(
    session: AsyncSession, actor: Actor, goal_version_id: int, expected_version: int
) -> tuple[Item, Scope] | ReviewResult:
    """The item and its scope when `actor` may give an opinion on it now; else why not."""
    item = await load_goal(session, goal_version_id)
    if item is None:
        return ReviewResult(Outcome.not_found)
    scope = await review_scope(session, item.project)
    at_performance = (
        item.row.status == GoalVersionStatus.in_review.value
        and item.row.stage == ReviewStage.performance.value
        and item.row.version == expected_version
    )
    if not at_performance:
        return await stale_result(session, actor, item, scope, Action.REVIEW_EXPERT)
    if not await allowed(session, actor, Action.REVIEW_EXPERT, item, scope):
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
        actor=actor,
        decision=decision,
        stage=ReviewStage.expert.value,
        now=now,
        status=item.row.status,
        next_stage=item.row.stage,
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


@dataclass(frozen=True, slots=True)
class ExpertChoice:
    """An expert the performance section may invite, and how far they are."""

    person_id: int
    name: str
    invited: bool
    gave_opinion: bool  # in this round of review


@dataclass(frozen=True, slots=True)
class ExpertPanel:
    """The experts of a key project waiting at the performance stage, or why there is none."""

    outcome: Outcome
    goal_version_id: int | None = None
    version: int | None = None
    project_name: str | None = None
    experts: list[ExpertChoice] = field(default_factory=list)
    invited: str | None = None  # the expert this press invited
    handled: Handled | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.moved


async def _organising(
    session: AsyncSession, actor: Actor, goal_version_id: int
) -> Item | ExpertPanel:
    """The key project's item when `actor` may organise its expert review now."""
    item = await load_goal(session, goal_version_id)
    if item is None or not item.project.is_key:
        return ExpertPanel(Outcome.not_found)
    scope = await review_scope(session, item.project)
    waiting = (
        item.row.status == GoalVersionStatus.in_review.value
        and item.row.stage == ReviewStage.performance.value
    )
    if not waiting:
        stale = await stale_result(session, actor, item, scope, Action.REVIEW_PERFORMANCE)
        return ExpertPanel(stale.outcome, item.id, handled=stale.handled)
    if not await allowed(session, actor, Action.REVIEW_PERFORMANCE, item, scope):
        return ExpertPanel(Outcome.denied)
    return item


async def _panel(session: AsyncSession, item: Item, invited: str | None = None) -> ExpertPanel:
    """Every expert of the bureau, those invited to the project and those who have spoken."""
    chosen = set(
        await session.scalars(
            select(ExpertAssignment.person_id).where(ExpertAssignment.project_id == item.project.id)
        )
    )
    spoken = {step.actor_id for step in await round_opinions(session, item.id)}
    experts = [
        ExpertChoice(e.person_id, e.name, e.person_id in chosen, e.person_id in spoken)
        for e in await expert_candidates(session)
        if e.person_id is not None
    ]
    return ExpertPanel(
        Outcome.moved,
        item.id,
        item.row.version,
        item.project.name,
        experts,
        invited,
    )


async def expert_panel(db: Database, *, actor: Actor, goal_version_id: int) -> ExpertPanel:
    """邀请专家 pressed: the experts to pick from for a key project at the performance stage."""
    async with db.transaction() as session:
        ready = await _organising(session, actor, goal_version_id)
        if isinstance(ready, ExpertPanel):
            return ready
        return await _panel(session, ready)


async def invite_expert(
    db: Database,
    *,
    actor: Actor,
    goal_version_id: int,
    person_id: int,
    now: dt.datetime | None = None,
) -> ExpertPanel:
    """Invite one expert to the key project (once); they get the opinion card at once."""
    try:
        return await _invite(db, actor, goal_version_id, person_id, now or utcnow())
    except IntegrityError:  # the same invitation pressed twice at the same moment
        return await expert_panel(db, actor=actor, goal_version_id=goal_version_id)


async def _invite(
    db: Database, actor: Actor, goal_version_id: int, person_id: int, now: dt.datetime
) -> ExpertPanel:
    async with db.transaction() as session:
        ready = await _organising(session, actor, goal_version_id)
        if isinstance(ready, ExpertPanel):
            return ready
        item = ready
        expert = next(
            (e for e in await expert_candidates(session) if e.person_id == person_id), None
        )
        if expert is None:  # not an expert (any more): nothing to invite
            return ExpertPanel(Outcome.not_found)
        already = await session.scalar(
            select(ExpertAssignment.id).where(
                ExpertAssignment.project_id == item.project.id,
                ExpertAssignment.person_id == person_id,
            )
        )
        if already is not None:
            return await _panel(session, item)
        session.add(
            ExpertAssignment(
                project_id=item.project.id,
                person_id=person_id,
                invited_by_id=actor.person_id,
                invited_at=now,
            )
        )
        audit.record(
            session,
            action="expert_invited",
            actor_id=actor.person_id,
            object_type="goal_version",
            object_id=item.id,
            detail={"expert_id": person_id, "project_id": item.project.id},
        )
        await review_notices.expert_cards(session, item, [person_id], now=now)
        return await _panel(session, item, invited=expert.name)
