"""/deadlines: what is due for me and my organisation; for finance, who is late."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import services
from bot.identity import current_actor, tell_access_denied
from bot.ui.render import render
from bot.ui.replies import reply_parts
from storage.types import utcnow
from workflow.calendar.view import deadlines_for


async def deadlines(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List my deadlines with a red / yellow / green mark, and lateness for finance."""
    actor = await current_actor(update, context)
    if actor is None:
        await tell_access_denied(update)
        return
    shared = services.get(context)
    view = await deadlines_for(shared.db, actor=actor, now=utcnow())
    text = render(
        "deadlines", today=view.today, mine=view.mine, late=view.late, finance=view.finance
    )
    await reply_parts(update.effective_message, text)


def build_handlers() -> list[BaseHandler]:
    """The handlers of this feature."""
    return [CommandHandler("deadlines", deadlines)]
