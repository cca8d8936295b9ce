"""The bureau `perfbot try` starts with, registered through the real invitation flow."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from bot.ui.render import TEMPLATES
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import Person
from workflow.core.access import TERMINAL
from workflow.people.invitations import create_invitation
from workflow.people.orgchart import import_orgchart

REGISTER_SECONDS = 20.0


@dataclass(frozen=True)
class Cast:
    """One person of the starting bureau."""

    id: int
    name: str
    role: str
    organisation: str


@lru_cache(maxsize=1)
def _bureau() -> dict[str, Any]:
    return tomllib.loads((TEMPLATES / "try_bureau.toml").read_text(encoding="utf-8"))


def cast(*, empty: bool) -> list[Cast]:
    """The administrator, and everyone else unless the bureau starts empty."""
    data = _bureau()
    people = [data["administrator"], *([] if empty else data["people"])]
    return [Cast(**person) for person in people]


async def registered(db: Database) -> list[tuple[int, str]]:
    """(Telegram id, name) of everyone the database already knows."""
    async with db.transaction() as session:
        rows = await session.execute(
            select(Person.telegram_user_id, Person.name)
            .where(Person.telegram_user_id.is_not(None), Person.active.is_(True))
            .order_by(Person.id)
        )
        return [(int(telegram_id), name) for telegram_id, name in rows]


async def seed(db: Database, sandbox: BotApiSandbox, *, empty: bool) -> None:
    """Import the org chart, then invite each person and let them /start in their chat."""
    result = await import_orgchart(
        db, actor=TERMINAL, data=_bureau()["orgchart"].strip().encode("utf-8")
    )
    if not result.ok:
        raise RuntimeError(f"the starting org chart does not import: {result.problems}")
    for person in cast(empty=empty):
        invitation = await create_invitation(
            db,
            actor=TERMINAL,
            role=person.role,
            organisation_code=person.organisation,
            name=person.name,
        )
        user = sandbox.add_user(person.id, person.name)
        await user.send_text(f"/start {invitation.token}")
        await user.wait_for_message(timeout=REGISTER_SECONDS)
