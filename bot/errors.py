"""The global error handler: log everything, tell the person little."""

from __future__ import annotations

import logging
import secrets

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot.ui.render import render

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with a reference and apologise to the person without internals."""
    error = context.error
    if isinstance(error, NetworkError) and not isinstance(update, Update):
        # Polling hiccups: PTB retries by itself; a warning is enough.
        log.warning("network problem talking to Telegram: %s", error)
        return
    reference = secrets.token_hex(4)
    log.error("error %s while handling %r", reference, update, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await context.bot.send_message(
            update.effective_chat.id, render("error", reference=reference)
        )
    except Forbidden:
        log.info("cannot tell chat %s about error %s: blocked", update.effective_chat.id, reference)
    except TelegramError:
        log.warning("could not report error %s to the person", reference, exc_info=True)
