"""前置条件 (notice 第六部分): last year's results and their rectification are a precondition of
goal review. A continuing project whose predecessor still has a rectification open may be
approved at a stage only after a reviewer there acknowledged it (☑️ on the card), so nobody
approves without having seen it. The acknowledgement is kept in the audit log, per item
version and stage: a resubmission or the next stage asks again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import AuditEntry, ReviewStage
from workflow.core import audit
from workflow.core.access import Actor
from workflow.evaluation.prior import prior_result
from workflow.review.kinds import GOAL, Item, kind_named, load_item
from workflow.review.records import Outcome

ACKNOWLEDGED = "precondition_acknowledged"


async def open_rectifications(session: AsyncSession, item: Item) -> int:
    """How many rectifications of last year's project are still open (0 for a new one)."""
    if item.kind.name != GOAL:
        return 0
    prior = await prior_result(session, item.project.id or 0)
    return int(prior["open_rectifications"]) if prior else 0


async def acknowledged(session: AsyncSession, item: Item, stage: ReviewStage | str) -> bool:
    """Whether a reviewer at `stage` acknowledged the open rectification of this version."""
    entries = await session.scalars(
        select(AuditEntry.detail).where(
            AuditEntry.action == ACKNOWLEDGED,
            AuditEntry.object_type == item.kind.name,
            AuditEntry.object_id == item.id,
        )
    )
    wanted = {"stage": str(getattr(stage, "value", stage)), "version": item.row.version}
    return any(detail and {key: detail.get(key) for key in wanted} == wanted for detail in entries)


async def precondition_check(session: AsyncSession, item: Item, stage: ReviewStage) -> str | None:
    """An approval's refusal while last year's open rectification is unacknowledged here."""
    if await open_rectifications(session, item) and not await acknowledged(session, item, stage):
        return Outcome.precondition_unacknowledged.value
    return None


async def acknowledge(
    db: Database, *, actor: Actor, item_id: int, version: int, now: dt.datetime
) -> str:
    """☑️ pressed: 'acknowledged', 'not_needed', or a review outcome refusing the press."""
    from workflow.review import chain  # the machine's readiness check, at call time

    async with db.transaction() as session:
        ready = await chain.may_decide_on(
            session, actor=actor, kind=GOAL, item_id=item_id, expected_version=version
        )
        if not ready.ok:
            return ready.outcome.value
        item = await load_item(session, kind_named(GOAL), item_id)
        if item is None or not await open_rectifications(session, item):
            return "not_needed"
        audit.record(
            session,
            action=ACKNOWLEDGED,
            actor_id=actor.person_id,
            object_type=GOAL,
            object_id=item_id,
            detail={"stage": item.row.stage, "version": version, "at": now.isoformat()},
        )
        return "acknowledged"
