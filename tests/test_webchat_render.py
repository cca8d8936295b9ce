"""The web chat draws the bot's messages safely: only Telegram's tags, everything escaped."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.markup import parse_html
from sandbox.state import SandboxState
from sandbox.webchat.render import entities_to_html, message_view


def _from_html(source: str) -> str:
    text, entities = parse_html(source)
    return entities_to_html(text, entities)


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("<b>粗</b>和<i>斜</i>", "<b>粗</b>和<i>斜</i>"),
        ("<b>外<i>内</i></b>尾", "<b>外<i>内</i></b>尾"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a &amp; b\nc", "a &amp; b<br>c"),
        ("😀<b>表情后</b>", "😀<b>表情后</b>"),  # offsets count UTF-16 units
        ("<code>x&lt;y</code>", "<code>x&lt;y</code>"),
        ("<tg-spoiler>秘</tg-spoiler>", '<span class="tg-spoiler">秘</span>'),
    ],
)
def test_telegram_html_comes_back_as_the_same_safe_html(source: str, shown: str) -> None:
    assert _from_html(source) == shown


def test_links_keep_only_schemes_telegram_follows() -> None:
    safe = _from_html('<a href="https://example.org/?a=1&amp;b=&quot;2&quot;">链接</a>')
    assert safe.startswith('<a href="https://example.org/?a=1&amp;b=&quot;2&quot;"')
    assert 'rel="noopener noreferrer"' in safe
    entities = [{"type": "text_link", "offset": 0, "length": 2, "url": "javascript:alert(1)"}]
    assert entities_to_html("点我", entities) == "点我"


def _message(text: str, entities: list[dict[str, Any]], *, bot: bool) -> dict[str, Any]:
    return {
        "message_id": 7,
        "chat": {"id": 1},
        "from": {"id": 5, "is_bot": bot, "first_name": "x"},
        "date": 1,
        "text": text,
        "entities": entities,
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "通过", "callback_data": "rv:1"}, {"text": "坏", "url": "javascript:x"}]
            ]
        },
    }


def test_a_bot_message_view_has_tappable_commands_and_safe_buttons() -> None:
    state = SandboxState(token="1:T", bot_username="b", bot_name="b")
    text, entities = parse_html("发送 /help 查看，<code>/cancel</code> 不算")
    view = message_view(state, _message(text, entities, bot=True))
    assert '<span class="cmd" data-command="/help">/help</span>' in view["html"]
    assert "<code>/cancel</code>" in view["html"]
    assert view["keyboard"] == [[{"text": "通过", "data": "rv:1"}, {"text": "坏"}]]
