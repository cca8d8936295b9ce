"""批量通过: the performance and budget sections tick items, then approve them with one comment.

The ticks live in `batch_selection`, one row per item, written as each is pressed: two quick
ticks are two rows and never undo each other (kept in the message's keyboard, the second
edit would overwrite the first). Checking and unchecking are separate, idempotent presses,
so a double tap leaves what was meant. A tick remembers the row version the checklist
showed: the batch decides exactly that state, or skips the item if it moved on. Confirming
opens the comment form (`workflow.review.forms.start_batch`) with the ticked items; its
submit approves them and clears the ticks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import BatchSelection, Project
from workflow.core.access import Actor
from workflow.review import chain as review
from workflow.review import todo as review_todo
from workflow.review.kinds import GOAL, kind_named, registered
from workflow.review.records import Handled, Outcome

CHECKLIST_SIZE = 20  # items on a checklist (one button each); 全选 ticks those it shows


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """An item the person may approve in a batch, ticked or not."""

    kind: str
    item_id: int
    version: int
    project: str
    checked: bool


@dataclass(frozen=True, slots=True)
class Checklist:
    """The person's batchable items as they stand, or why a tick was refused."""

    outcome: Outcome
    items: list[ChecklistItem] = field(default_factory=list)
    handled: Handled | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.moved


async def ticked(session: AsyncSession, person_id: int) -> list[tuple[str, int, int, str]]:
    """The person's ticked items: (kind, item id, row version seen, project name)."""
    found = []
    for kind in registered():
        table = kind.table
        rows = await session.execute(
            select(
                BatchSelection.item_kind,
                BatchSelection.item_id,
                BatchSelection.version,
                Project.name,
                BatchSelection.created_at,
            )
            .join(table, table.id == BatchSelection.item_id)
            .join(Project, Project.id == table.project_id)
            .where(BatchSelection.person_id == person_id, BatchSelection.item_kind == kind.name)
        )
        found += list(rows)
    found.sort(key=lambda row: (row[4], row[0] != GOAL, row[1]))
    return [(kind, item_id, version, name) for kind, item_id, version, name, _ in found]


async def clear(session: AsyncSession, person_id: int) -> None:
    """Forget the person's ticks (a new checklist, or the batch went through)."""
    await session.execute(delete(BatchSelection).where(BatchSelection.person_id == person_id))


async def _checklist(db: Database, actor: Actor, now: dt.datetime) -> Checklist:
    """The batchable items of the person's /todo (as many as a checklist shows), ticked or not."""
    assert actor.person_id is not None
    items = await review_todo.batchable(db, actor=actor, now=now, limit=CHECKLIST_SIZE)
    async with db.sessions() as session:
        chosen = {(k, i, v) for k, i, v, _ in await ticked(session, actor.person_id)}
    return Checklist(
        Outcome.moved,
        [
            ChecklistItem(
                i.kind, i.item_id, i.version, i.project, (i.kind, i.item_id, i.version) in chosen
            )
            for i in items
        ],
    )


async def open_checklist(db: Database, *, actor: Actor, now: dt.datetime) -> Checklist:
    """批量通过 pressed: a fresh checklist, nothing ticked."""
    assert actor.person_id is not None
    async with db.transaction() as session:
        await clear(session, actor.person_id)
    return await _checklist(db, actor, now)


async def tick(
    db: Database,
    *,
    actor: Actor,
    kind: str,
    item_id: int,
    version: int,
    checked: bool,
    now: dt.datetime,
) -> Checklist:
    """Tick (or untick) one item the person may approve now; the checklist after it."""
    assert actor.person_id is not None
    try:
        async with db.transaction() as session:
            check = await review.may_decide_on(
                session, actor=actor, kind=kind, item_id=item_id, expected_version=version
            )
            if not check.ok:
                return Checklist(check.outcome, handled=check.handled)
            if check.stage not in kind_named(kind).batch_stages:  # performance and budget
                return Checklist(Outcome.denied)
            await session.execute(
                delete(BatchSelection).where(
                    BatchSelection.person_id == actor.person_id,
                    BatchSelection.item_kind == kind,
                    BatchSelection.item_id == item_id,
                )
            )
            if checked:
                session.add(
                    BatchSelection(
                        person_id=actor.person_id,
                        item_kind=kind,
                        item_id=item_id,
                        version=version,
                        created_at=now,
                    )
                )
    except IntegrityError:  # the same tick pressed twice at the same moment: it is ticked
        pass
    return await _checklist(db, actor, now)


async def tick_all(db: Database, *, actor: Actor, now: dt.datetime) -> Checklist:
    """全选: tick every item of the checklist the person may approve in a batch now."""
    assert actor.person_id is not None
    listed = await _checklist(db, actor, now)
    try:
        async with db.transaction() as session:
            await clear(session, actor.person_id)
            for item in listed.items:
                session.add(
                    BatchSelection(
                        person_id=actor.person_id,
                        item_kind=item.kind,
                        item_id=item.item_id,
                        version=item.version,
                        created_at=now,
                    )
                )
    except IntegrityError:  # 全选 pressed twice at the same moment: everything is ticked
        pass
    return await _checklist(db, actor, now)
