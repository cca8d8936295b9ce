"""/sample, /select and /checks: the performance section picks what finance evaluates.

- /sample <year> <share|count> [按部门|按金额] [seed]: the draw previewed (population, seed,
  the projects), then kept with ✅ 确认抽取 (`rs:d:…`, the rule in the button).
- /select <project id> <重点|抽查> <reason>: a project marked for key evaluation or added to
  the spot checks by hand.
- /checks [year]: every selected project, drawn or added, with reasons and the seed, and
  the next step on each: 🧮 评价 (re-score, `rs:e`), then 📤 出具报告 (`rs:i`), which sends
  the department 📄 the report (`rs:w`) and ✍️ its rectification plan form (`rs:p`).
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import services
from bot.conversations.form_text import problem_text
from bot.documents.finance_report import finance_report_docx, report_file_name
from bot.handlers.review.forms import open_form
from bot.handlers.review.presses import reply
from bot.identity import current_actor, tell_access_denied
from bot.ui import buttons as buttons_text
from bot.ui.callbacks import (
    SAMPLE_PATTERN,
    SamplePress,
    parse_results,
    parse_sample,
    results,
)
from bot.ui.render import render
from bot.ui.replies import reply_parts
from storage.models.enums import FinanceCheck
from storage.types import utcnow
from workflow.core import numbers
from workflow.core.access import Action, Actor, decide
from workflow.core.clock import local_day
from workflow.forms.spec import Problem
from workflow.results import linkage, report, selection
from workflow.results.finance_form import FINANCE_FORM, start_finance_evaluation
from workflow.results.linkage import LINKAGE_FORM, start_linkage
from workflow.results.plan_form import PLAN_FORM, start_plan
from workflow.results.sampling import SampleRule

STRATA_WORDS = {"按部门": "department", "按金额": "amount", "不分层": "none"}
CHECK_WORDS = {"重点": FinanceCheck.key_evaluation, "抽查": FinanceCheck.spot_check}
TEXTS = "common"
LIST_BUTTONS = 20  # problem texts of finance's checks live with the shared ones


async def _actor(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Actor | None:
    actor = await current_actor(update, context)
    if actor is None or not decide(actor, Action.SELECT_FINANCE_CHECK):
        await tell_access_denied(update)
        return None
    return actor


def _size(text: str) -> tuple[Decimal | None, int | None] | None:
    """ "20%" or "0.2" → a share in percent; "10" → a count; None when neither."""
    try:
        if text.endswith("%"):
            return Decimal(text[:-1]), None
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value < 1:
        return value * 100, None
    return (None, int(value)) if value == value.to_integral() else None


def _press(args: list[str]) -> SamplePress | None:
    """The draw a /sample command asks for, None when it cannot be read."""
    if len(args) < 2 or numbers.year(args[0]) is None:
        return None
    size = _size(args[1])
    stratify = "none"
    rest = args[2:]
    if rest and rest[0] in STRATA_WORDS:
        stratify, rest = STRATA_WORDS[rest[0]], rest[1:]
    seed = rest[0] if rest else secrets.token_hex(4)
    if size is None or len(rest) > 1:
        return None
    share, count = size
    press = SamplePress(numbers.year(args[0]) or 0, share, count, stratify, seed)
    return press if parse_sample(press.data()) == press else None


def _rule(press: SamplePress) -> SampleRule:
    share = press.share_percent / 100 if press.share_percent is not None else None
    return SampleRule(seed=press.seed, share=share, count=press.count, stratify=press.stratify)


async def sample_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Preview a draw; ✅ keeps it."""
    actor = await _actor(update, context)
    if actor is None:
        return
    press = _press(list(context.args or []))
    if press is None:
        await reply(update, render("sample_usage"))
        return
    found = await selection.preview(services.get(context).db, year=press.year, rule=_rule(press))
    if isinstance(found, Problem):
        await reply(update, str(problem_text(TEXTS, found)))
        return
    await reply(
        update,
        render("sample_preview", preview=found, press=press),
        [[("sample_confirm", press.data())]],
    )


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An `rs:` button: 确认抽取, or a step on one selection (the workflow checks who)."""
    query = update.callback_query
    assert query is not None
    actor = await current_actor(update, context)
    if actor is None:
        await tell_access_denied(update)
        return
    pressed = parse_results(query.data)
    if pressed is not None:
        await _result_press(update, context, actor, *pressed)
        return
    press = parse_sample(query.data)
    if press is None:
        await query.answer(render("button_expired"))
        return
    await query.answer()
    drawn = await selection.draw_sample(
        services.get(context).db, actor=actor, year=press.year, rule=_rule(press), now=utcnow()
    )
    if isinstance(drawn, Problem):
        await reply(update, str(problem_text(TEXTS, drawn)))
        return
    await reply(update, render("sample_drawn", drawn=drawn, press=press))


async def select_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/select <project id> <重点|抽查> <reason>."""
    actor = await _actor(update, context)
    if actor is None:
        return
    args = list(context.args or [])
    project_id = numbers.record_id(args[0]) if args else None
    if len(args) < 2 or project_id is None or args[1] not in CHECK_WORDS:
        await reply(update, render("select_usage"))
        return
    check = CHECK_WORDS[args[1]]
    result = await selection.select_by_hand(
        services.get(context).db,
        actor=actor,
        project_id=project_id,
        check=check,
        reason=" ".join(args[2:]),
    )
    if isinstance(result, Problem):
        await reply(update, str(problem_text(TEXTS, result)))
        return
    await reply(update, render("select_done", check=check.value, source=result.source))


async def checks_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/checks [year]: what finance evaluates this year, and how each was chosen."""
    actor = await _actor(update, context)
    if actor is None:
        return
    args = context.args or []
    year = (numbers.year(args[0]) if args else None) or local_day(utcnow()).year - 1
    lines = await selection.selections(services.get(context).db, actor=actor, year=year)
    buttons = [
        [InlineKeyboardButton(f"{label} {number}. {line.project}"[:60], callback_data=data)]
        for number, line in enumerate(lines, start=1)
        for label, data in _next_step(line)
    ][:LIST_BUTTONS]
    message = update.effective_message
    assert message is not None
    markup = InlineKeyboardMarkup(buttons) if buttons else None
    await reply_parts(message, render("checks_list", year=year, lines=lines), markup)


STEP_BUTTONS = {"evaluate": ("finance_evaluate", "e"), "issue": ("finance_issue_report", "i")}


def _next_step(line: selection.SelectionLine) -> list[tuple[str, str]]:
    """The button for the next step the workflow names on a selected project, if any."""
    if line.next_step is None:
        return []
    key, action = STEP_BUTTONS[line.next_step]
    return [(buttons_text.label(key), results(action, line.selection_id))]


async def _result_press(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, action: str, number: int
) -> None:
    """🧮 评价, 📤 出具报告, 📄 评价报告 or ✍️ 报送整改方案."""
    query = update.callback_query
    assert query is not None
    db = services.get(context).db
    if action == "e":
        opened = await start_finance_evaluation(db, actor=actor, selection_id=number, now=utcnow())
        await open_form(update, context, opened, form=FINANCE_FORM)
    elif action == "p":
        opened = await start_plan(db, actor=actor, request_id=number, now=utcnow())
        await open_form(update, context, opened, form=PLAN_FORM)
    elif action == "i":
        await query.answer()
        issued = await report.issue_report(db, actor=actor, selection_id=number)
        if isinstance(issued, Problem):
            await reply(update, str(problem_text(TEXTS, issued)))
        else:
            await reply(update, render("evaluation_report_sent", issued=issued))
    elif action == "l":
        opened = await start_linkage(db, actor=actor, project_id=number, now=utcnow())
        await open_form(update, context, opened, form=LINKAGE_FORM)
    elif action == "w":
        facts = await report.report_facts(db, actor=actor, selection_id=number)
        await query.answer()
        chat = update.effective_chat
        assert chat is not None
        await context.bot.send_document(
            chat.id, InputFile(finance_report_docx(facts), filename=report_file_name(facts))
        )


async def linkage_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/linkage [year]: every project's result, recommendation and decision; ⚖️ to decide."""
    actor = await current_actor(update, context)
    if actor is None or not decide(actor, Action.REVIEW_BUDGET):
        await tell_access_denied(update)
        return
    args = context.args or []
    year = (numbers.year(args[0]) if args else None) or local_day(utcnow()).year - 1
    lines = await linkage.linkage_lines(services.get(context).db, actor=actor, year=year)
    label = buttons_text.label("linkage_decide")
    keyboard = [
        [
            InlineKeyboardButton(
                f"{label} {number}. {line.project}"[:60],
                callback_data=results("l", line.project_id),
            )
        ]
        for number, line in enumerate(lines, start=1)
    ][:LIST_BUTTONS]
    message = update.effective_message
    assert message is not None
    markup = InlineKeyboardMarkup(keyboard) if keyboard else None
    await reply_parts(message, render("linkage_list", year=year, lines=lines), markup)


def build_handlers() -> list[BaseHandler]:
    return [
        CommandHandler("linkage", linkage_command),
        CommandHandler("sample", sample_command),
        CommandHandler("select", select_command),
        CommandHandler("checks", checks_command),
        CallbackQueryHandler(on_press, pattern=SAMPLE_PATTERN),
    ]
