"""Who sent this update: the registered person and their roles, or None for a stranger.

Every handler that acts for someone starts with::

    actor = await current_actor(update, context)

and passes `actor` to one workflow function. The gate (bot.handlers.gate) has already
answered strangers, so in ordinary handlers `actor` is only None if the person's last role
was taken away between updates. When the workflow raises `AccessDenied`, answer with
`tell_access_denied(update)`: one generic sentence that reveals nothing about the object.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackContext

from bot import services
from bot.intake.flood import remember_registered
from bot.ui.render import render
from workflow.core import access
from workflow.core.access import AccessDenied, Action, Actor
from workflow.people.persons import find_actor

_CACHE_ATTRIBUTE = "perfbot_actor"  # one context object serves every handler of one update
_UNKNOWN = object()


async def current_actor(
    update: Update, context: CallbackContext[Any, Any, Any, Any]
) -> Actor | None:
    """The registered person behind this update, looked up once per update.

    Outside a private chat nobody counts as registered: a feature reached from a group
    (should the gate ever let one through) refuses like it would for a stranger.
    """
    cached = getattr(context, _CACHE_ATTRIBUTE, _UNKNOWN)
    if cached is not _UNKNOWN:
        return cached  # type: ignore[return-value]
    user = update.effective_user
    actor = None
    chat = update.effective_chat
    private = chat is None or chat.type == ChatType.PRIVATE
    if user is not None and not user.is_bot and private:
        actor = await find_actor(services.get(context).db, telegram_user_id=user.id)
        if actor is not None:
            remember_registered(context.bot_data, user.id)
    setattr(context, _CACHE_ATTRIBUTE, actor)
    return actor


def forget_actor(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Drop the cached actor (after the update changed who the person is)."""
    if hasattr(context, _CACHE_ATTRIBUTE):
        delattr(context, _CACHE_ATTRIBUTE)


async def tell_access_denied(update: Update) -> None:
    """Refuse in one generic sentence: as a button alert, or as a reply."""
    text = render("access_denied")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def actor_or_refuse(
    update: Update, context: CallbackContext[Any, Any, Any, Any]
) -> Actor | None:
    """The registered person behind this update, or None once they were told they may not."""
    actor = await current_actor(update, context)
    if actor is None:  # the gate answers strangers; this guards a role lost meanwhile
        await tell_access_denied(update)
    return actor


async def checked_actor(
    update: Update,
    context: CallbackContext[Any, Any, Any, Any],
    action: Action,
    *,
    object_type: str | None = None,
) -> Actor:
    """The actor, checked for a bureau-wide `action` before anything is asked or shown.

    Raises AccessDenied (already audited) for a stranger or a refusal.
    """
    actor = await current_actor(update, context)
    if actor is None:
        raise AccessDenied(action)
    await access.require(services.get(context).db, actor, action, object_type=object_type)
    return actor
