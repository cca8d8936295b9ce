"""Jinja2 for Telegram HTML messages: autoescape on, so user text can never break the markup."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.ui import vocabulary
from templates import TEMPLATES

if TYPE_CHECKING:  # Jinja2 is imported with the first message rendered, not at start-up.
    from jinja2 import Environment

TELEGRAM_TEXT_LIMIT = 4096


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared Jinja2 environment for templates/messages."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES / "messages"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates do not change under a running bot: no stat per render
    )
    env.filters["label"] = vocabulary.label
    env.globals["label"] = vocabulary.label
    return env


def render(template: str, /, **context: Any) -> str:
    """Render templates/messages/<name>.html.j2 to Telegram HTML."""
    return environment().get_template(f"{template}.html.j2").render(**context).strip()


def split_message(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split long HTML at line breaks so each part fits Telegram's limit.

    Templates keep tags within a line, so cutting between lines never splits a tag; a single
    line longer than the limit is cut where no tag or entity is open.
    """
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            cut = _safe_cut(line, limit)
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts


def _safe_cut(line: str, limit: int) -> int:
    """The longest prefix length <= limit that ends outside a tag, an entity and a tag pair."""
    depth = 0
    best = 0
    position = 0
    while position < limit:
        char = line[position]
        if char == "<":
            end = line.find(">", position)
            if end == -1 or end >= limit:
                break
            depth += -1 if line.startswith("</", position) else 1
            position = end + 1
        elif char == "&":
            end = line.find(";", position, position + 12)
            if end == -1:
                position += 1  # a lone ampersand
            elif end >= limit:
                break
            else:
                position = end + 1
        else:
            position += 1
        if depth <= 0:
            best = position
    return best or limit  # no safe point at all: cut hard rather than loop forever
