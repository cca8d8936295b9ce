"""The error handler: personal data typed into a form never reaches the log; refusals answered."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from telegram import Chat, Message, Update, User
from telegram.error import BadRequest, TimedOut
from telegram.ext import ApplicationHandlerStop

from bot.errors import on_error
from bot.ui.render import render
from workflow.core.access import AccessDenied, Action

SECRET = "身份证号 330102198001011234 邀请码 tok_9f8e7d"


class RecordingBot:
    """Keeps what the bot would send."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id: int, text: str, **_: object) -> None:
        self.sent.append((chat_id, text))


def typed(text: str) -> Update:
    user = User(id=4242, first_name="王丽", is_bot=False)
    chat = Chat(id=4242, type=Chat.PRIVATE)
    message = Message(message_id=7, date=None, chat=chat, from_user=user, text=text)  # type: ignore[arg-type]
    return Update(update_id=99001, message=message)


async def failing_handler(update: Update) -> None:
    """A handler that breaks while reading what the person typed."""
    int(update.message.text)  # type: ignore[union-attr]


async def test_a_failure_on_typed_text_logs_ids_and_the_exception_not_the_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    update = typed(SECRET)
    try:
        await failing_handler(update)
    except ValueError as failure:
        error = failure
    bot = RecordingBot()
    with caplog.at_level(logging.DEBUG):
        await on_error(update, SimpleNamespace(error=error, bot=bot))  # type: ignore[arg-type]
    assert "update 99001 (message, chat 4242, user 4242): ValueError" in caplog.text
    assert "failing_handler" in caplog.text  # where it failed is still there
    for fragment in ("330102198001011234", "tok_9f8e7d", "身份证号"):
        assert fragment not in caplog.text
    [(chat_id, apology)] = bot.sent
    assert chat_id == 4242 and "330102198001011234" not in apology


async def test_access_denied_from_any_handler_is_answered_once_here() -> None:
    update = typed("/users")
    bot = RecordingBot()
    update.message.set_bot(bot)  # type: ignore[union-attr, arg-type]
    with pytest.raises(ApplicationHandlerStop):
        await on_error(update, SimpleNamespace(error=AccessDenied(Action.VIEW_USERS), bot=bot))  # type: ignore[arg-type]
    assert bot.sent == [(4242, render("access_denied"))]


async def test_a_reply_lost_to_the_network_is_a_warning_without_a_traceback_or_apology(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Under load Telegram (or the line to it) can time out a reply; nothing is broken."""
    bot = RecordingBot()
    with caplog.at_level(logging.DEBUG):
        await on_error(typed(SECRET), SimpleNamespace(error=TimedOut(), bot=bot))  # type: ignore[arg-type]
    assert "network problem replying to update 99001" in caplog.text
    assert "Traceback" not in caplog.text and " while handling " not in caplog.text
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert bot.sent == []
    assert SECRET not in caplog.text


async def test_a_refused_request_is_still_an_error_with_its_place(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """BadRequest is a NetworkError in python-telegram-bot, but it means our message was wrong."""
    bot = RecordingBot()
    with caplog.at_level(logging.DEBUG):
        await on_error(  # type: ignore[arg-type]
            typed("x"), SimpleNamespace(error=BadRequest("Can't parse entities"), bot=bot)
        )
    assert " while handling update 99001" in caplog.text
    assert len(bot.sent) == 1  # the person is told, with a reference
