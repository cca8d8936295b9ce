"""The command menu, read from templates/commands.txt (BotFather's format)."""

from __future__ import annotations

from functools import lru_cache

from telegram import BotCommand

from bot.render import TEMPLATES


@lru_cache(maxsize=1)
def menu() -> tuple[tuple[str, str], ...]:
    """(command, description) pairs in menu order."""
    pairs = []
    for line in (TEMPLATES / "commands.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        command, _, description = line.partition(" - ")
        pairs.append((command.strip(), description.strip()))
    return tuple(pairs)


def bot_commands() -> list[BotCommand]:
    """The menu as Telegram BotCommand objects."""
    return [BotCommand(command, description) for command, description in menu()]
