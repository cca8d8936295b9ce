"""Message rendering: autoescape, splitting under Telegram's limit, JSON-safe contexts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.ui.render import TELEGRAM_TEXT_LIMIT, render, split_message
from workflow.notify.queue import json_safe


def test_user_text_cannot_break_the_html() -> None:
    text = render("welcome_guest", name="<b>张三</b> & <i>")
    assert "&lt;b&gt;张三&lt;/b&gt; &amp; &lt;i&gt;" in text
    assert "<b>张三</b>" not in text


def test_short_messages_stay_whole() -> None:
    assert split_message("你好\n世界") == ["你好\n世界"]


def test_long_messages_split_between_lines() -> None:
    lines = [f"<b>第{i}行</b> " + "内容" * 50 for i in range(200)]
    parts = split_message("\n".join(lines))
    assert len(parts) > 1
    assert all(len(part) <= TELEGRAM_TEXT_LIMIT for part in parts)
    assert "\n".join(parts).split("\n") == lines
    assert all(part.count("<b>") == part.count("</b>") for part in parts)


def test_one_enormous_line_is_not_cut_inside_a_tag_or_entity() -> None:
    unit = "<b>甲</b>&amp;"
    line = unit * 2000  # 12 characters each, far over the limit
    parts = split_message(line)
    assert "".join(parts) == line
    for part in parts:
        assert len(part) <= TELEGRAM_TEXT_LIMIT
        assert part.startswith("<b>") and part.endswith("&amp;")


@given(st.text(alphabet="ab<>&;/ \n", max_size=9000))
def test_splitting_never_loses_text(text: str) -> None:
    parts = split_message(text)
    assert all(len(part) <= TELEGRAM_TEXT_LIMIT for part in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_contexts_become_json_safe_at_any_depth() -> None:
    context = {
        "amount": Decimal("120.50"),
        "rows": [["产出", Decimal("1")], ("效益", dt.date(2026, 10, 13))],
        "nested": {"when": dt.date(2026, 1, 2), "ids": {3}},
    }
    assert json_safe(context) == {
        "amount": "120.50",
        "rows": [["产出", "1"], ["效益", "2026-10-13"]],
        "nested": {"when": "2026-01-02", "ids": [3]},
    }
