"""The command menu, read from templates/commands.txt (BotFather's format)."""

from __future__ import annotations

from functools import lru_cache

from telegram import BotCommand

from bot.ui.render import TEMPLATES


@lru_cache(maxsize=1)
def entries() -> tuple[tuple[str, str, str | None], ...]:
    """(command, description, action it needs or None) in menu order.

    A line may end with `[action]` (a workflow.core.access.Action value): /help then lists the
    command only to people whose roles allow that action somewhere.
    """
    found = []
    for line in (TEMPLATES / "commands.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        command, _, description = line.partition(" - ")
        action = None
        if description.endswith("]") and " [" in description:
            description, _, tag = description.rpartition(" [")
            action = tag[:-1].strip()
        found.append((command.strip(), description.strip(), action))
    return tuple(found)


def menu() -> tuple[tuple[str, str], ...]:
    """(command, description) pairs in menu order."""
    return tuple((command, description) for command, description, _ in entries())


def bot_commands() -> list[BotCommand]:
    """The menu as Telegram BotCommand objects."""
    return [BotCommand(command, description) for command, description in menu()]
