"""Invitations: the only way in. Single-use, expiring, revocable; only a hash is stored.

A token is what follows `/start ` in the deep link `https://t.me/<bot>?start=<token>`;
Telegram allows `A-Za-z0-9_-` up to 64 characters there. Redeeming it is in
`workflow.people.registration`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    Invitation,
    Organisation,
    OrgKind,
    Role,
    values,
)
from storage.types import utcnow
from workflow.core import access, audit
from workflow.core.access import Action, Actor

DEFAULT_EXPIRY_DAYS = 7
MAX_EXPIRY_DAYS = 90
MAX_NAME = 100
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DEPARTMENT_KINDS = frozenset({OrgKind.department, OrgKind.unit})
# Which kinds of organisation each role can belong to; experts and administrators anywhere.
ROLE_ORGANISATION_KINDS: dict[Role, frozenset[str]] = {
    Role.staff: _DEPARTMENT_KINDS,
    Role.head: _DEPARTMENT_KINDS,
    Role.business: frozenset({OrgKind.business_section}),
    Role.performance: frozenset({OrgKind.performance_section}),
    Role.budget: frozenset({OrgKind.budget_section}),
    Role.expert: frozenset(OrgKind),
    Role.admin: frozenset(OrgKind),
}


class InvitationProblem(StrEnum):
    """Why an invitation cannot be made as asked."""

    unknown_role = "unknown_role"
    unknown_organisation = "unknown_organisation"
    role_not_for_organisation = "role_not_for_organisation"
    bad_expiry = "bad_expiry"
    long_name = "long_name"


class InvalidInvitation(Exception):
    """The invitation asked for cannot be made; `value` is the offending input."""

    def __init__(self, problem: InvitationProblem, value: str = "") -> None:
        super().__init__(f"{problem.value}: {value}")
        self.problem = problem
        self.value = value


@dataclass(frozen=True, slots=True)
class NewInvitation:
    """A freshly made invitation; the token exists only here, never in the database."""

    id: int
    token: str
    role: Role
    organisation_code: str
    organisation_name: str
    name: str | None
    expires_at: dt.datetime


class RevokeStatus(StrEnum):
    """What revoking an invitation did."""

    revoked = "revoked"
    not_found = "not_found"
    already_used = "already_used"
    already_revoked = "already_revoked"


@dataclass(frozen=True, slots=True)
class PendingInvitation:
    """An invitation not yet used, revoked or expired."""

    id: int
    role: Role
    organisation_code: str
    organisation_name: str
    name: str | None
    expires_at: dt.datetime


def new_token() -> str:
    """An unguessable token (128 bits) that fits a Telegram deep link."""
    return secrets.token_urlsafe(16)


def hash_token(token: str) -> str:
    """What is stored instead of the token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


async def create_invitation(
    db: Database,
    *,
    actor: Actor,
    role: str,
    organisation_code: str,
    name: str | None = None,
    expires_days: int = DEFAULT_EXPIRY_DAYS,
    now: dt.datetime | None = None,
) -> NewInvitation:
    """Make an invitation for one role in one organisation; raises InvalidInvitation."""
    now = now or utcnow()
    name = (name or "").strip() or None
    async with db.transaction() as session:
        await access.authorize(session, actor, Action.INVITE, object_type="invitation")
        checked_role, organisation = await _check_request(
            session, role, organisation_code, name, expires_days
        )
        token = new_token()
        invitation = Invitation(
            token_hash=hash_token(token),
            role=checked_role.value,
            organisation_id=organisation.id,
            name=name,
            created_by_id=actor.person_id,
            created_at=now,
            expires_at=now + dt.timedelta(days=expires_days),
        )
        session.add(invitation)
        await session.flush()
        audit.record(
            session,
            action="invitation_create",
            actor_id=actor.person_id,
            object_type="invitation",
            object_id=invitation.id,
            detail={"role": checked_role.value, "organisation": organisation.code, "name": name},
        )
    return NewInvitation(
        id=invitation.id,
        token=token,
        role=checked_role,
        organisation_code=organisation.code,
        organisation_name=organisation.name,
        name=name,
        expires_at=invitation.expires_at,
    )


async def _check_request(
    session: AsyncSession, role: str, organisation_code: str, name: str | None, expires_days: int
) -> tuple[Role, Organisation]:
    """The role and organisation asked for, or InvalidInvitation saying what is wrong."""
    if role not in values(Role):
        raise InvalidInvitation(InvitationProblem.unknown_role, role)
    if not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise InvalidInvitation(InvitationProblem.bad_expiry, str(expires_days))
    if name is not None and len(name) > MAX_NAME:
        raise InvalidInvitation(InvitationProblem.long_name, name[:20])
    organisation = await session.scalar(
        select(Organisation).where(Organisation.code == organisation_code)
    )
    if organisation is None or not organisation.active:
        raise InvalidInvitation(InvitationProblem.unknown_organisation, organisation_code)
    if organisation.kind not in ROLE_ORGANISATION_KINDS[Role(role)]:
        raise InvalidInvitation(InvitationProblem.role_not_for_organisation, organisation.kind)
    return Role(role), organisation


async def revoke_invitation(
    db: Database, *, actor: Actor, invitation_id: int, now: dt.datetime | None = None
) -> RevokeStatus:
    """Make an unused invitation unusable."""
    now = now or utcnow()
    async with db.transaction() as session:
        await access.authorize(
            session, actor, Action.REVOKE, object_type="invitation", object_id=invitation_id
        )
        invitation = await session.get(Invitation, invitation_id)
        if invitation is None:
            return RevokeStatus.not_found
        if invitation.revoked_at is not None:
            return RevokeStatus.already_revoked
        if invitation.used_at is not None:
            return RevokeStatus.already_used
        invitation.revoked_at = now
        audit.record(
            session,
            action="invitation_revoke",
            actor_id=actor.person_id,
            object_type="invitation",
            object_id=invitation_id,
        )
    return RevokeStatus.revoked


async def pending_invitations(
    db: Database,
    *,
    actor: Actor,
    now: dt.datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[PendingInvitation]:
    """Invitations that can still be used, newest first (one page when `limit` is given)."""
    now = now or utcnow()
    async with db.sessions() as session:
        await access.authorize(session, actor, Action.VIEW_USERS, object_type="invitation")
        rows = await session.execute(
            select(Invitation, Organisation)
            .join(Organisation, Organisation.id == Invitation.organisation_id)
            .where(
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [
            PendingInvitation(
                id=inv.id,
                role=Role(inv.role),
                organisation_code=org.code,
                organisation_name=org.name,
                name=inv.name,
                expires_at=inv.expires_at,
            )
            for inv, org in rows
        ]
