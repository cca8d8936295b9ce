"""Registration: `/start <token>` binds a Telegram account and grants the invited role.

Redeeming finds the person already bound to that account, or creates them, and gives them
the invitation's role. A malformed, unknown, used, expired or revoked token changes nothing
but an audit entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Invitation, Organisation, Person, Role, RoleAssignment
from storage.types import utcnow
from workflow.core import audit
from workflow.notify import queue as notify
from workflow.people.invitations import TOKEN_PATTERN, hash_token
from workflow.people.persons import RoleHeld, roles_held


class RedeemStatus(StrEnum):
    """What `/start <token>` did."""

    registered = "registered"  # a new person
    role_added = "role_added"  # a registered person gained a role
    role_already_held = "role_already_held"
    malformed = "malformed"
    unknown = "unknown"
    used = "used"
    expired = "expired"
    revoked = "revoked"


@dataclass(frozen=True, slots=True)
class Redeemed:
    """The outcome of redeeming a token; person fields are empty when nothing changed."""

    status: RedeemStatus
    person_id: int | None = None
    name: str | None = None
    role: Role | None = None
    organisation_name: str | None = None
    roles: tuple[RoleHeld, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the person is now registered with the invitation's role."""
        return self.status in _OK


_OK = frozenset({RedeemStatus.registered, RedeemStatus.role_added, RedeemStatus.role_already_held})


async def redeem_invitation(
    db: Database,
    *,
    token: str,
    telegram_user_id: int,
    telegram_name: str,
    telegram_username: str | None = None,
    now: dt.datetime | None = None,
) -> Redeemed:
    """Bind the Telegram account and grant the invited role; anything wrong changes nothing."""
    now = now or utcnow()
    if not TOKEN_PATTERN.fullmatch(token):
        return await _refused(db, RedeemStatus.malformed, telegram_user_id, None)
    async with db.transaction() as session:
        invitation = await session.scalar(
            select(Invitation).where(Invitation.token_hash == hash_token(token))
        )
        if invitation is None:
            status = RedeemStatus.unknown
        elif not await _claim(session, invitation, now):
            status = _why_unusable(invitation, now)
        else:
            return await _grant(
                session, invitation, telegram_user_id, telegram_name, telegram_username, now
            )
    return await _refused(db, status, telegram_user_id, invitation)


async def _claim(session: AsyncSession, invitation: Invitation, now: dt.datetime) -> bool:
    """Mark the invitation used unless it already is; only one of two racing claims wins."""
    claimed = await session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        await session.refresh(invitation)
        return False
    return True


def _why_unusable(invitation: Invitation, now: dt.datetime) -> RedeemStatus:
    """The reason an existing invitation cannot be claimed."""
    if invitation.revoked_at is not None:
        return RedeemStatus.revoked
    if invitation.used_at is not None:
        return RedeemStatus.used
    return RedeemStatus.expired


async def _grant(
    session: AsyncSession,
    invitation: Invitation,
    telegram_user_id: int,
    telegram_name: str,
    telegram_username: str | None,
    now: dt.datetime,
) -> Redeemed:
    """Find or create the person, give them the role, and remember who used the token."""
    person = await session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))
    status = RedeemStatus.role_added
    if person is None:
        status = RedeemStatus.registered
        person = Person(
            name=invitation.name or telegram_name or str(telegram_user_id),
            telegram_user_id=telegram_user_id,
            created_at=now,
        )
        session.add(person)
    person.telegram_username = telegram_username
    person.active = True
    person.unreachable_since = None
    await session.flush()
    assignment = await session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.role == invitation.role,
            RoleAssignment.organisation_id == invitation.organisation_id,
        )
    )
    if assignment is None:
        session.add(
            RoleAssignment(
                person_id=person.id,
                role=invitation.role,
                organisation_id=invitation.organisation_id,
                granted_by_id=invitation.created_by_id,
                created_at=now,
            )
        )
    elif assignment.revoked_at is None:
        status = RedeemStatus.role_already_held
    else:
        assignment.revoked_at = None  # given back by a new invitation
        assignment.granted_by_id = invitation.created_by_id
    invitation.used_by_id = person.id
    await session.flush()
    organisation = await session.get(Organisation, invitation.organisation_id)
    audit.record(
        session,
        action="register",
        actor_id=person.id,
        telegram_user_id=telegram_user_id,
        object_type="invitation",
        object_id=invitation.id,
        detail={"status": status.value, "role": invitation.role, "organisation": organisation.code},
    )
    _tell_inviter(session, invitation, person, organisation)
    held = (await roles_held(session, [person.id])).get(person.id, [])
    return Redeemed(
        status=status,
        person_id=person.id,
        name=person.name,
        role=Role(invitation.role),
        organisation_name=organisation.name,
        roles=tuple(held),
    )


def _tell_inviter(
    session: AsyncSession, invitation: Invitation, person: Person, organisation: Organisation
) -> None:
    """Let the administrator who invited know the invitation was used."""
    if invitation.created_by_id is None or invitation.created_by_id == person.id:
        return
    notify.queue_message(
        session,
        template="invitation_used",
        context={
            "name": person.name,
            "role": invitation.role,
            "organisation": organisation.name,
        },
        person_id=invitation.created_by_id,
        dedupe_key=f"invitation_used:{invitation.id}",
    )


async def _refused(
    db: Database, status: RedeemStatus, telegram_user_id: int, invitation: Invitation | None
) -> Redeemed:
    """Audit a token that did not work; nothing else changes."""
    async with db.transaction() as session:
        audit.record(
            session,
            action="register",
            telegram_user_id=telegram_user_id,
            object_type="invitation",
            object_id=invitation.id if invitation else None,
            allowed=False,
            detail={"status": status.value},
        )
    return Redeemed(status=status)
