"""/me: who I am in the bot, my organisation and my roles."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import services
from bot.identity import current_actor
from bot.ui.render import render
from workflow.people.persons import profile


async def me(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the person's name, organisations and roles."""
    actor = await current_actor(update, context)
    if actor is None:  # the gate answers strangers; this only guards a role lost meanwhile
        await update.effective_message.reply_text(render("ask_administrator"))
        return
    mine = await profile(services.get(context).db, actor=actor)
    await update.effective_message.reply_text(
        render("profile", greeting=False, name=mine.name, roles=mine.roles)
    )


def build_handlers() -> list[BaseHandler]:
    """The handlers of this feature."""
    return [CommandHandler("me", me)]
