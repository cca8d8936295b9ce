"""/start, /help and /cancel: the bot's first words."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.commands import menu
from bot.render import render


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the person and say how to get access."""
    user = update.effective_user
    await update.effective_message.reply_text(
        render("welcome_guest", name=user.full_name if user else None)
    )


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands."""
    await update.effective_message.reply_text(render("help", commands=menu()))


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Nothing is in progress outside a conversation: say so."""
    await update.effective_message.reply_text(render("cancelled", had_something=False))


def build_handlers() -> list[BaseHandler]:
    """The handlers of this feature."""
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("cancel", cancel),
    ]
