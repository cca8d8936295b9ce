"""The one parser for numbers that come from outside: button data, command arguments.

Only ASCII digits count (full-width ０-９ are what Chinese input methods type, so they are
folded to ASCII first); ①, ² and other characters Python's `str.isdigit` accepts do not,
and neither does anything beyond the range asked for, so an id can never overflow a
32-bit database column.
"""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1  # the largest id a 32-bit integer column can hold
YEARS = (2000, 2100)
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_DIGITS = re.compile(r"[0-9]{1,12}")


def whole_number(text: str | None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """The integer `text` spells, within [low, high]; None for anything else."""
    if text is None:
        return None
    cleaned = text.strip().translate(_FULL_WIDTH)
    if not _DIGITS.fullmatch(cleaned):
        return None
    value = int(cleaned)
    return value if low <= value <= high else None


def record_id(text: str | None) -> int | None:
    """A database id (1 … 2³¹−1), or None."""
    return whole_number(text, low=1)


def year(text: str | None) -> int | None:
    """A plausible budget year, or None."""
    return whole_number(text, low=YEARS[0], high=YEARS[1])
