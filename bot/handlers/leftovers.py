"""Button presses no feature claims (junk data, a prefix from an old release): answered anyway.

Telegram shows a spinner on a pressed button until the bot answers the query; a press that
no handler recognises would spin forever. This handler runs last and only when no other
handler of the application would take the press.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseHandler, CallbackContext, TypeHandler

from bot.ui.render import render

LEFTOVER_GROUP = 1_000  # after every feature's group


class UnclaimedPress(BaseHandler[Update, CallbackContext[Any, Any, Any, Any], None]):
    """Matches a callback query that no other handler of the application would handle."""

    __slots__ = ("application",)

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        super().__init__(answer_unclaimed)
        self.application = application

    def check_update(self, update: object) -> bool:
        """True for a press that nothing else claims."""
        return unclaimed(self.application, update)


def unclaimed(application: Application[Any, Any, Any, Any, Any, Any], update: object) -> bool:
    """Whether `update` is a press that no feature handler of `application` would take."""
    if not isinstance(update, Update) or update.callback_query is None:
        return False
    for group, handlers in application.handlers.items():
        if group == LEFTOVER_GROUP:
            continue
        for handler in handlers:
            if _catch_all(handler):
                continue
            check = handler.check_update(update)
            if check is not None and check is not False:
                return False
    return True


def _catch_all(handler: BaseHandler[Any, Any, Any]) -> bool:
    """The gate and other handlers that look at every update say nothing about a press."""
    inner = getattr(handler, "inner", handler)
    return isinstance(inner, TypeHandler)


async def answer_unclaimed(
    update: Update, _context: CallbackContext[Any, Any, Any, Any] | None = None
) -> None:
    """Tell the person the button no longer works (and stop the spinner)."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(render("button_expired"), show_alert=True)
    except TelegramError:
        pass  # too old to answer: Telegram has stopped the spinner itself


def build_handlers(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> dict[int, list[BaseHandler]]:
    """The last handler of all."""
    return {LEFTOVER_GROUP: [UnclaimedPress(application)]}
