"""An .xlsx sent in a private chat: read, recognised by its hidden marker, imported.

Each stage that hands out a template registers an importer for its marker kind (the
tracking form's is "tracking_report"); the importer checks access and applies the cells.
A file that is too large, not a workbook, or not one of our templates gets a sentence
saying so and what to do instead. Runs whether or not a form is open: the form runner
lets .xlsx files through (a template upload is how a form is filled, not an answer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from markupsafe import Markup
from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import BaseHandler, ContextTypes, MessageHandler, filters

from bot import services
from bot.conversations import form_view
from bot.conversations.form_files import announced
from bot.conversations.form_text import problem_text
from bot.conversations.form_view import Reply
from bot.documents import form_workbook
from bot.handlers.review.presses import reply
from bot.identity import current_actor
from bot.ui.render import render
from bot.ui.replies import send_parts
from workflow.core.access import Actor
from workflow.forms import drafts
from workflow.forms.draft_store import DraftOutcome
from workflow.forms.drafts import Uploaded
from workflow.forms.imports import CellProblem
from workflow.forms.spec import Problem

Importer = Callable[[Update, ContextTypes.DEFAULT_TYPE, Actor, int, Any], Awaitable[None]]
IMPORTERS: dict[str, Importer] = {}
XLSX = filters.Document.FileExtension("xlsx")


def register_importer(kind: str, importer: Importer) -> None:
    """Let uploads of templates marked `kind` reach `importer`."""
    IMPORTERS[kind] = importer


def is_template_upload(message: Message) -> bool:
    """Whether the message carries an .xlsx (a template upload, never a form answer)."""
    name, _, _ = announced(message) or ("", None, "")
    return message.document is not None and name.lower().endswith(".xlsx")


async def on_workbook(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An .xlsx: find whose template it is and let that stage import it."""
    message = update.message
    assert message is not None and message.document is not None
    actor = await current_actor(update, context)
    if actor is None or actor.person_id is None:
        return
    if (message.document.file_size or 0) > form_workbook.MAX_UPLOAD_BYTES:
        await reply(update, render("upload_too_large"))
        return
    await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
    try:
        telegram_file = await context.bot.get_file(message.document.file_id)
        content = bytes(await telegram_file.download_as_bytearray())
    except TelegramError:
        await reply(update, render("upload_download_failed"))
        return
    workbook = form_workbook.read(content)
    found = form_workbook.marker(workbook) if workbook is not None else None
    importer = IMPORTERS.get(found[0]) if found else None
    if workbook is None or found is None or importer is None:
        await _not_a_template(update, context, actor.person_id, readable=workbook is not None)
        return
    await importer(update, context, actor, found[1], workbook)


async def _not_a_template(
    update: Update, context: ContextTypes.DEFAULT_TYPE, person_id: int, *, readable: bool
) -> None:
    """Say the file is no template of ours; with a form open, show where it stands too."""
    notice = Markup(render("upload_not_template", readable=readable))
    current = await drafts.current_draft(services.get(context).db, person_id=person_id)
    if current.view is None:
        await reply(update, notice)
        return
    chat = update.effective_chat
    assert chat is not None
    await send_parts(context.bot, chat.id, *_step(form_view.step(current.view, notice=notice)))


def _step(shown: Reply) -> tuple[str, Any]:
    return shown.text, shown.markup


async def show_import(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    uploaded: Uploaded | Problem,
    unreadable: Sequence[CellProblem],
    form: str,
) -> None:
    """Tell what an upload did: each refused cell and why, then where the draft stands."""
    chat = update.effective_chat
    assert chat is not None
    if isinstance(uploaded, Problem):
        await reply(update, str(problem_text(form, uploaded)))
        return
    result = uploaded.result
    view = result.view
    if view is None:
        await reply(update, str(problem_text(form, result.problem)))
        return
    if result.outcome is DraftOutcome.exists:  # another form is open
        await send_parts(context.bot, chat.id, *_step(form_view.busy(view)))
        return
    problems = [
        {"where": one.where.replace("!", " "), "text": problem_text(form, one.problem)}
        for one in (*unreadable, *uploaded.problems)
    ]
    notice = Markup(
        render(
            "upload_result",
            title=form_view.title(view),
            problems=problems,
            at_summary=view.step.kind == "summary",
        )
    )
    await send_parts(context.bot, chat.id, *_step(form_view.step(view, notice=notice)))


def build_handlers() -> list[BaseHandler]:
    return [MessageHandler(filters.ChatType.PRIVATE & XLSX, on_workbook)]
