"""/track, /opentracking, /adhoc, /funds, /tracksummary and the `tk:` buttons.

Buttons are stateless (`tk:<action>:<argument>[:<argument>]`, under 64 bytes); every press
re-checks access in the workflow.
- tk:c:<report id>        a tracking task's card
- tk:doc:<report id>      its 绩效跟踪表 as Word
- tk:fill:<report id>     填报: opens the tracking form (workflow.tracking.form)
- tk:to:<report id>       确认接手修改: 填报 on a returned report, the edit taken over
- tk:xt:<report id>       the form as an .xlsx template to fill in and upload
- tk:ah:<project id>      不定期跟踪 from a project's card: due date and reason, then opened
- tk:op:<year>:<count>    confirm opening the year's tracking (the count shown)
- tk:f:<kind>:<project>   暂缓/停止/追回/解除暂缓: opens the short fund form
- tk:sum:<year>           the year's tracking summary as Excel
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import services
from bot.documents.tracking_sheet import sheet_file_name, tracking_sheet_docx
from bot.documents.tracking_summary import summary_file_name, tracking_summary_xlsx
from bot.handlers.review.forms import lock_held, open_form
from bot.handlers.review.presses import reply
from bot.handlers.tracking import rectification, upload
from bot.identity import actor_or_refuse
from bot.ui.callbacks import TRACKING_PATTERN, parse_tracking, tracking
from bot.ui.render import render
from bot.ui.replies import reply_parts
from storage.types import utcnow
from workflow.core import numbers
from workflow.core.access import Action, Actor, decide
from workflow.core.clock import local_day
from workflow.forms.parsers import ParseError, parse_date
from workflow.review.edit_lock import Taken
from workflow.tracking import documents, funds, opening, tasks
from workflow.tracking.ad_hoc_form import AD_HOC_FORM, start_ad_hoc
from workflow.tracking.form import TRACKING_FORM, start_tracking_form
from workflow.tracking.fund_form import FUND_FORM, start_fund_action

KINDS = {code: kind for kind, code in funds.BUTTON_CODES.items()}
LIST_BUTTONS = 20


def _this_year() -> int:
    return local_day(utcnow()).year


def _year(text: str | None) -> int | None:
    """A year typed after a command; None when it is not one."""
    return numbers.year(text)


async def track(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/track [year]: my tracking tasks, each with a button to its card."""
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    year = _year(context.args[0]) if context.args else None
    if context.args and year is None:
        await reply(update, render("tracking_usage", command="track"))
        return
    lines = await tasks.list_tasks(services.get(context).db, actor=actor, year=year)
    keyboard = [
        [
            InlineKeyboardButton(
                f"{n}. {line.project}"[:60], callback_data=tracking("c", line.report_id)
            )
        ]
        for n, line in enumerate(lines[:LIST_BUTTONS], start=1)
    ]
    message = update.effective_message
    assert message is not None
    text = render("tracking_list", lines=[line.as_dict() for line in lines])
    await reply_parts(message, text, InlineKeyboardMarkup(keyboard) if keyboard else None)


async def open_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/opentracking <year>: how many tasks would be opened, and a button to confirm."""
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    year = _year(context.args[0]) if context.args else None
    if year is None:
        await reply(update, render("tracking_usage", command="opentracking"))
        return
    counted = await opening.count_to_open(services.get(context).db, actor=actor, year=year)
    count = len(counted.opened)
    buttons = [[("tracking_confirm_open", tracking("op", year, count))]] if count else None
    await reply(
        update,
        render("tracking_open_confirm", year=year, count=count, existing=counted.existing),
        buttons,
    )


async def adhoc(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/adhoc <project id> <due date> <reason>: the performance section tracks one project."""
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    args = context.args or []
    try:
        project_id = numbers.record_id(args[0])
        due = parse_date(args[1])
    except (IndexError, ValueError, ParseError):
        project_id = None
    if project_id is None:
        await reply(update, render("tracking_usage", command="adhoc"))
        return
    result = await opening.open_ad_hoc(
        services.get(context).db,
        actor=actor,
        project_id=project_id,
        due_date=due,
        reason=" ".join(args[2:]),
    )
    buttons = [[("tracking_card", tracking("c", result.report_id))]] if result.report_id else None
    await reply(
        update,
        render("tracking_adhoc", outcome=result.outcome.value, project=result.project, due=due),
        buttons,
    )


async def funds_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/funds <project id>: the budget section's 暂缓/停止/追回/解除暂缓 buttons."""
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    text = context.args[0] if context.args else ""
    project_id = numbers.record_id(text)
    if project_id is None:
        await reply(update, render("tracking_usage", command="funds"))
        return
    db = services.get(context).db
    async with db.sessions() as session:
        limits = await funds.authorized_limits(session, actor, project_id)
        latest = await funds.latest_fund_actions(session, [project_id])
    buttons = [
        [
            ("fund_suspend", tracking("f", "s", project_id)),
            ("fund_stop", tracking("f", "t", project_id)),
        ],
        [
            ("fund_recover", tracking("f", "r", project_id)),
            ("fund_resume", tracking("f", "u", project_id)),
        ],
    ]
    await reply(
        update,
        render(
            "funds_menu",
            project=limits.project,
            annual=funds.money_text(limits.annual),
            executed=funds.money_text(limits.executed),
            suspended=funds.money_text(limits.suspended),
            latest=latest.get(project_id),
        ),
        buttons,
    )


async def summary_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tracksummary [year]: the year's tracking summary for finance, as Excel."""
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    year = _year(context.args[0]) if context.args else _this_year()
    if year is None:
        await reply(update, render("tracking_usage", command="tracksummary"))
        return
    await _send_summary(update, context, actor, year)


async def _send_summary(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, year: int
) -> None:
    rows = await documents.summary_rows(services.get(context).db, actor=actor, year=year)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    content = tracking_summary_xlsx(rows, year=year)
    await context.bot.send_document(
        chat.id,
        InputFile(content, filename=summary_file_name(year)),
        caption=render("tracking_summary_caption", year=year, count=len(rows)),
    )


async def _card(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, report_id: int):
    card = await tasks.task_card(services.get(context).db, actor=actor, report_id=report_id)
    buttons = [[("tracking_sheet", tracking("doc", report_id))]]
    if card.may_fill:
        buttons.insert(
            0,
            [
                ("tracking_fill", tracking("fill", report_id)),
                ("tracking_template", tracking("xt", report_id)),
            ],
        )
    if decide(actor, Action.EXPORT_TRACKING_SUMMARY):
        buttons.append([("tracking_summary", tracking("sum", card.year))])
    if decide(actor, Action.FUND_ACTION):
        project = card.line.project_id
        buttons.append(
            [
                ("fund_suspend", tracking("f", "s", project)),
                ("fund_stop", tracking("f", "t", project)),
            ]
        )
        buttons.append(
            [
                ("fund_recover", tracking("f", "r", project)),
                ("fund_resume", tracking("f", "u", project)),
            ]
        )
    await reply(update, render("tracking_card", card=card.as_dict()), buttons)


async def _sheet(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, report_id: int):
    sheet = await documents.tracking_sheet(
        services.get(context).db, actor=actor, report_id=report_id
    )
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    await context.bot.send_document(
        chat.id, InputFile(tracking_sheet_docx(sheet), filename=sheet_file_name(sheet))
    )


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A `tk:` button."""
    query = update.callback_query
    assert query is not None
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    press = parse_tracking(query.data)
    if press is None or (press.action != "f" and press.number is None):
        await query.answer(render("button_expired"))
        return
    action, number, second = press.action, press.number or 0, press.second
    db = services.get(context).db
    if action == "f" and press.first in KINDS and second:
        opened = await start_fund_action(
            db, actor=actor, project_id=second, kind=KINDS[press.first], now=utcnow()
        )
        await open_form(update, context, opened, form=FUND_FORM)
        return
    if action == "ah":
        opened = await start_ad_hoc(db, actor=actor, project_id=number, now=utcnow())
        await open_form(update, context, opened, form=AD_HOC_FORM)
        return
    if action == "xt":
        await query.answer()
        await upload.send_template(update, context, actor, number)
        return
    if action in ("rp", "ra", "rg", "af"):
        await rectification.on_press(update, context, actor, press)
        return
    if action in ("fill", "to"):
        settings = services.get(context).settings
        opened = await start_tracking_form(
            db,
            actor=actor,
            report_id=number,
            yellow_points=settings.tracking_yellow_points,
            now=utcnow(),
            take_over=action == "to",
        )
        if isinstance(opened, Taken):
            await lock_held(update, opened, tracking("to", number))
            return
        await open_form(update, context, opened, form=TRACKING_FORM)
        return
    await query.answer()
    if action == "c":
        await _card(update, context, actor, number)
    elif action == "doc":
        await _sheet(update, context, actor, number)
    elif action == "sum":
        await _send_summary(update, context, actor, number)
    elif action == "op" and second:
        await _confirm_open(update, context, actor, number, second)


async def _confirm_open(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, year: int, count: int
) -> None:
    done = await opening.open_tracking(services.get(context).db, actor=actor, year=year)
    await reply(
        update,
        render(
            "tracking_open_done",
            year=year,
            opened=len(done.opened),
            existing=done.existing,
            expected=count,
            now=utcnow(),
        ),
    )


def build_handlers() -> list[BaseHandler]:
    """The handlers of the tracking stage."""
    return [
        CommandHandler("track", track),
        CommandHandler("opentracking", open_command),
        CommandHandler("adhoc", adhoc),
        CommandHandler("funds", funds_command),
        CommandHandler("tracksummary", summary_command),
        CallbackQueryHandler(on_press, pattern=TRACKING_PATTERN),
    ]
