"""/resultsdisclosure [year] [department code]: the evaluation results table to publish;
/evalsummary [year]: finance's summary of every project's evaluation (streamed Excel)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import services
from bot.documents.evaluation_summary import summary_file_name, write_summary
from bot.documents.results_disclosure import file_name, results_docx, results_xlsx
from bot.handlers.review.presses import reply
from bot.identity import current_actor, tell_access_denied
from bot.ui.render import render
from storage.types import utcnow
from workflow.core import numbers
from workflow.core.clock import local_day
from workflow.results.disclosure import results_disclosure
from workflow.results.summary import summary_lines


async def export_results(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """My department's results of a year (last year by default), as xlsx and docx."""
    actor = await current_actor(update, context)
    if actor is None:
        await tell_access_denied(update)
        return
    args = list(context.args or [])
    if args and numbers.year(args[0]) is None:
        await reply(update, render("results_disclosure_usage"))
        return
    year = numbers.year(args[0]) if args else local_day(utcnow()).year - 1
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


async def export_summary(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/evalsummary [year]: every issued project's evaluation results, for finance (Excel)."""
    actor = await current_actor(update, context)
    if actor is None:
        await tell_access_denied(update)
        return
    args = list(context.args or [])
    year = (numbers.year(args[0]) if args else None) or local_day(utcnow()).year - 1
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    with tempfile.TemporaryDirectory(prefix="perfbot-summary-") as scratch:
        path = Path(scratch) / summary_file_name(year)
        lines = summary_lines(services.get(context).db, actor=actor, year=year)
        count = await write_summary(lines, path)
        with path.open("rb") as content:
            await context.bot.send_document(
                chat.id,
                InputFile(content, filename=path.name),
                caption=render("evaluation_summary_caption", year=year, count=count),
            )


def build_handlers() -> list[BaseHandler]:
    return [
        CommandHandler("resultsdisclosure", export_results),
        CommandHandler("evalsummary", export_summary),
    ]
