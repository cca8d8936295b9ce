"""The gate: before any feature sees an update, strangers and group chats are turned away.

A stranger (no active role) may only use /start (with an invitation token, or to read how
to get one) and /help in a private chat; anything else, commands, text, files, or buttons
from forwarded messages, gets one polite sentence and goes no further.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackContext,
    ContextTypes,
    TypeHandler,
)

from bot import services
from bot.identity import current_actor
from bot.ui.render import render
from workflow.people.persons import note_stranger

log = logging.getLogger(__name__)
GATE_GROUP = -1  # runs before every feature's handlers (group 0 and up)
OPEN_COMMANDS = frozenset({"/start", "/help"})


def _command(update: Update) -> str | None:
    """The command a text message starts with, without any @botname."""
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    return message.text.split(maxsplit=1)[0].split("@", 1)[0].lower()


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Let registered people in private chats through; answer everyone else and stop."""
    chat = update.effective_chat
    if update.effective_user is None or chat is None:
        raise ApplicationHandlerStop
    if chat.type != ChatType.PRIVATE:
        await refuse(update, "private_only", announce=_command(update) is not None)
        raise ApplicationHandlerStop
    if await current_actor(update, context) is not None:
        return
    command = _command(update)
    if command in OPEN_COMMANDS:
        return
    if command is not None or update.callback_query is not None:
        # Chatter is not worth remembering; commands and buttons are attempts to act.
        attempt = command or f"button:{(update.callback_query.data or '')[:32]}"
        await note_stranger(
            services.get(context).db, telegram_user_id=update.effective_user.id, attempt=attempt
        )
    await refuse(update, "ask_administrator", announce=True)
    raise ApplicationHandlerStop


async def refuse(update: Update, template: str, *, announce: bool) -> None:
    """Answer a button press with a short alert, a message with a reply when `announce`.

    A refusal that cannot be sent (no rights in a group, a 5xx) is logged and swallowed:
    the update must stop at the gate whatever happens to the answer (fail closed).
    """
    text = render(template)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif announce and update.effective_message is not None:
            await update.effective_message.reply_text(text)
    except TelegramError as error:
        log.warning("refusal for update %s not sent: %s", update.update_id, type(error).__name__)


def _in_private_chat(update: object) -> bool:
    """Whether an update comes from a private chat (or from no chat at all)."""
    if not isinstance(update, Update):
        return True
    chat = update.effective_chat
    return chat is None or chat.type == ChatType.PRIVATE


class PrivateOnly(BaseHandler[Update, CallbackContext[Any, Any, Any, Any], object]):
    """A feature handler that ignores updates from group chats: a second lock behind the gate."""

    __slots__ = ("inner",)

    def __init__(self, inner: BaseHandler[Any, Any, Any]) -> None:
        super().__init__(inner.callback, block=inner.block)
        self.inner = inner

    def check_update(self, update: object) -> object:
        """The inner handler's check, for private chats only."""
        return self.inner.check_update(update) if _in_private_chat(update) else None

    async def handle_update(
        self, update: Any, application: Any, check_result: Any, context: Any
    ) -> object:
        """Run the inner handler."""
        return await self.inner.handle_update(update, application, check_result, context)


def private_only(
    handlers: dict[int, list[BaseHandler]] | list[BaseHandler],
) -> dict[int, list[BaseHandler]]:
    """Each feature handler wrapped so that it never answers in a group chat."""
    groups = handlers if isinstance(handlers, dict) else {0: handlers}
    return {group: [PrivateOnly(h) for h in members] for group, members in groups.items()}


def build_handlers() -> dict[int, list[BaseHandler]]:
    """The gate, in a group of its own that runs first."""
    return {GATE_GROUP: [TypeHandler(Update, gate)]}
