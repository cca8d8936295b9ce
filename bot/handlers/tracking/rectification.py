"""Rectification presses: 提出整改建议 on the performance section's tracking card (`rv:rq`),
书面回复 (`tk:rp`), 认可 and 要求重新整改 (`tk:ra`, `tk:rg`). Each opens a one-text form or
applies the decision once; workflow.tracking.rectification holds the rules."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot import services
from bot.handlers.review.cards import register_press_action
from bot.handlers.review.forms import open_form
from bot.handlers.review.presses import Press, reply
from bot.ui.callbacks import TrackingPress
from bot.ui.render import render
from storage.types import utcnow
from workflow.core.access import Actor
from workflow.tracking import rectification
from workflow.tracking.rectification_files import reply_files
from workflow.tracking.rectification_forms import (
    AGAIN_FORM,
    REPLY_FORM,
    SUGGESTION_FORM,
    start_again,
    start_reply,
    start_suggestion,
)


async def suggest(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """提出整改建议 on a tracking report waiting at the performance section."""
    opened = await start_suggestion(
        services.get(context).db,
        actor=actor,
        report_id=press.item_id,
        version=press.version,
        now=utcnow(),
    )
    await open_form(update, context, opened, form=SUGGESTION_FORM)


async def on_press(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: TrackingPress
) -> None:
    """A `tk:rp|ra|rg|af` press (the request or reply id first, the row version second)."""
    db = services.get(context).db
    request_id = press.number or 0
    if press.action == "rp":
        opened = await start_reply(db, actor=actor, request_id=request_id, now=utcnow())
        await open_form(update, context, opened, form=REPLY_FORM)
    elif press.action == "rg" and press.second:
        opened = await start_again(
            db, actor=actor, request_id=request_id, version=press.second, now=utcnow()
        )
        await open_form(update, context, opened, form=AGAIN_FORM)
    elif press.action == "ra" and press.second:
        outcome = await rectification.accept(
            db, actor=actor, request_id=request_id, version=press.second
        )
        assert update.callback_query is not None
        await update.callback_query.answer()
        await reply(update, render("rectification_decided", outcome=outcome))
    elif press.action == "af":
        await _send_files(update, context, actor, request_id)


async def _send_files(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, reply_id: int
) -> None:
    """Send the files kept with a written reply, one document each."""
    query = update.callback_query
    assert query is not None
    kept = await reply_files(services.get(context).db, actor=actor, reply_id=reply_id)
    await query.answer()
    chat_id = query.message.chat.id if query.message else actor.person_id or 0
    if not kept:
        await reply(update, render("rectification_no_files"))
    for file in kept:
        await context.bot.send_document(chat_id, InputFile(file.content, filename=file.file_name))


register_press_action("rq", suggest)
