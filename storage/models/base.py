"""Shared metadata and column helpers for the table models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, MetaData, Text
from sqlmodel import Field, SQLModel

from storage.types import Money, UTCDateTime, utcnow

# Named constraints keep Alembic's batch mode (SQLite) and PostgreSQL in step.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def created_at() -> Any:
    """A creation timestamp column, set on insert."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def timestamp(*, index: bool = False) -> Any:
    """An optional timezone-aware UTC timestamp."""
    return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)


def money(*, required: bool = False) -> Any:
    """A Decimal amount in 万元."""
    if required:
        return Field(default=Decimal(0), sa_type=Money, nullable=False)
    return Field(default=None, sa_type=Money, nullable=True)


def long_text(*, required: bool = False) -> Any:
    """Free text of any length (limits are enforced by the forms, not the schema)."""
    if required:
        return Field(default="", sa_type=Text, nullable=False)
    return Field(default=None, sa_type=Text, nullable=True)


def ref(target: str, *, required: bool = True, ondelete: str = "RESTRICT") -> Any:
    """An indexed foreign key to `target` (table.column)."""
    return Field(
        default=None,
        foreign_key=target,
        ondelete=ondelete,
        index=True,
        nullable=not required,
    )


def telegram_id(*, unique: bool = False) -> Any:
    """A Telegram id: they exceed 32 bits."""
    return Field(default=None, sa_type=BigInteger, nullable=True, unique=unique)


__all__ = ["SQLModel", "created_at", "dt", "long_text", "metadata", "money", "ref", "telegram_id"]
