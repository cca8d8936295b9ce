"""The 绩效跟踪表 by file: 📥 the template (`tk:xt:<report>`) and an uploaded one imported.

The template is written from what the person may fill (the targets, and the answers so far);
an upload goes through workflow.tracking.upload, which checks every cell as a typed answer.
The reply lists each refused cell with why, then shows where the draft continues.
"""

from __future__ import annotations

from typing import Any

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from bot import services
from bot.conversations.form_text import problem_text
from bot.documents.tracking_template import (
    KIND,
    read_tracking_template,
    template_file_name,
    tracking_template_xlsx,
)
from bot.handlers.review.presses import reply
from bot.handlers.uploads.workbooks import register_importer, show_import
from bot.ui.render import render
from storage.types import utcnow
from workflow.core.access import Actor
from workflow.forms.spec import Problem
from workflow.tracking.form import TRACKING_FORM
from workflow.tracking.upload import import_upload, template_start


async def send_template(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, report_id: int
) -> None:
    """📥 pressed: the template of this report, pre-filled."""
    found = services.get(context)
    start = await template_start(
        found.db,
        actor=actor,
        report_id=report_id,
        yellow_points=found.settings.tracking_yellow_points,
    )
    if isinstance(start, Problem):
        await reply(update, str(problem_text(TRACKING_FORM, start)))
        return
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    await context.bot.send_document(
        chat.id,
        InputFile(tracking_template_xlsx(start), filename=template_file_name(start)),
        caption=render("tracking_template_caption", project=start.project),
    )


async def import_workbook(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, report_id: int, workbook: Any
) -> None:
    """An uploaded template of report `report_id`: its cells into the person's draft."""
    cells, unreadable = read_tracking_template(workbook)
    found = services.get(context)
    uploaded = await import_upload(
        found.db,
        actor=actor,
        report_id=report_id,
        cells=cells,
        yellow_points=found.settings.tracking_yellow_points,
        now=utcnow(),
    )
    await show_import(update, context, uploaded, unreadable, TRACKING_FORM)


register_importer(KIND, import_workbook)
