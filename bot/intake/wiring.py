"""Builds the intake for the Application: the inbox bot, the processor and their hooks."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, Defaults

from bot.bot_api import bot_api_request
from bot.config import Settings
from bot.conversations.form import show_where_it_stands
from bot.handlers import gate, leftovers
from bot.intake.flood import FLOOD_KEY, FloodGuard, Limits
from bot.intake.inbox_bot import InboxBot
from bot.intake.processor import ChatOrderedProcessor
from bot.ui.render import render
from storage import inbox
from storage.db import Database
from storage.types import utcnow
from workflow.people.persons import note_flood, registered_telegram_ids

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 16  # updates handled at once (different chats); the pool has room for them
KEEP_FINISHED = dt.timedelta(days=2)  # Telegram redelivers an unacknowledged update for 24 h


def inbox_bot(
    token: str, *, base_url: str, base_file_url: str, defaults: Defaults, db: Database
) -> InboxBot:
    """The bot every request goes through, storing updates before they are acknowledged."""
    return InboxBot(
        token,
        base_url=base_url,
        base_file_url=base_file_url,
        request=bot_api_request(connection_pool_size=MAX_IN_FLIGHT * 2 + 8),
        get_updates_request=bot_api_request(connection_pool_size=1),
        defaults=defaults,
        rate_limiter=AIORateLimiter(max_retries=2),
        db=db,
    )


def processor(application: Any, db: Database, settings: Settings) -> ChatOrderedProcessor:
    """The processor, with the flood guard and the hooks that talk to people."""
    guard = FloodGuard(
        registered=Limits(settings.flood_burst, settings.flood_per_second),
        stranger=Limits(settings.stranger_flood_burst, settings.stranger_flood_per_second),
    )

    async def on_flood(update: Update) -> None:
        """Once per flood: say so, and remember it in the audit log."""
        user = update.effective_user
        chat = update.effective_chat
        log.info("flood from user %s: held back", user.id if user else None)
        if user is not None:
            await note_flood(db, telegram_user_id=user.id)
        if chat is not None:
            try:
                await application().bot.send_message(chat.id, render("flood_wait"))
            except TelegramError as error:
                log.info("flood notice to chat %s not sent: %s", chat.id, type(error).__name__)

    async def on_resumed(update: Update) -> None:
        """An update applied before a crash: show the person where their form stands."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or chat.type != "private":
            return
        try:
            await show_where_it_stands(
                application().bot, db, telegram_user_id=user.id, chat_id=chat.id
            )
        except TelegramError as error:
            log.info("resumed chat %s not shown: %s", chat.id, type(error).__name__)

    def answer_early(update: Update) -> Awaitable[None] | None:
        """Presses that only get a refusal: from a group chat, or data nothing claims."""
        user = update.effective_user
        if update.callback_query is None or user is None:
            return None
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return gate.refuse(update, "private_only", announce=False)
        # Strangers' presses go through the gate, which remembers the attempt.
        if user.id in guard.known and leftovers.unclaimed(application(), update):
            return leftovers.answer_unclaimed(update)
        return None

    return ChatOrderedProcessor(
        max_in_flight=MAX_IN_FLIGHT,
        db=db,
        flood=guard,
        on_flood=on_flood,
        on_resumed=on_resumed,
        answer_early=answer_early,
    )


async def start_intake(
    application: Application[Any, Any, Any, Any, Any, Any], db: Database
) -> None:
    """At start-up: forget old finished updates, know who is registered, replay the rest."""
    purged = await inbox.purge(db, before=utcnow() - KEEP_FINISHED)
    update_processor = application.update_processor
    if isinstance(update_processor, ChatOrderedProcessor) and update_processor.flood:
        update_processor.flood.known |= await registered_telegram_ids(db)
        application.bot_data[FLOOD_KEY] = update_processor.flood
    waiting = await inbox.unfinished(db)
    for payload in waiting:
        await application.update_queue.put(Update.de_json(payload, application.bot))
    if waiting or purged:
        log.info("inbox: %s updates taken up again, %s old ones forgotten", len(waiting), purged)
