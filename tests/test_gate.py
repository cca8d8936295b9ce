"""The gate outside private chats: the sandbox has only private chats, so call it directly."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.handlers.gate import gate
from bot.ui.commands import entries
from workflow.core.access import Action


class RecordingBot:
    """Just enough of a Bot for Message.reply_text: remembers what would be sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_message(self, **kwargs: Any) -> None:
        self.sent.append(kwargs)


def _group_update(text: str) -> tuple[Update, RecordingBot]:
    bot = RecordingBot()
    update = Update.de_json(
        {
            "update_id": 1,
            "message": {
                "message_id": 7,
                "date": 0,
                "chat": {"id": -100123, "type": "supergroup", "title": "绩效群"},
                "from": {"id": 42, "is_bot": False, "first_name": "某人"},
                "text": text,
            },
        },
        None,
    )
    update.message.set_bot(bot)
    return update, bot


@pytest.mark.parametrize("text", ["/start sometoken", "/help@perfbot_test_bot", "/me"])
async def test_commands_in_a_group_are_answered_with_a_pointer_to_the_private_chat(
    text: str,
) -> None:
    update, bot = _group_update(text)
    with pytest.raises(ApplicationHandlerStop):
        await gate(update, None)  # type: ignore[arg-type]
    assert [m["chat_id"] for m in bot.sent] == [-100123]
    assert "私聊" in bot.sent[0]["text"]


async def test_chatter_in_a_group_is_ignored_silently() -> None:
    update, bot = _group_update("大家好")
    with pytest.raises(ApplicationHandlerStop):
        await gate(update, None)  # type: ignore[arg-type]
    assert bot.sent == []


def test_every_command_tag_names_a_known_action() -> None:
    tags = [action for _, _, action in entries() if action is not None]
    assert tags, "the administration commands carry tags"
    for tag in tags:
        Action(tag)  # raises for an unknown action


class RefusingBot(RecordingBot):
    """A group where the bot may not write: every send fails like Telegram's 400."""

    async def send_message(self, **kwargs: Any) -> None:
        from telegram.error import BadRequest

        raise BadRequest("Not enough rights to send text messages to the chat")


async def test_a_refusal_that_cannot_be_sent_still_stops_the_update() -> None:
    update, _ = _group_update("/projects")
    update.message.set_bot(RefusingBot())
    with pytest.raises(ApplicationHandlerStop):
        await gate(update, None)  # type: ignore[arg-type]


def test_feature_handlers_ignore_group_chats_even_behind_an_open_gate() -> None:
    from telegram.ext import CommandHandler

    from bot.handlers.gate import private_only

    async def never(update: object, context: object) -> None:
        raise AssertionError("a feature ran in a group")

    [wrapped] = private_only([CommandHandler("projects", never)])[0]
    group_update, _ = _group_update("/projects")
    assert not wrapped.check_update(group_update)
    private = Update.de_json(
        {
            "update_id": 2,
            "message": {
                "message_id": 8,
                "date": 0,
                "chat": {"id": 42, "type": "private", "first_name": "某人"},
                "from": {"id": 42, "is_bot": False, "first_name": "某人"},
                "text": "/projects",
                "entities": [{"type": "bot_command", "offset": 0, "length": 9}],
            },
        },
        None,
    )
    private.message.set_bot(RecordingBot())  # type: ignore[union-attr]
    private.message.get_bot().username = "perfbot_test_bot"  # type: ignore[union-attr, attr-defined]
    assert wrapped.check_update(private)
