"""What to tell whom: writes outbox rows inside the caller's transaction, never sends."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage

# Rows of (label key, data): literal callback data, or semantic data the bot builds it from.
Buttons = Sequence[Sequence[tuple[str, Any]]]


def json_safe(value: Any) -> Any:
    """A JSON-safe copy: Decimals, dates and enums become strings, exactly as written."""
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def queue_message(
    session: AsyncSession,
    *,
    template: str,
    context: Mapping[str, Any] | None = None,
    person_id: int | None = None,
    chat_id: int | None = None,
    buttons: Buttons | None = None,
    dedupe_key: str | None = None,
    document_name: str | None = None,
    document: bytes | None = None,
) -> OutboxMessage:
    """Queue one message for one person (or a raw chat) in the current transaction."""
    if person_id is None and chat_id is None:
        raise ValueError("a message needs a person or a chat")
    message = OutboxMessage(
        person_id=person_id,
        chat_id=chat_id,
        template=template,
        context=json_safe(context or {}),
        buttons=[[list(button) for button in row] for row in buttons] if buttons else None,
        dedupe_key=dedupe_key,
        document_name=document_name,
        document=document,
    )
    session.add(message)
    return message


def queue_for_people(
    session: AsyncSession,
    person_ids: Iterable[int],
    *,
    template: str,
    context: Mapping[str, Any] | None = None,
    buttons: Buttons | None = None,
    dedupe_prefix: str | None = None,
) -> list[OutboxMessage]:
    """Queue the same message for several people, once each."""
    return [
        queue_message(
            session,
            template=template,
            context=context,
            person_id=person_id,
            buttons=buttons,
            dedupe_key=f"{dedupe_prefix}:{person_id}" if dedupe_prefix else None,
        )
        for person_id in dict.fromkeys(person_ids)
    ]
