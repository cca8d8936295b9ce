"""Files sent while a form asks for them: checked, downloaded, kept with the draft.

A document or photo reaches here only when the person's current question takes files
(Kind.files). Name and size are checked before anything is downloaded, so a 300 MB video
costs nothing; the bytes are checked again once downloaded.
"""

from __future__ import annotations

import logging

from telegram import Message
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import services
from storage.types import utcnow
from workflow.forms import attachments, files
from workflow.forms.draft_store import DraftResult, DraftView
from workflow.forms.files import Upload
from workflow.forms.spec import Kind, Problem

log = logging.getLogger(__name__)


def expects_file(view: DraftView) -> bool:
    """Whether the draft's current question takes files."""
    field = view.step.field
    return view.step.kind == "field" and field is not None and field.kind is Kind.files


def announced(message: Message) -> tuple[str, int | None, str] | None:
    """(file name, size, Telegram file id) of the message's document or largest photo."""
    if message.document is not None:
        document = message.document
        return document.file_name or "", document.file_size, document.file_id
    if message.photo:
        photo = max(message.photo, key=lambda size: (size.width * size.height, size.file_size))
        return f"照片{message.message_id}.jpg", photo.file_size, photo.file_id
    return None


async def receive(
    context: ContextTypes.DEFAULT_TYPE, message: Message, person_id: int
) -> DraftResult | Problem:
    """Keep the file of `message` with the person's draft, or say why it is refused."""
    name, size, file_id = announced(message) or ("", None, "")
    problem = files.announced_problem(name, size)
    if problem is not None:
        return problem
    try:
        telegram_file = await context.bot.get_file(file_id)
        content = bytes(await telegram_file.download_as_bytearray())
    except TelegramError:
        log.warning("could not download file %s", file_id, exc_info=True)
        return Problem("file_download_failed")
    upload = Upload(file_name=name, size=len(content), content=content, telegram_file_id=file_id)
    return await attachments.attach(
        services.get(context).db, person_id=person_id, upload=upload, now=utcnow()
    )
