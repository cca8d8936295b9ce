"""The review chain of a goal version, as rules: stages, transitions, who acts, the timeline.

The chain (DOMAIN §2) is derived from the project:

    department        head → business → performance → budget
    unit              head → supervisor (its department) → business → performance → budget
    shared project    lead (the lead department's head, who declares for all) → … as above
    key project       the same; experts give opinions while it waits at the performance
                      stage, and the performance section decides only once one is in

After the budget section approves, the version waits at the `issuance` stage until the
budget section issues the year's goals (`workflow.goals.issuance`).

A return sends the version back to its staff with a required reason; `stage` keeps the
stage that returned it, and resubmission re-enters the chain there. Earlier approvals stay
on the timeline and are not asked again: the reviewers before the returning stage approved
content the returning stage did not object to, and the notice asks only that each step
approve or return (a stated choice; `reenter_at` is the one place to change it).

Exactly once: every transition is one conditional
`UPDATE goal_version … WHERE id = :id AND version = :version AND stage = :stage`. When two
presses race, the database lets exactly one row change through; the other press sees no row
changed and is told who handled the item (from the newest `review_step`). Every transition
writes its `review_step` (append-only), its audit entry and its notifications in the same
transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    GoalVersion,
    GoalVersionStatus,
    Organisation,
    OrgKind,
    Project,
    ProjectStatus,
    ReviewDecision,
    ReviewStage,
)
from storage.types import utcnow
from workflow.core import audit
from workflow.core.access import REVIEW_ACTIONS, Action, Actor, Scope
from workflow.review import notices as review_notices
from workflow.review.experts import give_opinion, give_opinion_in_session
from workflow.review.people import acting_role, review_scope
from workflow.review.records import (
    REVIEWABLE,
    Handled,
    Item,
    Outcome,
    ReviewResult,
    allowed,
    latest_step,
    load_item,
    move_stage,
    new_step,
    result_of,
    round_opinions,
    set_project_status,
    stale_result,
)

__all__ = [
    "Handled",
    "Item",
    "Outcome",
    "ReviewResult",
    "decide",
    "decide_in_session",
    "enter_chain",
    "give_opinion",
    "give_opinion_in_session",
    "load_item",
    "may_decide",
    "needs_experts",
    "reenter_at",
    "stage_after",
    "stages_for",
]


def stages_for(project: Project, organisation: Organisation) -> tuple[ReviewStage, ...]:
    """The stages a goal version of `project` passes, in order."""
    chain = [ReviewStage.lead if project.is_shared else ReviewStage.head]
    if organisation.kind == OrgKind.unit.value:
        chain.append(ReviewStage.supervisor)
    chain += [ReviewStage.business, ReviewStage.performance, ReviewStage.budget]
    return tuple(chain)


def needs_experts(project: Project) -> bool:
    """Key projects collect expert opinions at the performance stage."""
    return project.is_key


def stage_after(chain: tuple[ReviewStage, ...], stage: ReviewStage) -> ReviewStage | None:
    """The next stage of the chain, or None after the last."""
    position = chain.index(stage)
    return chain[position + 1] if position + 1 < len(chain) else None


def reenter_at(chain: tuple[ReviewStage, ...], version: GoalVersion) -> ReviewStage:
    """Where a (re)submitted version enters: the stage that returned it, else the first."""
    if version.status == GoalVersionStatus.returned.value and version.stage in chain:
        return ReviewStage(version.stage)
    return chain[0]


async def enter_chain(
    session: AsyncSession, *, actor: Actor, goal_version_id: int, now: dt.datetime
) -> ReviewResult:
    """Hand a draft or returned version to the chain, inside the caller's transaction.

    The caller (`workflow.goals.declaration.submit_goal`) has authorized the submission;
    this writes the transition, the `submit` step and the first stage's reviewer cards.
    """
    item = await load_item(session, goal_version_id)
    if item is None:
        return ReviewResult(Outcome.not_found)
    if item.version.status not in REVIEWABLE:
        return ReviewResult(
            Outcome.not_submittable,
            item.id,
            item.project.name,
            handled=await latest_step(session, item.id),
        )
    chain = stages_for(item.project, item.organisation)
    resubmitted = item.version.status == GoalVersionStatus.returned.value
    stage = reenter_at(chain, item.version)
    moved = await move_stage(
        session,
        item,
        expected_version=item.version.version,
        from_stage=item.version.stage,
        to_stage=stage.value,
        status=GoalVersionStatus.in_review,
        now=now,
        submitted_by_id=actor.person_id,
        submitted_at=now,
    )
    if not moved:
        return ReviewResult(
            Outcome.already_handled,
            item.id,
            item.project.name,
            handled=await latest_step(session, item.id),
        )
    session.add(
        new_step(
            item,
            stage=stage.value,
            decision=ReviewDecision.submit,
            actor=actor,
            acting=None,
            comment=None,
            now=now,
        )
    )
    await set_project_status(session, item, ProjectStatus.in_review, now)
    audit.record(
        session,
        action="goal_submitted",
        actor_id=actor.person_id,
        object_type="goal_version",
        object_id=item.id,
        detail={"stage": stage.value, "resubmitted": resubmitted},
    )
    await review_notices.stage_reached(session, item, stage, now=now)
    return result_of(item, Outcome.moved, ReviewDecision.submit, stage.value)


async def decide(
    db: Database,
    *,
    actor: Actor,
    goal_version_id: int,
    expected_version: int,
    decision: ReviewDecision,
    comment: str | None = None,
    now: dt.datetime | None = None,
) -> ReviewResult:
    """Approve or return the version at the stage it waits at, exactly once."""
    now = now or utcnow()
    async with db.transaction() as session:
        return await decide_in_session(
            session,
            actor=actor,
            goal_version_id=goal_version_id,
            expected_version=expected_version,
            decision=decision,
            comment=comment,
            now=now,
        )


async def _ready(
    session: AsyncSession, actor: Actor, goal_version_id: int, expected_version: int
) -> tuple[Item, Scope, ReviewStage] | ReviewResult:
    """The item, its scope and stage when `actor` may decide on it now; else why not."""
    item = await load_item(session, goal_version_id)
    if item is None:
        return ReviewResult(Outcome.not_found)
    scope = await review_scope(session, item.project)
    waiting = item.version.status == GoalVersionStatus.in_review.value
    if not waiting or item.version.version != expected_version or item.version.stage is None:
        return await stale_result(session, actor, item, scope, Action.VIEW_PROJECT)
    stage = ReviewStage(item.version.stage)
    if not await allowed(session, actor, REVIEW_ACTIONS[stage], item, scope):
        return ReviewResult(Outcome.denied)
    return item, scope, stage


async def may_decide(
    session: AsyncSession, *, actor: Actor, goal_version_id: int, expected_version: int
) -> ReviewResult:
    """Whether `actor` may decide on this state of the item now (before asking a reason)."""
    ready = await _ready(session, actor, goal_version_id, expected_version)
    if isinstance(ready, ReviewResult):
        return ready
    item, _scope, stage = ready
    return result_of(item, Outcome.moved, ReviewDecision.comment, stage.value)


async def decide_in_session(
    session: AsyncSession,
    *,
    actor: Actor,
    goal_version_id: int,
    expected_version: int,
    decision: ReviewDecision,
    comment: str | None,
    now: dt.datetime,
) -> ReviewResult:
    """`decide` inside the caller's transaction (the return-reason form submits through it)."""
    if decision not in (ReviewDecision.approve, ReviewDecision.return_):
        raise ValueError(f"not a review decision: {decision}")
    ready = await _ready(session, actor, goal_version_id, expected_version)
    if isinstance(ready, ReviewResult):
        return ready
    item, scope, stage = ready
    action = REVIEW_ACTIONS[stage]
    comment = (comment or "").strip() or None
    if decision is ReviewDecision.return_ and comment is None:
        return ReviewResult(Outcome.reason_required, item.id, item.project.name)
    if (
        decision is ReviewDecision.approve
        and stage is ReviewStage.performance
        and needs_experts(item.project)
        and not await round_opinions(session, item.id)
    ):
        return ReviewResult(Outcome.awaiting_experts, item.id, item.project.name)
    chain = stages_for(item.project, item.organisation)
    if decision is ReviewDecision.approve:
        following = stage_after(chain, stage)
        to_stage = following or ReviewStage.issuance
        status = GoalVersionStatus.in_review if following else GoalVersionStatus.approved
        project_status = ProjectStatus.in_review if following else ProjectStatus.approved
    else:
        to_stage, status, project_status = stage, GoalVersionStatus.returned, ProjectStatus.returned
    moved = await move_stage(
        session,
        item,
        expected_version=expected_version,
        from_stage=stage.value,
        to_stage=to_stage.value,
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
    await set_project_status(session, item, project_status, now)
    audit.record(
        session,
        action=action.value,
        actor_id=actor.person_id,
        object_type="goal_version",
        object_id=item.id,
        detail={"decision": decision.value, "stage": stage.value},
    )
    await review_notices.decided(
        session, item, actor=actor, stage=stage, decision=decision, comment=comment, now=now
    )
    settled = review_notices.settled_context(
        actor=actor,
        decision=decision,
        stage=stage.value,
        now=now,
        status=status.value,
        next_stage=to_stage.value,
    )
    await review_notices.close_cards(session, item.id, expected_version, settled=settled)
    if status is GoalVersionStatus.in_review:
        await review_notices.stage_reached(session, item, to_stage, now=now)
    return result_of(item, Outcome.moved, decision, stage.value)
