"""/stats [year]: a short summary, the charts as an album, every figure as .xlsx; a 📊 button
opens the web dashboard when its address is configured."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Update,
    WebAppInfo,
)
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import services
from bot.dashboards import charts, workbook
from bot.dashboards.summary import summary_context
from bot.handlers.review.presses import reply
from bot.identity import current_actor, tell_access_denied
from bot.ui.buttons import label
from bot.ui.render import render
from bot.ui.replies import reply_parts
from storage.types import utcnow
from workflow.core.access import AccessDenied
from workflow.core.clock import local_day
from workflow.dashboards.registry import View
from workflow.dashboards.stats import year_stats

ALBUM = 10  # photos per media group


async def show_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats [year]: the figures I may see, in words, pictures and a workbook."""
    actor = await current_actor(update, context)
    args = list(context.args or [])
    if actor is None:
        await tell_access_denied(update)
        return
    if len(args) > 1 or (args and not (args[0].isdigit() and len(args[0]) == 4)):
        await reply(update, render("stats_usage"))
        return
    today = local_day(utcnow())
    year = int(args[0]) if args else today.year
    chat = update.effective_chat
    assert chat is not None
    try:
        stats = await year_stats(services.get(context).db, actor=actor, year=year, today=today)
    except AccessDenied:
        await tell_access_denied(update)
        return
    if not stats.headline.projects:
        await reply(update, render("stats_empty", year=year))
        return
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_PHOTO)
    message = update.effective_message
    assert message is not None
    await reply_parts(
        message, render("stats_summary", **summary_context(stats)), _web_button(context)
    )
    views = [view for view in stats.views if not view.empty]
    pictures = await asyncio.to_thread(_pictures, views)
    for start in range(0, len(pictures), ALBUM):
        chunk = pictures[start : start + ALBUM]
        if len(chunk) == 1:
            await context.bot.send_photo(chat.id, chunk[0])
        else:
            await context.bot.send_media_group(chat.id, [InputMediaPhoto(p) for p in chunk])
    with tempfile.TemporaryDirectory(prefix="perfbot-stats-") as scratch:
        path = Path(scratch) / workbook.file_name(year)
        await asyncio.to_thread(workbook.write_workbook, views, path)
        with path.open("rb") as content:
            await context.bot.send_document(
                chat.id,
                InputFile(content, filename=path.name),
                caption=render("stats_caption", year=year),
            )


def _pictures(views: list[View]) -> list[bytes]:
    """The charts as PNG (drawn off the event loop)."""
    return [charts.png(view) for view in views]


def _web_button(context: ContextTypes.DEFAULT_TYPE) -> InlineKeyboardMarkup | None:
    """📊 opening the web dashboard, when its address is configured."""
    address = services.get(context).settings.web_app_url
    if not address:
        return None
    button = InlineKeyboardButton(label("stats_web"), web_app=WebAppInfo(url=f"{address}/"))
    return InlineKeyboardMarkup([[button]])


def build_handlers() -> list[BaseHandler]:
    return [CommandHandler("stats", show_stats)]
