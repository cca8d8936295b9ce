"""Callback data of inline buttons: every prefix is built and parsed here, in one place.

Telegram gives callback data 64 bytes; cards wait for days, so the data names what was
pressed completely (no arbitrary_callback_data cache to forget it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow.review.kinds import GOAL, UnknownKindError, kind_named, kind_with_code

CALLBACK_LIMIT = 64  # bytes, Telegram's limit

# ─── Review buttons: rv:<action>:<item>:<version> ─────────────────────────────────────────
#
# <action> is two letters (ap approve, rt return, dt details, hi history, fm form, op open,
# ea/ec/ed expert opinions, ex invite experts, fx fix, bs/bt/bu/bc batch, is issue,
# aj adjust, ei invite one expert). <item> is the item's id, prefixed by its kind's code
# letter (`t12`); a bare id is a goal version, as on every card sent before there were
# other kinds. <version> is the row version the card showed (for a few actions a count
# or a person id). Adding a kind adds a code letter in its `ReviewKind`, nothing here.

REVIEW_PREFIX = "rv"
_REVIEW = re.compile(r"^rv:([a-z]{2}):([a-z]?)(\d{1,12}):(\d{1,12})$")


@dataclass(frozen=True, slots=True)
class ReviewPress:
    """A review button: what it does, to which item of which kind, at which row version."""

    action: str
    kind: str
    item_id: int
    version: int

    def build(self) -> str:
        """The callback data (raises ValueError when it would not fit Telegram's limit)."""
        data = (
            f"{REVIEW_PREFIX}:{self.action}:{kind_named(self.kind).ref(self.item_id)}"
            f":{self.version}"
        )
        if len(data.encode()) > CALLBACK_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data}")
        return data

    @classmethod
    def parse(cls, data: str | None) -> ReviewPress | None:
        """The press `data` names; None for anything else (another prefix, an unknown kind)."""
        match = _REVIEW.match(data or "")
        if match is None:
            return None
        action, code, item_id, version = match.groups()
        kind = kind_with_code(code)
        if kind is None:
            return None
        return cls(action, kind.name, int(item_id), int(version))


def review(action: str, item_id: int, version: int, kind: str = GOAL) -> str:
    """Callback data of a review button (a goal version's unless `kind` says otherwise)."""
    return ReviewPress(action, kind, item_id, version).build()


def button_data(data: str | Mapping[str, Any]) -> str:
    """Callback data for a stored button: literal data as is, semantic data built here.

    The workflow stores review buttons semantically (`{"review": [action, kind, id,
    version]}`); outbox rows written before that carry literal callback data.
    """
    if isinstance(data, str):
        return data
    if "review" in data:
        action, kind, item_id, version = data["review"]
        try:
            return ReviewPress(str(action), str(kind), int(item_id), int(version)).build()
        except UnknownKindError:
            raise ValueError(f"button of an unregistered review kind: {kind}") from None
    raise ValueError(f"unknown button data: {data!r}")


# ─── Other prefixes ──────────────────────────────────────────────────────────────────────
