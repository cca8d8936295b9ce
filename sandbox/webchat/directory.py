"""What the web chat asks of the application it trains on (the sandbox knows only chats)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PersonCard:
    """How a chat's person appears in the list: role and organisation as the bot knows them."""

    role: str = ""
    organisation: str = ""


@dataclass(frozen=True)
class Choice:
    """One option of a select box: the value sent back and the label shown."""

    value: str
    label: str


@dataclass(frozen=True)
class Options:
    """What the add-a-person form offers."""

    roles: tuple[Choice, ...] = ()
    organisations: tuple[Choice, ...] = ()


class Directory(Protocol):
    """The application side: who people are, and how to invite a new one."""

    async def cards(self) -> dict[int, PersonCard]:
        """Role and organisation by Telegram user id, for everyone registered."""
        ...

    async def options(self) -> Options:
        """Roles and organisations a new person may get."""
        ...

    async def invite(self, *, name: str, role: str, organisation: str) -> str:
        """An invitation token for this person (they redeem it with /start <token>)."""
        ...


Replay = Callable[[], Awaitable[None]]
