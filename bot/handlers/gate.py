"""The gate: before any feature sees an update, strangers and group chats are turned away.

A stranger (no active role) may only use /start (with an invitation token, or to read how
to get one) and /help in a private chat; anything else, commands, text, files, or buttons
from forwarded messages, gets one polite sentence and goes no further.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes, TypeHandler

from bot import services
from bot.identity import current_actor
from bot.ui.render import render
from workflow.people.persons import note_stranger

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
        await _refuse(update, "private_only", announce=_command(update) is not None)
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
    await _refuse(update, "ask_administrator", announce=True)
    raise ApplicationHandlerStop


async def _refuse(update: Update, template: str, *, announce: bool) -> None:
    """Answer a button press with a short alert, a message with a reply when `announce`."""
    text = render(template)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif announce and update.effective_message is not None:
        await update.effective_message.reply_text(text)


def build_handlers() -> dict[int, list[BaseHandler]]:
    """The gate, in a group of its own that runs first."""
    return {GATE_GROUP: [TypeHandler(Update, gate)]}
