"""/budget, /issue, /adjust and /disclosure, and the 申报表 button of review cards.

- /budget [year]: the budget section's list of the year's projects, 不予预算安排 marked.
- /issue <year>: shows what would be issued and asks to confirm (`rv:is:<year>:<count>`:
  the count shown, so a confirmation made stale by a later approval issues nothing).
- /adjust [year]: my issued projects, each with 申请调整 (`rv:aj:<version id>:<version>`).
- /disclosure [year] [organisation code]: the publication table of my department (finance
  sections name the department), as xlsx and docx.
"""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import services
from bot.documents.disclosure import disclosure_docx, disclosure_xlsx, file_name
from bot.documents.goal_sheet import file_name as sheet_file_name
from bot.documents.goal_sheet import render_goal_document
from bot.handlers.review.presses import Press, PressAction, alert, reply
from bot.identity import actor_or_refuse
from bot.ui import callbacks
from bot.ui.buttons import label
from bot.ui.render import render
from bot.ui.replies import reply_parts
from storage.types import utcnow
from workflow.core import numbers
from workflow.core.access import Actor
from workflow.core.clock import local_day
from workflow.goals import adjustment, disclosure, issuance, years
from workflow.review import views as review_views
from workflow.review.notices import local_time


def _year(context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The year given after the command, None when absent; -1 when it is not a year."""
    if not context.args:
        return None
    year = numbers.year(context.args[0])
    return -1 if year is None else year


async def budget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/budget [year]: every project of the year and where its goals stand."""
    actor = await actor_or_refuse(update, context)
    year = _year(context)
    if actor is None:
        return
    if year == -1:
        await reply(update, render("issuance_usage", command="budget"))
        return
    db = services.get(context).db
    overview = await issuance.budget_overview(
        db, actor=actor, year=year or await years.year_in_progress(db)
    )
    await reply(
        update,
        render(
            "budget_overview",
            year=overview.year,
            lines=[line.as_dict() for line in overview.lines],
            ready=len(overview.ready),
            unfunded=len(overview.unfunded),
            funds=overview.fund_actions,
            priors=overview.priors,
        ),
    )


async def issue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/issue <year>: what would be issued, and a button to confirm."""
    actor = await actor_or_refuse(update, context)
    year = _year(context)
    if actor is None:
        return
    if year is None or year == -1:
        await reply(update, render("issuance_usage", command="issue"))
        return
    overview = await issuance.budget_overview(services.get(context).db, actor=actor, year=year)
    if overview.before_congress:
        await reply(update, render("issue_before_congress", year=year, date=overview.congress_date))
        return
    ready = overview.ready
    text = render(
        "issue_confirm",
        year=year,
        ready=[line.as_dict() for line in ready],
        unfunded=[line.as_dict() for line in overview.closing],
    )
    keyboard = None
    if ready:
        button = InlineKeyboardButton(
            label("issue_confirm"), callback_data=callbacks.review("is", year, len(ready))
        )
        keyboard = InlineKeyboardMarkup([[button]])
    message = update.effective_message
    assert message is not None
    await reply_parts(message, text, keyboard)


async def confirm_issue(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """确认批复下达: issue every approved goal of the year, once."""
    query = update.callback_query
    assert query is not None
    done = await issuance.issue_year(
        services.get(context).db, actor=actor, year=press.item_id, expected=press.version
    )
    await query.answer()
    if done.congress_date is not None:
        date = done.congress_date
        await reply(update, render("issue_before_congress", year=done.year, date=date))
        return
    text = render(
        "issue_done",
        year=done.year,
        stale=done.stale,
        already_at=local_time(done.already_at) if done.already_at else None,
        issued=[line.as_dict() for line in done.issued],
        no_budget=[line.as_dict() for line in done.no_budget],
    )
    message = query.message
    if isinstance(message, Message):
        try:
            await message.edit_reply_markup(reply_markup=None)
        except BadRequest:
            pass
    await reply(update, text)


async def adjust(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/adjust [year]: my issued projects, each with 申请调整."""
    actor = await actor_or_refuse(update, context)
    year = _year(context)
    if actor is None:
        return
    if year == -1:
        await reply(update, render("issuance_usage", command="adjust"))
        return
    found = await adjustment.adjustable(services.get(context).db, actor=actor, year=year)
    rows = [
        [
            InlineKeyboardButton(
                f"{label('adjust')}：{item.project}"[:60],
                callback_data=callbacks.review("aj", item.goal_version_id, item.version),
            )
        ]
        for item in found
        if item.open_status is None
    ][:20]
    message = update.effective_message
    assert message is not None
    await message.reply_text(
        render("adjust_list", items=[item.as_dict() for item in found]),
        reply_markup=InlineKeyboardMarkup(rows) if rows else None,
    )


async def export_disclosure(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/disclosure [year] [code]: my department's publication table (or the one named)."""
    actor = await actor_or_refuse(update, context)
    year = _year(context)
    if actor is None:
        return
    if year == -1:
        await reply(update, render("issuance_usage", command="disclosure"))
        return
    code = context.args[1] if context.args and len(context.args) > 1 else None
    db = services.get(context).db
    table = await disclosure.disclosure(
        db, actor=actor, year=year or await years.newest_issued_year(db), organisation_code=code
    )
    chat = update.effective_chat
    assert chat is not None
    if table.organisation_needed:
        await reply(update, render("issuance_usage", command="disclosure"))
        return
    if table.unknown_code:
        await reply(update, render("disclosure_unknown_code", code=code, year=table.year))
        return
    if table.empty:
        await reply(
            update, render("disclosure_empty", year=table.year, department=table.department)
        )
        return
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    caption = render(
        "disclosure_caption",
        year=table.year,
        department=table.department,
        count=len(table.projects),
    )
    for content, extension in ((disclosure_xlsx(table), "xlsx"), (disclosure_docx(table), "docx")):
        document = InputFile(content, filename=file_name(table, extension))
        await context.bot.send_document(chat.id, document, caption=caption)


async def goal_form_document(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """申报表: the item's 项目支出绩效目标申报表 as a Word file."""
    query = update.callback_query
    assert query is not None
    sheet = await review_views.goal_sheet(
        services.get(context).db, actor=actor, goal_version_id=press.item_id
    )
    if sheet is None:
        await alert(query, "not_found")
        return
    await query.answer()
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    today: dt.date = local_day(utcnow())
    content = render_goal_document(sheet, today=today)
    await context.bot.send_document(chat.id, InputFile(content, filename=sheet_file_name(sheet)))


PRESS_ACTIONS: dict[str, PressAction] = {"is": confirm_issue, "fm": goal_form_document}


def build_handlers() -> list[BaseHandler]:
    """The handlers of this feature (its buttons are routed by bot.handlers.review.cards)."""
    return [
        CommandHandler("budget", budget),
        CommandHandler("issue", issue),
        CommandHandler("adjust", adjust),
        CommandHandler("disclosure", export_disclosure),
    ]
