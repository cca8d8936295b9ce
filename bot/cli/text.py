"""Command-line messages, kept in templates/cli.toml."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from typing import Any

from bot.ui.render import TEMPLATES


@lru_cache(maxsize=1)
def _messages() -> dict[str, str]:
    return tomllib.loads((TEMPLATES / "cli.toml").read_text(encoding="utf-8"))


def cli_text(key: str, **values: Any) -> str:
    """The message `key`, formatted with `values`."""
    return _messages()[key].format(**values)
