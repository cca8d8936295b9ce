"""Inline keyboards from label keys; the Chinese labels live in templates/buttons.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.ui.callbacks import button_data
from bot.ui.render import TEMPLATES


class UnknownButtonError(LookupError):
    """A button names a label key that templates/buttons.toml does not have."""


@lru_cache(maxsize=1)
def labels() -> dict[str, str]:
    """Every button label by key."""
    return tomllib.loads((TEMPLATES / "buttons.toml").read_text(encoding="utf-8"))


def label(key: str) -> str:
    """The label of button `key`."""
    try:
        return labels()[key]
    except KeyError:
        raise UnknownButtonError(f"no button label {key!r} in buttons.toml") from None


def inline_keyboard(rows: Sequence[Sequence[Sequence[Any]]] | None) -> InlineKeyboardMarkup | None:
    """Rows of (label key, callback data) as an inline keyboard; None for no buttons.

    The data is literal, or semantic as the workflow stores it (`bot.ui.callbacks`).
    """
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label(key), callback_data=button_data(data)) for key, data in row]
            for row in rows
        ]
    )
