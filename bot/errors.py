"""The global error handler: refusals answered once here, failures logged without personal data."""

from __future__ import annotations

import contextlib
import logging
import secrets
import traceback

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.identity import tell_access_denied
from bot.ui.render import render
from storage.inbox import DuplicateUpdate
from workflow.core.access import AccessDenied

log = logging.getLogger(__name__)


def update_kind(update: Update) -> str:
    """What kind of update this is (message, callback_query, ...), never its content."""
    for kind in Update.ALL_TYPES:
        if getattr(update, kind, None) is not None:
            return kind
    return "unknown"


def update_summary(update: object) -> str:
    """Ids and kind of an update: what a log may keep (typed text and tokens stay out)."""
    if not isinstance(update, Update):
        return f"non-update {type(update).__name__}"
    chat = update.effective_chat.id if update.effective_chat else None
    user = update.effective_user.id if update.effective_user else None
    return f"update {update.update_id} ({update_kind(update)}, chat {chat}, user {user})"


def error_text(error: BaseException | None) -> str:
    """The exception's kind; with its message only when Telegram wrote it (no typed text)."""
    if isinstance(error, TelegramError):
        return f"{type(error).__name__}: {error}"
    return type(error).__name__


def where_it_failed(error: BaseException | None) -> str:
    """The traceback's frames without the exception's message (it may quote what was typed)."""
    if error is None:
        return ""
    return "".join(traceback.format_tb(error.__traceback__)).rstrip()


async def _refuse(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The access-denied sentence; in the chat when the press was already answered."""
    try:
        await tell_access_denied(update)
    except BadRequest:
        if update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, render("access_denied"))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Refuse a denied action once for every handler; log any other failure with a reference."""
    error = context.error
    if isinstance(error, AccessDenied) and isinstance(update, Update):
        # Workflows raise AccessDenied (already audited); every handler is answered the same way.
        await _refuse(update, context)
        raise ApplicationHandlerStop
    if isinstance(error, DuplicateUpdate):
        # Applied before (a crash, a redelivery): nothing is written or said twice.
        log.info("%s was applied before; skipped", update_summary(update))
        raise ApplicationHandlerStop
    if isinstance(error, NetworkError) and not isinstance(update, Update):
        # Polling hiccups: PTB retries by itself; a warning is enough.
        log.warning("network problem talking to Telegram: %s", error)
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        # A reply timed out or the connection dropped: what the person did is saved (the
        # workflow committed before replying), the reply may even have arrived, and an
        # apology would take the same road. Their next message shows where things stand.
        log.warning(
            "network problem replying to %s: %s", update_summary(update), type(error).__name__
        )
        return
    reference = secrets.token_hex(4)
    log.error(
        "error %s while handling %s: %s\n%s",
        reference,
        update_summary(update),
        error_text(error),
        where_it_failed(error),
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        # Stop the button's spinner; the apology below says what happened.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        await context.bot.send_message(
            update.effective_chat.id, render("error", reference=reference)
        )
    except Forbidden:
        log.info("cannot tell chat %s about error %s: blocked", update.effective_chat.id, reference)
    except TelegramError:
        log.warning("could not report error %s to the person", reference, exc_info=True)
