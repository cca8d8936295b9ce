"""The one parser of numbers from outside: ASCII (and full-width) digits, bounded."""

from __future__ import annotations

import pytest

from bot.ui.callbacks import ReviewPress, parse_form, parse_project, parse_revoke_invitation
from workflow.core import numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), (" 7 ", 7), ("２０２６", 2026), ("0", 0), ("2147483647", 2**31 - 1)],
)
def test_digits_are_read(text: str, expected: int) -> None:
    assert numbers.whole_number(text) == expected


@pytest.mark.parametrize(
    "text", ["①", "²", "①②③", "٣", "2147483648", "9" * 5000, "-1", "1.5", "", None, "1e3"]
)
def test_anything_else_is_refused(text: str | None) -> None:
    assert numbers.whole_number(text) is None


def test_years_and_ids_are_bounded() -> None:
    assert numbers.year("2026") == 2026 and numbers.year("1999") is None
    assert numbers.record_id("0") is None and numbers.record_id(str(2**31)) is None


@pytest.mark.parametrize(
    "data", [f"rv:ap:{2**32}:1", "rv:ap:t1:99999999999", "rv:ap:٣:1", f"rv:ap:1:{2**31}"]
)
def test_review_presses_beyond_an_integer_column_are_junk(data: str) -> None:
    assert ReviewPress.parse(data) is None


def test_other_presses_beyond_an_integer_column_are_junk() -> None:
    assert parse_project(f"pj:c:{2**32}") is None
    assert parse_revoke_invitation(f"adm:ri:{2**32}") is None
    assert parse_form(f"fm:{2**32}:1:c") is None
    assert parse_form("fm:1:1:c:3") is not None
