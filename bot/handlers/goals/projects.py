"""/new, /projects, the project card and its actions, /resume.

Declaring goes through the generic form runner (bot.conversations.form); this module only
opens drafts and shows projects. Buttons: `pj:<action>:<argument>`, stateless (a card may
be pressed days later; every press re-checks access in the workflow).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import services
from bot.conversations import form_view
from bot.conversations.form import send
from bot.conversations.form_text import catalog, problem_text
from bot.conversations.form_view import Reply
from bot.documents.goal_sheet import document_context, file_name, render_goal_document
from bot.identity import actor_or_refuse
from bot.ui import buttons
from bot.ui.buttons import label
from bot.ui.callbacks import (
    PROJECT_LIST_PATTERN,
    PROJECT_PATTERN,
    ProjectListPress,
    ProjectPress,
    parse_project,
    parse_project_list,
    review,
    tracking,
)
from bot.ui.render import render
from bot.ui.vocabulary import label as label_of
from storage.models import FundActionKind
from storage.models.enums import ProjectStatus, ReviewStage
from storage.types import utcnow
from workflow.core.clock import local_day
from workflow.forms.drafts import DraftOutcome, DraftResult
from workflow.forms.spec import Problem
from workflow.goals import declaration as goals
from workflow.goals import projects
from workflow.goals.projects import GoalSheet, ProjectFilter, ProjectPage
from workflow.tracking.funds import BUTTON_CODES

TEXTS = "goal_declaration"


def _button(key: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(catalog(TEXTS)["buttons"][key], callback_data=data)


def _list_press(filters: ProjectFilter, *, view: str = "l", page: int = 0) -> str:
    """The data of a list button that keeps `filters`."""
    return ProjectListPress(
        view, page, filters.status, filters.year, filters.stage, filters.search
    ).data()


def page_reply(page: ProjectPage) -> Reply:
    """A page of projects with a button per project, paging, filters and 申报新项目."""
    text = render("projects_list", page=page)
    keyboard = [
        [
            InlineKeyboardButton(
                f"{number}. {line.name}"[:60], callback_data=ProjectPress("c", line.id).data()
            )
        ]
        for number, line in enumerate(page.lines, start=page.first_number)
    ]
    paging = []
    if page.page > 0:
        paging.append(_button("previous", _list_press(page.filters, page=page.page - 1)))
    if page.page + 1 < page.pages:
        paging.append(_button("next", _list_press(page.filters, page=page.page + 1)))
    if paging:
        keyboard.append(paging)
    filtering = [_shared("project_filter", _list_press(page.filters, view="f"))]
    if page.filters.active:
        filtering.append(_shared("project_filter_clear", _list_press(ProjectFilter())))
    keyboard.append(filtering)
    if page.may_declare:
        keyboard.append([_button("new", ProjectPress("new").data())])
    return Reply(text, InlineKeyboardMarkup(keyboard))


def filter_reply(page: ProjectPage) -> Reply:
    """The filter menu: a status, a year, a stage; each press shows the first page."""
    current = page.filters

    def option(text: str, chosen: bool, **change: Any) -> InlineKeyboardButton:
        data = replace(current, **change)
        return InlineKeyboardButton(
            ("✅ " if chosen else "") + text, callback_data=_list_press(data)
        )

    statuses = [
        option(
            label_of(status, "project_status"), current.status == status.value, status=status.value
        )
        for status in ProjectStatus
        if status is not ProjectStatus.submitted
    ]
    years = [option(str(year), current.year == year, year=year) for year in page.years[:6]]
    stages = [
        option(label_of(stage, "stage"), current.stage == stage.value, stage=stage.value)
        for stage in ReviewStage
        if stage is not ReviewStage.issuance
    ]
    everything = label("project_filter_all")
    keyboard = [
        [option(everything, current.status is None, status=None), *statuses[:3]],
        statuses[3:],
        [option(everything, current.year is None, year=None), *years],
        [option(everything, current.stage is None, stage=None), *stages[:3]],
        stages[3:],
        [_shared("project_filter_back", _list_press(current, page=page.page))],
    ]
    return Reply(render("projects_filter", page=page), InlineKeyboardMarkup(keyboard))


def filters_from(words: list[str]) -> ProjectFilter:
    """/projects words: a year, a status or a stage as the bot names them; the rest searched."""
    statuses = {label_of(s, "project_status"): s.value for s in ProjectStatus}
    stages = {label_of(s, "stage"): s.value for s in ReviewStage}
    year = status = stage = None
    rest = []
    for word in words:
        if word.isdigit() and len(word) == 4:
            year = int(word)
        elif word in statuses:
            status = statuses[word]
        elif word in stages:
            stage = stages[word]
        else:
            rest.append(word)
    return ProjectFilter(" ".join(rest) or None, status, year, stage)


def card_reply(sheet: GoalSheet) -> Reply:
    """The project card with its actions."""
    text = render(
        "project_card",
        sheet=sheet,
        doc=document_context(sheet, today=local_day(utcnow())),
        indicator_count=len(sheet.indicators),
    )
    keyboard = [
        [
            _button("document", ProjectPress("doc", sheet.project_id).data()),
            _button("preview", ProjectPress("pv", sheet.project_id).data()),
        ]
    ]
    if sheet.may_edit:
        keyboard.append([_button("edit", ProjectPress("ed", sheet.project_id).data())])
    keyboard.extend(_finance_buttons(sheet))
    if sheet.goal_version_id is not None:  # 历史: the review timeline and the deadline
        keyboard.append([_shared("review_history", review("hi", sheet.goal_version_id, 0))])
    keyboard.append([_button("list", ProjectPress("ls", 0).data())])
    return Reply(text, InlineKeyboardMarkup(keyboard))


def _finance_buttons(sheet: GoalSheet) -> list[list[InlineKeyboardButton]]:
    """The budget section's fund actions and the performance section's 不定期跟踪."""
    project = sheet.project_id
    rows: list[list[InlineKeyboardButton]] = []
    if sheet.may_track_ad_hoc:
        rows.append([_shared("tracking_ad_hoc", tracking("ah", project))])
    if sheet.may_act_on_funds:
        kinds = [FundActionKind.suspend, FundActionKind.stop, FundActionKind.recover]
        if sheet.fund_action and sheet.fund_action["kind"] == FundActionKind.suspend.value:
            kinds.append(FundActionKind.resume)
        fund = [
            _shared(f"fund_{kind.value}", tracking("f", BUTTON_CODES[kind], project))
            for kind in kinds
        ]
        rows.extend(fund[i : i + 2] for i in range(0, len(fund), 2))
    return rows


def _shared(key: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(buttons.label(key), callback_data=data)


def preview_reply(sheet: GoalSheet) -> Reply:
    """The whole 申报表 as a message (the Word file's content, in the chat)."""
    doc = document_context(sheet, today=local_day(utcnow()))
    return Reply(render("goal_preview", doc=doc, sheet=sheet))


async def _opened(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, result: DraftResult | Problem
) -> None:
    """Show the first question of a new draft, or why none was opened."""
    if isinstance(result, Problem):
        await send(context, chat_id, Reply(str(problem_text(TEXTS, result))))
    elif result.outcome is DraftOutcome.exists and result.view is not None:
        await send(context, chat_id, form_view.busy(result.view))
    elif result.view is not None:
        await send(context, chat_id, form_view.step(result.view))


async def new(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start declaring a project's goals."""
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    result = await goals.start_declaration(services.get(context).db, actor=actor, now=utcnow())
    await _opened(context, update.effective_chat.id, result)


async def list_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/projects [words]: the first page of the person's projects, searched and filtered."""
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    filters = filters_from(list(context.args or []))
    page = await projects.list_projects(services.get(context).db, actor=actor, filters=filters)
    await send(context, update.effective_chat.id, page_reply(page))


async def on_list_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A list page or the filter menu, in place of the message pressed."""
    query = update.callback_query
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    press = parse_project_list(query.data)
    if press is None:
        await query.answer(render("button_expired"))
        return
    await query.answer()
    filters = ProjectFilter(press.search, press.status, press.year, press.stage)
    page = await projects.list_projects(
        services.get(context).db, actor=actor, page=press.page, filters=filters
    )
    await _replace(query.message, filter_reply(page) if press.view == "f" else page_reply(page))


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/resume with nothing open (an open form is resumed by the form runner)."""
    await update.effective_message.reply_text(render("form_resume_none"))


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A project button: list page, card, Word file, preview, edit, new."""
    query = update.callback_query
    press = parse_project(query.data)
    actor = await actor_or_refuse(update, context)
    if actor is None:
        return
    if press is None:
        await query.answer(render("button_expired"))
        return
    action, argument = press.action, press.argument
    db = services.get(context).db
    chat_id = update.effective_chat.id
    await query.answer()
    if action == "ls":
        page = await projects.list_projects(db, actor=actor, page=argument)
        await _replace(query.message, page_reply(page))
    elif action == "new":
        await _opened(
            context, chat_id, await goals.start_declaration(db, actor=actor, now=utcnow())
        )
    elif action == "ed":
        await _opened(
            context,
            chat_id,
            await goals.start_goal_edit(db, actor=actor, project_id=argument, now=utcnow()),
        )
    else:
        sheet = await projects.goal_sheet(db, actor=actor, project_id=argument)
        await _show_sheet(context, chat_id, action, sheet)


async def _show_sheet(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, action: str, sheet: GoalSheet
) -> None:
    if action == "c":
        await send(context, chat_id, card_reply(sheet))
    elif action == "pv":
        await send(context, chat_id, preview_reply(sheet))
    else:
        await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
        content = render_goal_document(sheet, today=local_day(utcnow()))
        await context.bot.send_document(
            chat_id,
            InputFile(content, filename=file_name(sheet)),
            caption=render("goal_document_caption", sheet=sheet),
        )


async def _replace(message: object, reply: Reply) -> None:
    """Turn the pressed list message into another page."""
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(reply.text, reply_markup=reply.markup)
    except BadRequest:
        pass  # the same page again: nothing to change


def build_handlers() -> list[BaseHandler]:
    """The handlers of this feature."""
    return [
        CommandHandler("new", new),
        CommandHandler("projects", list_command),
        CommandHandler("resume", resume),
        CallbackQueryHandler(on_press, pattern=PROJECT_PATTERN),
        CallbackQueryHandler(on_list_press, pattern=PROJECT_LIST_PATTERN),
    ]
