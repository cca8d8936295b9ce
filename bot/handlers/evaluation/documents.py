"""The self-evaluation files: a project's 自评表 (Word), the department's report (Word) and
its projects' scores (Excel), /evalreport, and the narrative form behind ✍️ 填写自评价报告.

Presses arrive through bot.handlers.evaluation.tasks (one `ev:` dispatcher):
- ev:doc:<self-evaluation>      the 自评表 as Word
- ev:rw:<department>:<year>     write or edit the report's narrative (the department_report form)
- ev:rd:<department>:<year>     the report as Word
- ev:rx:<department>:<year>     the department's scores as Excel
Every press re-checks access in the workflow; a refusal is answered by the error handler.
"""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from bot import services
from bot.documents.evaluation_report import evaluation_report_docx, report_file_name
from bot.documents.evaluation_scores import evaluation_scores_xlsx, scores_file_name
from bot.documents.evaluation_sheet import evaluation_sheet_docx, sheet_file_name
from bot.handlers.review.forms import open_form
from bot.handlers.review.presses import reply
from bot.identity import current_actor, tell_access_denied
from bot.ui.callbacks import EvaluationPress, evaluation
from bot.ui.render import render
from storage.types import utcnow
from workflow.core import numbers
from workflow.core.access import Actor
from workflow.core.clock import local_day
from workflow.evaluation import documents, report
from workflow.evaluation.report_form import start_report_form
from workflow.review.notices import local_time

REPORT_ACTIONS = ("rw", "rd", "rx")


def _year(text: str) -> int | None:
    """A year typed after a command; None when it is not one."""
    return numbers.year(text)


async def _send(
    update: Update, context: ContextTypes.DEFAULT_TYPE, content: bytes, name: str, caption: str = ""
) -> None:
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id, InputFile(content, filename=name), caption=caption or None
    )


async def _uploading(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press (after the workflow allowed it: a refusal answers it instead)."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)


async def send_sheet(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, evaluation_id: int
) -> None:
    """📄 绩效自评表 (Word) pressed on a task card."""
    sheet = await documents.evaluation_sheet(
        services.get(context).db, actor=actor, evaluation_id=evaluation_id
    )
    await _uploading(update, context)
    await _send(update, context, evaluation_sheet_docx(sheet), sheet_file_name(sheet))


async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/evalreport [year] [department code]: the report's state, with its buttons."""
    actor = await current_actor(update, context)
    if actor is None:
        await tell_access_denied(update)
        return
    args = list(context.args or [])
    year = _year(args[0]) if args else local_day(utcnow()).year - 1
    if year is None or len(args) > 2:
        await reply(update, render("evaluation_report_usage", reason="usage"))
        return
    code = args[1] if len(args) == 2 else None
    state = await report.report_state(services.get(context).db, actor=actor, year=year, code=code)
    if state is None:
        await reply(update, render("evaluation_report_usage", reason="no_department", code=code))
        return
    department = state.department_id
    buttons = []
    if state.may_write:
        label = "evaluation_report_edit" if state.narrative else "evaluation_report_write"
        buttons.append([(label, evaluation("rw", department, year))])
    buttons.append([("evaluation_report_docx", evaluation("rd", department, year))])
    buttons.append([("evaluation_report_scores", evaluation("rx", department, year))])
    written = state.narrative.written_at if state.narrative else None
    text = render(
        "evaluation_report", state=state, written_at=local_time(written) if written else None
    )
    await reply(update, text, buttons)


async def on_report_press(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: EvaluationPress
) -> None:
    """ev:rw / ev:rd / ev:rx: write the narrative, or get the report or the scores."""
    db = services.get(context).db
    department, year = press.number, press.second or 0
    if press.action == "rw":
        opened = await start_report_form(
            db, actor=actor, department_id=department, year=year, now=utcnow()
        )
        await open_form(update, context, opened, form=report.REPORT_FORM)
        return
    if press.action == "rd":
        found = await report.department_report(db, actor=actor, department_id=department, year=year)
        await _uploading(update, context)
        caption = render(
            "evaluation_report_caption",
            department=found.department,
            year=year,
            kind="report",
            count=len(found.results),
        )
        await _send(
            update, context, evaluation_report_docx(found), report_file_name(found), caption
        )
        return
    book = await report.score_book(db, actor=actor, department_id=department, year=year)
    await _uploading(update, context)
    caption = render(
        "evaluation_report_caption",
        department=book.department,
        year=year,
        kind="scores",
        count=len(book.rows),
    )
    content = evaluation_scores_xlsx(book.rows)
    await _send(update, context, content, scores_file_name(book.department, year), caption)
