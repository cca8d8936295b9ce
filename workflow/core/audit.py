"""The append-only audit log: one call per action worth remembering, allowed or refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry
from workflow.notify.queue import json_safe


def record(
    session: AsyncSession,
    *,
    action: str,
    actor_id: int | None = None,
    telegram_user_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    allowed: bool = True,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append an audit entry in the caller's transaction."""
    entry = AuditEntry(
        action=action,
        actor_id=actor_id,
        telegram_user_id=telegram_user_id,
        object_type=object_type,
        object_id=object_id,
        allowed=allowed,
        detail=json_safe(detail) if detail else None,
    )
    session.add(entry)
    return entry
