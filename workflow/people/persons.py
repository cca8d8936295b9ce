"""Registered people and their roles: who is acting, who is there, taking roles away."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import inbox
from storage.db import Database
from storage.models import AuditEntry, Organisation, Person, Role, RoleAssignment
from storage.types import utcnow
from workflow.core import access, audit
from workflow.core.access import Action, Actor
from workflow.notify.queue import queue_message
from workflow.people import reachability


@dataclass(frozen=True, slots=True)
class RoleHeld:
    """One active role of a person, with the organisation it is tied to."""

    role: Role
    organisation_id: int
    organisation_code: str
    organisation_name: str


@dataclass(frozen=True, slots=True)
class PersonSummary:
    """A person as the administrator sees them."""

    id: int
    name: str
    telegram_username: str | None
    unreachable: bool
    roles: tuple[RoleHeld, ...]


@dataclass(frozen=True, slots=True)
class Profile:
    """What a person sees about themselves."""

    name: str
    roles: tuple[RoleHeld, ...]


@dataclass(frozen=True, slots=True)
class RolesRevoked:
    """The outcome of taking roles away; `person_name` is None when there is no such person."""

    person_name: str | None
    revoked: tuple[RoleHeld, ...] = ()


async def load_actor(
    session: AsyncSession, *, telegram_user_id: int | None = None, person_id: int | None = None
) -> Actor | None:
    """The active person with their roles, by Telegram account or by id; None if none."""
    if (telegram_user_id is None) == (person_id is None):
        raise TypeError("load_actor needs exactly one of telegram_user_id and person_id")
    who = (
        Person.telegram_user_id == telegram_user_id
        if person_id is None
        else Person.id == person_id  # drafts and jobs know people by id
    )
    rows = (
        await session.execute(
            select(
                Person.id,
                Person.name,
                Person.unreachable_since,
                RoleAssignment.role,
                RoleAssignment.organisation_id,
            )
            .join(RoleAssignment, RoleAssignment.person_id == Person.id)
            .where(who, Person.active.is_(True), RoleAssignment.revoked_at.is_(None))
        )
    ).all()
    if not rows:
        return None  # unknown, deactivated, or every role taken away: a stranger again
    person_id, name, unreachable_since = rows[0][0], rows[0][1], rows[0][2]
    roles = frozenset((Role(role), organisation_id) for *_, role, organisation_id in rows)
    return Actor(
        person_id=person_id,
        name=name,
        roles=roles,
        unreachable=unreachable_since is not None,
    )


async def find_actor(db: Database, *, telegram_user_id: int) -> Actor | None:
    """`load_actor` on its own; someone who had blocked the bot and writes again is reachable."""
    async with db.sessions() as session:
        actor = await load_actor(session, telegram_user_id=telegram_user_id)
    if actor is not None and actor.unreachable and actor.person_id is not None:
        # Their queued messages were held back; now they can go out. Not the update's
        # answer: the update stays unclaimed for the write it is really about.
        with inbox.side_write():
            await reachability.mark_reachable(db, person_id=actor.person_id)
        actor = replace(actor, unreachable=False)
    return actor


async def roles_held(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, list[RoleHeld]]:
    """The active roles of several people, by person id, in a stable order."""
    rows = await session.execute(
        select(RoleAssignment.person_id, RoleAssignment.role, Organisation)
        .join(Organisation, Organisation.id == RoleAssignment.organisation_id)
        .where(RoleAssignment.person_id.in_(list(person_ids)), RoleAssignment.revoked_at.is_(None))
        .order_by(RoleAssignment.person_id, Organisation.code, RoleAssignment.role)
    )
    held: dict[int, list[RoleHeld]] = {}
    for person_id, role, org in rows:
        held.setdefault(person_id, []).append(RoleHeld(Role(role), org.id, org.code, org.name))
    return held


async def profile(db: Database, *, actor: Actor) -> Profile:
    """The actor's own name and roles (everyone may see their own)."""
    async with db.sessions() as session:
        if actor.person_id is None:
            return Profile(name=actor.name, roles=())
        held = await roles_held(session, [actor.person_id])
    return Profile(name=actor.name, roles=tuple(held.get(actor.person_id, ())))


async def list_people(
    db: Database,
    *,
    actor: Actor,
    organisation_code: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[PersonSummary]:
    """Everyone with an active role (one page of them when `limit` is given), by name."""
    async with db.sessions() as session:
        await access.authorize(session, actor, Action.VIEW_USERS, object_type="person")
        query = (
            select(Person)
            .where(Person.id.in_(_people_with_roles(organisation_code)))
            .order_by(Person.name, Person.id)
            .offset(offset)
            .limit(limit)
        )
        people = list(await session.scalars(query))
        held = await roles_held(session, [p.id for p in people])
    return [
        PersonSummary(
            id=p.id,
            name=p.name,
            telegram_username=p.telegram_username,
            unreachable=p.unreachable_since is not None,
            roles=tuple(held.get(p.id, ())),
        )
        for p in people
    ]


def _people_with_roles(organisation_code: str | None) -> Any:
    """Ids of active people holding an active role (in one organisation, if named)."""
    query = (
        select(RoleAssignment.person_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .join(Organisation, Organisation.id == RoleAssignment.organisation_id)
        .where(Person.active.is_(True), RoleAssignment.revoked_at.is_(None))
    )
    if organisation_code is not None:
        query = query.where(Organisation.code == organisation_code)
    return query


async def count_people(db: Database, *, actor: Actor, organisation_code: str | None = None) -> int:
    """How many people `list_people` would list in all."""
    async with db.sessions() as session:
        await access.authorize(session, actor, Action.VIEW_USERS, object_type="person")
        return int(
            await session.scalar(
                select(func.count(func.distinct(Person.id))).where(
                    Person.id.in_(_people_with_roles(organisation_code))
                )
            )
            or 0
        )


def _matching(
    held: list[RoleHeld], role: Role | None, organisation_code: str | None
) -> list[RoleHeld]:
    code = organisation_code.upper() if organisation_code else None
    return [
        r
        for r in held
        if (role is None or r.role == role)
        and (code is None or r.organisation_code.upper() == code)
    ]


async def roles_to_revoke(
    db: Database,
    *,
    actor: Actor,
    person_id: int,
    role: Role | None = None,
    organisation_code: str | None = None,
) -> RolesRevoked:
    """What `revoke_roles` would take away, changing nothing (the confirmation shows it)."""
    async with db.transaction() as session:
        await access.authorize(
            session, actor, Action.REVOKE, object_type="person", object_id=person_id
        )
        person = await session.get(Person, person_id)
        if person is None:
            return RolesRevoked(person_name=None)
        held = (await roles_held(session, [person_id])).get(person_id, [])
        return RolesRevoked(person.name, tuple(_matching(held, role, organisation_code)))


async def revoke_roles(
    db: Database,
    *,
    actor: Actor,
    person_id: int,
    role: Role | None = None,
    organisation_code: str | None = None,
    now: dt.datetime | None = None,
) -> RolesRevoked:
    """Take away a person's roles (all, or those matching `role` / `organisation_code`).

    The person is told, in the same transaction (the outbox), which roles they lost.
    """
    now = now or utcnow()
    async with db.transaction() as session:
        await access.authorize(
            session, actor, Action.REVOKE, object_type="person", object_id=person_id
        )
        person = await session.get(Person, person_id)
        if person is None:
            return RolesRevoked(person_name=None)
        held = (await roles_held(session, [person_id])).get(person_id, [])
        matching = _matching(held, role, organisation_code)
        assignments = await session.scalars(
            select(RoleAssignment).where(
                RoleAssignment.person_id == person_id,
                RoleAssignment.revoked_at.is_(None),
                RoleAssignment.organisation_id.in_([r.organisation_id for r in matching]),
                RoleAssignment.role.in_([r.role.value for r in matching]),
            )
        )
        wanted = {(r.role.value, r.organisation_id) for r in matching}
        for assignment in assignments:
            if (assignment.role, assignment.organisation_id) in wanted:
                assignment.revoked_at = now
        if matching:
            audit.record(
                session,
                action="role_revoke",
                actor_id=actor.person_id,
                object_type="person",
                object_id=person_id,
                detail={"roles": [f"{r.role.value}@{r.organisation_code}" for r in matching]},
            )
            left = [r for r in held if r not in matching]
            queue_message(
                session,
                template="roles_revoked_notice",
                person_id=person_id,
                context={
                    "revoked": [_held_context(r) for r in matching],
                    "left": [_held_context(r) for r in left],
                },
            )
    return RolesRevoked(person_name=person.name, revoked=tuple(matching))


STRANGER_AUDITS_PER_HOUR = 20  # beyond this a stranger's attempts are not written down


def _held_context(held: RoleHeld) -> dict[str, str]:
    return {
        "role": held.role.value,
        "organisation_code": held.organisation_code,
        "organisation_name": held.organisation_name,
    }


async def note_stranger(db: Database, *, telegram_user_id: int, attempt: str) -> None:
    """Audit a command or button press by someone not registered (refused at the gate).

    At most STRANGER_AUDITS_PER_HOUR entries per person and hour: someone scripting
    attempts cannot grow the append-only log without bound.
    """
    since = utcnow() - dt.timedelta(hours=1)
    async with db.transaction() as session:
        written = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.telegram_user_id == telegram_user_id, AuditEntry.at >= since)
        )
        if (written or 0) >= STRANGER_AUDITS_PER_HOUR:
            return
        audit.record(
            session,
            action="unregistered",
            telegram_user_id=telegram_user_id,
            allowed=False,
            detail={"attempt": attempt[:64]},
        )


async def note_flood(db: Database, *, telegram_user_id: int) -> None:
    """Audit, once per flood, that someone sent too much too fast and was held back."""
    async with db.transaction() as session:
        audit.record(session, action="flood", telegram_user_id=telegram_user_id, allowed=False)


async def registered_telegram_ids(db: Database) -> set[int]:
    """Telegram ids of everyone holding an active role (the flood limit knows them)."""
    async with db.sessions() as session:
        rows = await session.scalars(
            select(Person.telegram_user_id)
            .join(RoleAssignment, RoleAssignment.person_id == Person.id)
            .where(
                Person.telegram_user_id.is_not(None),
                Person.active.is_(True),
                RoleAssignment.revoked_at.is_(None),
            )
            .distinct()
        )
        return {int(value) for value in rows.all()}
