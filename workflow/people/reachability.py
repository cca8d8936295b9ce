"""Who the bot can reach: a person who blocked it is unreachable until they write again.

While a person is unreachable their messages stay pending and unclaimed (see
`workflow.notify.outbox.claim_due`), and the administrators hear of it once per episode: the
moment the person became unreachable is part of the notice's dedupe key, so blocking the
bot again after coming back tells them again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Person, RoleAssignment
from storage.models.enums import Role
from workflow.core import audit
from workflow.notify.queue import queue_for_people

PERSON_UNREACHABLE_TEMPLATE = "person_unreachable"


async def mark_unreachable(
    session: AsyncSession, *, person_id: int, now: dt.datetime, reason: str
) -> bool:
    """Telegram refused the person (Forbidden); True when this began an episode and the
    administrators were told, in the caller's transaction."""
    became = await session.execute(
        update(Person)
        .where(Person.id == person_id, Person.unreachable_since.is_(None))
        .values(unreachable_since=now)
        .execution_options(synchronize_session=False)
    )
    if became.rowcount != 1:  # already known: the admins were told then
        return False
    name = await session.scalar(select(Person.name).where(Person.id == person_id))
    queue_for_people(
        session,
        await admin_ids(session, excluding=person_id),
        template=PERSON_UNREACHABLE_TEMPLATE,
        context={"name": name, "reason": reason},
        dedupe_prefix=f"unreachable:{person_id}:{now:%Y%m%dT%H%M%S.%f}",
    )
    audit.record(
        session,
        action="person_unreachable",
        object_type="person",
        object_id=person_id,
        detail={"reason": reason},
    )
    return True


async def mark_reachable(db: Database, *, person_id: int) -> bool:
    """The person is back (e.g. sent /start again): their waiting messages go out."""
    async with db.transaction() as session:
        result = await session.execute(
            update(Person)
            .where(Person.id == person_id, Person.unreachable_since.is_not(None))
            .values(unreachable_since=None)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


async def admin_ids(session: AsyncSession, *, excluding: int | None = None) -> list[int]:
    """Active people holding the admin role (an unrevoked assignment), in id order."""
    query = (
        select(Person.id)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(
            RoleAssignment.role == Role.admin.value,
            RoleAssignment.revoked_at.is_(None),
            Person.active.is_(True),
        )
        .distinct()
        .order_by(Person.id)
    )
    if excluding is not None:
        query = query.where(Person.id != excluding)
    return list((await session.scalars(query)).all())
