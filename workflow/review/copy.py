"""抄送 and the people a reviewer may pick: copies to chosen people, colleagues to transfer to.

A copy is a read-only notice through the outbox to someone who may view the item (its
organisation's people, its reviewers), once per person and item state: the notice's dedupe
key makes a double press a no-op, and the copy is kept on the timeline and audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Person, ReviewDecision, ReviewStage
from storage.types import utcnow
from workflow.core.access import Action, Actor
from workflow.notify.queue import queue_message
from workflow.review import notices as review_notices
from workflow.review.handover import colleagues
from workflow.review.kinds import kind_named, load_item
from workflow.review.people import acting_role, people_who_may, review_scope
from workflow.review.records import Outcome, ReviewResult, allowed, record_side_step

PICKER_LIMIT = 20  # people offered on one picker


@dataclass(frozen=True, slots=True)
class Candidates:
    """Who may be picked, by id and name; `outcome` says why there is nobody."""

    outcome: Outcome
    people: list[tuple[int, str]] = field(default_factory=list)
    project_name: str = ""


async def _names(session: AsyncSession, ids: list[int]) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(Person.id, Person.name).where(Person.id.in_(ids), Person.active.is_(True))
    )
    return sorted(((pid, name) for pid, name in rows), key=lambda row: row[0])[:PICKER_LIMIT]


async def copy_candidates(db: Database, *, actor: Actor, kind: str, item_id: int) -> Candidates:
    """Everyone but `actor` who may view the item (the copy reaches only them)."""
    async with db.transaction() as session:
        item = await load_item(session, kind_named(kind), item_id)
        if item is None:
            return Candidates(Outcome.not_found)
        scope = await review_scope(session, item.project)
        if not await allowed(session, actor, Action.VIEW_PROJECT, item, scope):
            return Candidates(Outcome.denied)
        viewers = await people_who_may(session, Action.VIEW_PROJECT, scope)
        ids = [pid for pid in viewers if pid != actor.person_id]
        return Candidates(Outcome.moved, await _names(session, ids), item.project.name)


async def transfer_candidates(db: Database, *, actor: Actor, kind: str, item_id: int) -> Candidates:
    """The colleagues holding `actor`'s reviewing role in the same organisation."""
    async with db.transaction() as session:
        item = await load_item(session, kind_named(kind), item_id)
        if item is None or item.row.status != item.kind.statuses.waiting or not item.row.stage:
            return Candidates(Outcome.not_found)
        scope = await review_scope(session, item.project)
        acting = acting_role(actor, item.kind.action_at(ReviewStage(item.row.stage)), scope)
        if acting is None:
            return Candidates(Outcome.denied)
        role, organisation_id = acting
        named = await colleagues(session, role.value, organisation_id)
        people = [(pid, name) for pid, name in sorted(named.items()) if pid != actor.person_id]
        return Candidates(Outcome.moved, people[:PICKER_LIMIT], item.project.name)


async def copy_to(
    db: Database,
    *,
    actor: Actor,
    kind: str,
    item_id: int,
    person_id: int,
    now: dt.datetime | None = None,
) -> ReviewResult:
    """抄送 the item as it stands to `person_id`, once per item state."""
    now = now or utcnow()
    async with db.transaction() as session:
        item = await load_item(session, kind_named(kind), item_id)
        if item is None:
            return ReviewResult(Outcome.not_found, kind=kind)
        scope = await review_scope(session, item.project)
        if not await allowed(session, actor, Action.VIEW_PROJECT, item, scope):
            return ReviewResult(Outcome.denied, kind=kind)
        viewers = await people_who_may(session, Action.VIEW_PROJECT, scope)
        name = await session.scalar(select(Person.name).where(Person.id == person_id))
        if person_id not in viewers or person_id == actor.person_id or name is None:
            return ReviewResult(Outcome.denied, kind=kind)
        version = item.row.version
        ref = item.kind.ref(item.id)
        try:
            async with session.begin_nested():
                queue_message(
                    session,
                    template="review_copy",
                    context={
                        "item": await item.kind.describe(session, item),
                        "kind": item.kind.name,
                        "by": actor.name,
                        "stage": item.row.stage,
                        "status": item.row.status,
                        "at": review_notices.local_time(now),
                    },
                    person_id=person_id,
                    buttons=[review_notices.viewer_buttons(item.kind.name, item.id, version)],
                    dedupe_key=f"rv:copy:{ref}:{version}:{person_id}",
                )
        except IntegrityError:  # copied to them already (a double press)
            return ReviewResult(
                Outcome.already_handled, item.id, item.project.name, decision="copy", kind=kind
            )
        record_side_step(
            session,
            item,
            decision=ReviewDecision.copy,
            actor=actor,
            now=now,
            detail={"to": person_id},
            comment=name,
        )
        return ReviewResult(
            Outcome.moved,
            item.id,
            item.project.name,
            decision=ReviewDecision.copy.value,
            stage=item.row.stage,
            version=version,
            kind=kind,
        )
