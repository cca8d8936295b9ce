"""The 自评表 by file: 📥 the template (`ev:xt:<self-evaluation>`) and an uploaded one imported.

The template carries the indicators, the weights and the answers so far; an upload goes
through workflow.evaluation.upload, every cell checked as a typed answer.
"""

from __future__ import annotations

from typing import Any

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from bot import services
from bot.conversations.form_text import problem_text
from bot.documents.evaluation_template import (
    KIND,
    evaluation_template_xlsx,
    read_evaluation_template,
    template_file_name,
)
from bot.handlers.review.presses import reply
from bot.handlers.uploads.workbooks import register_importer, show_import
from bot.ui.render import render
from storage.types import utcnow
from workflow.core.access import Actor
from workflow.evaluation.form import SELF_EVALUATION_FORM
from workflow.evaluation.upload import import_upload, template_start
from workflow.forms.spec import Problem


async def send_template(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, evaluation_id: int
) -> None:
    """📥 pressed: the template of this self-evaluation, pre-filled."""
    start = await template_start(services.get(context).db, actor=actor, evaluation_id=evaluation_id)
    if isinstance(start, Problem):
        await reply(update, str(problem_text(SELF_EVALUATION_FORM, start)))
        return
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    await context.bot.send_document(
        chat.id,
        InputFile(evaluation_template_xlsx(start), filename=template_file_name(start)),
        caption=render("evaluation_template_caption", project=start.project),
    )


async def import_workbook(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    actor: Actor,
    evaluation_id: int,
    workbook: Any,
) -> None:
    """An uploaded template of self-evaluation `evaluation_id`: its cells into the draft."""
    cells, unreadable = read_evaluation_template(workbook)
    uploaded = await import_upload(
        services.get(context).db,
        actor=actor,
        evaluation_id=evaluation_id,
        cells=cells,
        now=utcnow(),
    )
    await show_import(update, context, uploaded, unreadable, SELF_EVALUATION_FORM)


register_importer(KIND, import_workbook)
