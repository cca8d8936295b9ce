"""The review chain's records: items, the timeline, and the one conditional transition.

`move_stage` is the exactly-once primitive: `UPDATE <kind's table> … WHERE id = :id AND
version = :version AND stage = :stage`, True only for the caller whose row changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import GoalVersionStatus, Person, ReviewDecision, ReviewStep
from workflow.core import access, audit
from workflow.core.access import AccessDenied, Action, Actor, Scope
from workflow.review.kinds import GOAL, Item, kind_named, load_item
from workflow.review.people import may_follow

EXPERT_DECISIONS = (
    ReviewDecision.expert_agree,
    ReviewDecision.expert_agree_with_changes,
    ReviewDecision.expert_disagree,
)
# Steps that move nothing and decide nothing: a reviewer has not acted because of them.
PASSIVE = (ReviewDecision.nudge, ReviewDecision.copy, ReviewDecision.take_over)
REVIEWABLE = (GoalVersionStatus.draft.value, GoalVersionStatus.returned.value)


class Outcome(StrEnum):
    """What a press or a submission came to."""

    moved = "moved"  # the transition happened (or the opinion was recorded)
    already_handled = "already_handled"  # someone acted first: `handled` says who
    denied = "denied"  # not this person's to do (audited; reveal nothing)
    not_found = "not_found"
    reason_required = "reason_required"  # a return without a reason
    awaiting_experts = "awaiting_experts"  # a key project without an expert opinion yet
    precondition_unacknowledged = "precondition_unacknowledged"  # last year's rectification open
    not_submittable = "not_submittable"  # only drafts and returned versions are submitted
    nudged_today = "nudged_today"  # 催办 once per working day: `handled` says by whom
    awaiting_cosign = "awaiting_cosign"  # 加签: someone added at the stage has not signed
    edit_held = "edit_held"  # someone else holds the edit of the returned item: `handled`


@dataclass(frozen=True, slots=True)
class Handled:
    """The newest step of an item's timeline: who moved it last."""

    by: str | None
    decision: str
    stage: str | None
    at: dt.datetime
    yours: bool = False  # the person asking did it (a double press): "您已处理"


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """The outcome of one review action, with what the bot needs to say it."""

    outcome: Outcome
    item_id: int | None = None
    project_name: str | None = None
    decision: str | None = None
    stage: str | None = None  # the stage the decision was taken at
    next_stage: str | None = None  # where the item waits now
    status: str | None = None
    version: int | None = None  # the row version after the transition
    handled: Handled | None = None
    kind: str = GOAL

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.moved

    @property
    def goal_version_id(self) -> int | None:
        """The item's id (named for the goal reviews that read it so)."""
        return self.item_id


async def load_goal(session: AsyncSession, goal_version_id: int) -> Item | None:
    """The goal version as a review item; None when there is no such version."""
    return await load_item(session, kind_named(GOAL), goal_version_id)


async def latest_step(
    session: AsyncSession, kind: str, item_id: int, *, asking: Actor | None = None
) -> Handled | None:
    """Who did the newest thing to the item (expert opinions do not move it: skipped);
    `yours` when that was `asking`."""
    row = (
        await session.execute(
            select(ReviewStep, Person.name)
            .outerjoin(Person, Person.id == ReviewStep.actor_id)
            .where(
                ReviewStep.item_kind == kind,
                ReviewStep.item_id == item_id,
                ReviewStep.decision.not_in([d.value for d in (*EXPERT_DECISIONS, *PASSIVE)]),
            )
            .order_by(ReviewStep.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    step, name = row
    yours = asking is not None and step.actor_id is not None and step.actor_id == asking.person_id
    return Handled(name, step.decision, step.stage, step.created_at, yours)


async def round_opinions(session: AsyncSession, goal_version_id: int) -> list[ReviewStep]:
    """Expert opinions given since the version was last submitted."""
    last_submit = await session.scalar(
        select(ReviewStep.id)
        .where(
            ReviewStep.item_kind == GOAL,
            ReviewStep.item_id == goal_version_id,
            ReviewStep.decision == ReviewDecision.submit.value,
        )
        .order_by(ReviewStep.id.desc())
        .limit(1)
    )
    return list(
        await session.scalars(
            select(ReviewStep)
            .where(
                ReviewStep.item_kind == GOAL,
                ReviewStep.item_id == goal_version_id,
                ReviewStep.id > (last_submit or 0),
                ReviewStep.decision.in_([d.value for d in EXPERT_DECISIONS]),
            )
            .order_by(ReviewStep.id)
        )
    )


async def move_stage(
    session: AsyncSession,
    item: Item,
    *,
    expected_version: int,
    from_stage: str | None,
    to_stage: str | None,
    status: str,
    now: dt.datetime,
    entered: dt.datetime | None = None,
    **extra: object,
) -> bool:
    """The conditional update: True when this caller's transition is the one that happened.

    The stage counts as entered `now`, unless `entered` keeps an earlier moment (转交).
    """
    table = item.kind.table.__table__
    stage_matches = table.c.stage.is_(None) if from_stage is None else table.c.stage == from_stage
    result = await session.execute(
        update(table)
        .where(table.c.id == item.id, table.c.version == expected_version, stage_matches)
        .values(
            stage=to_stage,
            status=status,
            version=expected_version + 1,
            stage_entered_at=entered or now,
            **_touched(table, now),
            **extra,
        )
    )
    if result.rowcount != 1:
        return False
    # Mirror the row on the loaded object without marking it dirty (no second UPDATE).
    written = {
        "stage": to_stage,
        "status": status,
        "version": expected_version + 1,
        "stage_entered_at": entered or now,
        **_touched(table, now),
        **extra,
    }
    for name, value in written.items():
        set_committed_value(item.row, name, value)
    return True


def _touched(table: Any, now: dt.datetime) -> dict[str, dt.datetime]:
    """`updated_at`, for the tables that keep one."""
    return {"updated_at": now} if "updated_at" in table.c else {}


def new_step(
    item: Item,
    *,
    stage: str | None,
    decision: ReviewDecision,
    actor: Actor,
    acting: tuple[object, int] | None,
    comment: str | None,
    now: dt.datetime,
) -> ReviewStep:
    role, organisation_id = acting if acting else (None, None)
    return ReviewStep(
        item_kind=item.kind.name,
        item_id=item.id,
        stage=stage,
        decision=decision.value,
        actor_id=actor.person_id,
        role=str(role) if role else None,
        organisation_id=organisation_id,
        comment=comment,
        created_at=now,
    )


def record_side_step(
    session: AsyncSession,
    item: Item,
    *,
    decision: ReviewDecision,
    actor: Actor,
    now: dt.datetime,
    detail: dict[str, Any],
    stage: str | None = None,
    comment: str | None = None,
) -> None:
    """A step that leaves the item where it is (催办, 抄送, 会签, 接手): on the timeline and
    in the audit log (`review_<decision>`)."""
    session.add(
        new_step(
            item,
            stage=stage or item.row.stage,
            decision=decision,
            actor=actor,
            acting=None,
            comment=comment,
            now=now,
        )
    )
    audit.record(
        session,
        action=f"review_{decision.value}",
        actor_id=actor.person_id,
        object_type=item.kind.name,
        object_id=item.id,
        detail=detail,
    )


def result_of(
    item: Item, outcome: Outcome, decision: ReviewDecision, stage: str | None
) -> ReviewResult:
    return ReviewResult(
        outcome,
        item_id=item.id,
        project_name=item.project.name,
        decision=decision.value,
        stage=stage,
        next_stage=item.row.stage,
        status=item.row.status,
        version=item.row.version,
        kind=item.kind.name,
    )


async def allowed(
    session: AsyncSession, actor: Actor, action: Action, item: Item, scope: Scope
) -> bool:
    """`access.authorize` on the item: True, or False with the refusal audited."""
    try:
        await access.authorize(
            session, actor, action, scope=scope, object_type=item.kind.name, object_id=item.id
        )
    except AccessDenied:
        return False
    return True


async def stale_result(
    session: AsyncSession, actor: Actor, item: Item, scope: Scope, action: Action
) -> ReviewResult:
    """A press on an old card: say who handled it, or refuse a stranger without a word."""
    if not may_follow(actor, scope) and not await allowed(session, actor, action, item, scope):
        return ReviewResult(Outcome.denied)  # refused for certain; the refusal is audited
    return ReviewResult(
        Outcome.already_handled,
        item.id,
        item.project.name,
        next_stage=item.row.stage,
        status=item.row.status,
        version=item.row.version,
        handled=await latest_step(session, item.kind.name, item.id, asking=actor),
        kind=item.kind.name,
    )
