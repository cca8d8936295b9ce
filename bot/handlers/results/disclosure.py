"""/resultsdisclosure [year] [department code]: the evaluation results table to publish."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import services
from bot.documents.results_disclosure import file_name, results_docx, results_xlsx
from bot.handlers.review.presses import reply
from bot.identity import current_actor, tell_access_denied
from bot.ui.render import render
from storage.types import utcnow
from workflow.core.clock import local_day
from workflow.results.disclosure import results_disclosure


async def export_results(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """My department's results of a year (last year by default), as xlsx and docx."""
    actor = await current_actor(update, context)
    if actor is None:
        await tell_access_denied(update)
        return
    args = list(context.args or [])
    if args and not args[0].isdigit():
        await reply(update, render("results_disclosure_usage"))
        return
    year = int(args[0]) if args else local_day(utcnow()).year - 1
    code = args[1] if len(args) > 1 else None
    table = await results_disclosure(
        services.get(context).db, actor=actor, year=year, organisation_code=code
    )
    if table.organisation_needed:
        await reply(update, render("results_disclosure_usage"))
        return
    if not table.results:
        await reply(update, render("disclosure_empty", year=year, department=table.department))
        return
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    for content, extension in ((results_xlsx(table), "xlsx"), (results_docx(table), "docx")):
        document = InputFile(content, filename=file_name(table, extension))
        await context.bot.send_document(chat.id, document)


def build_handlers() -> list[BaseHandler]:
    return [CommandHandler("resultsdisclosure", export_results)]
