"""/evaluate, /openevaluation and the `ev:` buttons.

Buttons are stateless (`ev:<action>:<argument>[:<argument>]`, under 64 bytes); every press
re-checks access in the workflow.
- ev:c:<self-evaluation id>  a self-evaluation task's card
- ev:to:<self-evaluation id> 确认接手修改: 填报 on a returned one, the edit taken over
- ev:op:<year>:<count>       confirm opening the year's self-evaluation (the count shown)
- ev:doc, ev:rw, ev:rd, ev:rx  the self-evaluation files (bot.handlers.evaluation.documents)
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import services
from bot.handlers.evaluation import documents, upload
from bot.handlers.review.forms import lock_held, open_form
from bot.handlers.review.presses import reply
from bot.identity import actor_or_refuse
from bot.ui.callbacks import EVALUATION_PATTERN, evaluation, parse_evaluation
from bot.ui.render import render
from bot.ui.replies import reply_parts
from storage.types import utcnow
from workflow.core import numbers
from workflow.core.access import Actor
from workflow.core.clock import local_day
from workflow.evaluation import opening, tasks
from workflow.evaluation.form import SELF_EVALUATION_FORM
from workflow.evaluation.start import start_evaluation_form
from workflow.review.edit_lock import Taken

LIST_BUTTONS = 20


def _year(text: str | None) -> int | None:
    """A year typed after a command; None when it is not one."""
    return numbers.year(text)


def _last_year() -> int:
    """The budget year that ended last: the one a department evaluates now."""
    return local_day(utcnow()).year - 1


async def evaluate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/evaluate [year]: my self-evaluation tasks, each with a button to its card."""
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    year = _year(context.args[0]) if context.args else None
    if context.args and year is None:
        await reply(update, render("evaluation_usage", command="evaluate"))
        return
    lines = await tasks.list_tasks(services.get(context).db, actor=actor, year=year)
    keyboard = [
        [
            InlineKeyboardButton(
                f"{n}. {line.project}"[:60], callback_data=evaluation("c", line.evaluation_id)
            )
        ]
        for n, line in enumerate(lines[:LIST_BUTTONS], start=1)
    ]
    message = update.effective_message
    assert message is not None
    text = render("evaluation_list", lines=[line.as_dict() for line in lines])
    await reply_parts(message, text, InlineKeyboardMarkup(keyboard) if keyboard else None)


async def open_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/openevaluation [year]: how many would be opened (last year's by default), to confirm."""
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    year = _year(context.args[0]) if context.args else _last_year()
    if year is None:
        await reply(update, render("evaluation_usage", command="openevaluation"))
        return
    counted = await opening.count_to_open(services.get(context).db, actor=actor, year=year)
    count = len(counted.opened)
    buttons = [[("evaluation_confirm_open", evaluation("op", year, count))]] if count else None
    await reply(
        update,
        render("evaluation_open_confirm", year=year, count=count, existing=counted.existing),
        buttons,
    )


async def _card(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, evaluation_id: int
) -> None:
    card = await tasks.task_card(services.get(context).db, actor=actor, evaluation_id=evaluation_id)
    buttons = [[("evaluation_sheet", evaluation("doc", evaluation_id))]]
    if card.may_fill:
        buttons.insert(
            0,
            [
                ("evaluation_fill", evaluation("fill", evaluation_id)),
                ("tracking_template", evaluation("xt", evaluation_id)),
            ],
        )
    await reply(update, render("evaluation_card", card=card.as_dict()), buttons)


async def _confirm_open(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, year: int, count: int
) -> None:
    done = await opening.open_evaluation(services.get(context).db, actor=actor, year=year)
    await reply(
        update,
        render(
            "evaluation_open_done",
            year=year,
            opened=len(done.opened),
            existing=done.existing,
            expected=count,
        ),
    )


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An `ev:` button."""
    query = update.callback_query
    assert query is not None
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    press = parse_evaluation(query.data)
    two = ("op", *documents.REPORT_ACTIONS)  # the presses that carry a second number
    if press is None or (press.action in two and press.second is None):
        await query.answer(render("button_expired"))
        return
    if press.action in ("fill", "to"):
        opened = await start_evaluation_form(
            services.get(context).db,
            actor=actor,
            evaluation_id=press.number,
            now=utcnow(),
            take_over=press.action == "to",
        )
        if isinstance(opened, Taken):
            await lock_held(update, opened, evaluation("to", press.number))
            return
        await open_form(update, context, opened, form=SELF_EVALUATION_FORM)
        return
    if press.action == "xt":
        await query.answer()
        await upload.send_template(update, context, actor, press.number)
        return
    if press.action in documents.REPORT_ACTIONS:
        await documents.on_report_press(update, context, actor, press)
        return
    if press.action == "c":
        await _card(update, context, actor, press.number)  # a refusal answers the press
        await query.answer()
    elif press.action == "doc":
        await documents.send_sheet(update, context, actor, press.number)
    elif press.action == "op" and press.second:
        await query.answer()  # opening a whole year takes a moment: stop the spinner first
        await _confirm_open(update, context, actor, press.number, press.second)


def build_handlers() -> list[BaseHandler]:
    """The handlers of the self-evaluation stage."""
    return [
        CommandHandler("evaluate", evaluate),
        CommandHandler("openevaluation", open_command),
        CommandHandler("evalreport", documents.report_command),
        CallbackQueryHandler(on_press, pattern=EVALUATION_PATTERN),
    ]
