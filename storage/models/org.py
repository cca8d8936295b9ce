"""Organisations, people, their roles and invitations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models.base import created_at, ref, telegram_id, timestamp
from storage.models.enums import OrgKind, Role, values
from storage.types import UTCDateTime, check_in


class OrganisationBase(SQLModel):
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)


class Organisation(OrganisationBase, table=True):
    """A department, a subordinate unit or a finance section."""

    __table_args__ = (
        UniqueConstraint("code"),
        check_in("kind", values(OrgKind), "kind"),
        # The org chart cache's stamp: max() of each is one index look-up.
        Index("ix_organisation_created_at", "created_at"),
        Index("ix_organisation_updated_at", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = ref("organisation.id", required=False)  # a unit's department
    section_id: int | None = ref("organisation.id", required=False)  # 归口业务科室
    active: bool = Field(default=True)
    created_at: dt.datetime = created_at()
    updated_at: dt.datetime | None = timestamp()


class Person(SQLModel, table=True):
    """Someone who may use the bot ("user" is reserved in PostgreSQL)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    telegram_user_id: int | None = telegram_id(unique=True)
    telegram_username: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    active: bool = Field(default=True)
    unreachable_since: dt.datetime | None = timestamp()  # blocked the bot
    created_at: dt.datetime = created_at()


class RoleAssignment(SQLModel, table=True):
    """One role a person holds in one organisation."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        UniqueConstraint("person_id", "role", "organisation_id"),
        check_in("role", values(Role), "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = ref("person.id", ondelete="CASCADE")
    role: str = Field(max_length=32)
    organisation_id: int = ref("organisation.id")
    granted_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    created_at: dt.datetime = created_at()
    revoked_at: dt.datetime | None = timestamp()


class Invitation(SQLModel, table=True):
    """A single-use invitation; only a hash of the token is kept."""

    __table_args__ = (
        UniqueConstraint("token_hash"),
        check_in("role", values(Role), "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=128)
    role: str = Field(max_length=32)
    organisation_id: int = ref("organisation.id")
    name: str | None = Field(default=None, max_length=100)
    created_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    created_at: dt.datetime = created_at()
    expires_at: dt.datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: dt.datetime | None = timestamp()
    used_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    revoked_at: dt.datetime | None = timestamp()
