"""/orgs [search]: the organisation directory, searchable and paged with buttons."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import services
from bot.identity import checked_actor
from bot.ui.buttons import label
from bot.ui.callbacks import ORGS_PATTERN, orgs_page, parse_orgs_page
from bot.ui.render import render
from workflow.core.access import Action
from workflow.people.directory import OrganisationPage, organisations


def page_reply(found: OrganisationPage) -> tuple[str, InlineKeyboardMarkup | None]:
    """The page's text and its ⬅️/➡️ buttons."""
    text = render(
        "orgs_list",
        lines=found.lines,
        search=found.search,
        page=found.page + 1,
        pages=found.pages,
        total=found.total,
    )
    buttons = []
    if found.page > 0:
        buttons.append(
            InlineKeyboardButton(
                label("page_previous"), callback_data=orgs_page(found.page - 1, found.search)
            )
        )
    if found.page + 1 < found.pages:
        buttons.append(
            InlineKeyboardButton(
                label("page_next"), callback_data=orgs_page(found.page + 1, found.search)
            )
        )
    return text, InlineKeyboardMarkup([buttons]) if buttons else None


async def orgs(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/orgs [search]: organisations whose code or name holds the search."""
    actor = await checked_actor(update, context, Action.VIEW_ORGANISATIONS)
    search = " ".join(context.args or []) or None
    found = await organisations(services.get(context).db, actor=actor, search=search)
    text, markup = page_reply(found)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def turn_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """⬅️/➡️ on a directory page: the same message shows the other page."""
    query = update.callback_query
    actor = await checked_actor(update, context, Action.VIEW_ORGANISATIONS)
    parsed = parse_orgs_page(query.data)
    if parsed is None:
        await query.answer(render("button_expired"))
        return
    await query.answer()
    page, search = parsed
    found = await organisations(services.get(context).db, actor=actor, search=search, page=page)
    text, markup = page_reply(found)
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, reply_markup=markup)
        except BadRequest:
            pass  # the same page again: nothing to change


def build_handlers() -> list[BaseHandler]:
    """The handlers of this feature."""
    return [
        CommandHandler("orgs", orgs),
        CallbackQueryHandler(turn_page, pattern=ORGS_PATTERN),
    ]
