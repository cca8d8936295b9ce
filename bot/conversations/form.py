"""The one generic form runner: every form, one question at a time, nothing kept in memory.

Stateless by design (DESIGN.md: drafts live in the database). On every message and every
`fm:` button the runner loads the person's active draft and acts on its cursor, so a
restart, a crash or a second bot process loses nothing: the next message simply continues.
PTB's ConversationHandler was not used because its state lives in memory and would have to
be rebuilt from the database after each restart, duplicating what the draft already says.

The runner's handlers sit in group FORM_GROUP, before the gate (-1) and every feature
(0 and up). They act only for a registered person in a private chat who has an active
draft; in every other case they return without a word and the gate and the features see
the update as usual. When they act, they stop the update there (ApplicationHandlerStop):
a command in the middle of a form is answered "finish or /cancel first" (except /cancel,
/resume and /help), a photo or sticker gets a polite "text please", and text is the answer.
"""

from __future__ import annotations

import html
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import services
from bot.conversations import form_files, form_view
from bot.conversations.form_text import catalog, jinja, problem_text
from bot.conversations.form_view import Reply
from bot.handlers.uploads.workbooks import is_template_upload
from bot.identity import current_actor
from bot.ui.callbacks import FORM_PATTERN, FormPress, parse_form
from bot.ui.render import render
from bot.ui.replies import send_parts
from storage.types import utcnow
from workflow.core import numbers
from workflow.forms import drafts
from workflow.forms.draft_store import DraftView
from workflow.forms.drafts import DraftOutcome, DraftResult
from workflow.forms.spec import Problem
from workflow.people.persons import find_actor

FORM_GROUP = -2
MAX_INDEX = 10_000  # no form has more rows, choices or fields than this
PASS_THROUGH = frozenset({"/help"})
FILE_EXPECTED = Problem("file_expected")
VIEWS = frozenset({"v", "x", "r"})  # buttons that show something and change nothing


def _command(message: Message) -> str | None:
    text = message.text or ""
    if not text.startswith("/"):
        return None
    return text.split(maxsplit=1)[0].split("@", 1)[0].lower()


async def send(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply) -> None:
    """Send a reply, split under Telegram's length limit, the keyboard on the last part."""
    await send_parts(context.bot, chat_id, reply.text, reply.markup)


async def show_result(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, person_id: int, result: DraftResult
) -> None:
    """Tell the person what happened and show where the draft stands now."""
    outcome = result.outcome
    if outcome is DraftOutcome.submitted and result.view is not None:
        await send(context, chat_id, submitted_reply(result))
    elif outcome is DraftOutcome.cancelled and result.view is not None:
        await send(
            context, chat_id, Reply(render("form_cancelled", title=form_view.title(result.view)))
        )
    elif result.view is not None:
        await send(context, chat_id, form_view.step(result.view, result.problem))
    elif outcome is DraftOutcome.conflict:
        current = await drafts.current_draft(services.get(context).db, person_id=person_id)
        if current.view is not None:
            notice = problem_text(current.view.form.name, result.problem)
            await send(context, chat_id, form_view.step(current.view, notice=notice))
    else:
        await send(context, chat_id, Reply(render("form_resume_none")))


def submitted_reply(result: DraftResult) -> Reply:
    """What the form says once submitted (its catalog names the template and buttons)."""
    assert result.view is not None
    texts = catalog(result.view.form.name)
    if "submitted" not in texts:
        return Reply(render("form_submitted", title=form_view.title(result.view)))
    text = render(texts["submitted"], record=result.record, labels=texts)
    buttons = [
        InlineKeyboardButton(label, callback_data=str(jinja(data, record=result.record)))
        for label, data in texts.get("submitted_buttons", [])
    ]
    return Reply(text, InlineKeyboardMarkup([buttons]) if buttons else None)


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message from someone with an open form: an answer, a command, or something not text."""
    message = update.message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return
    actor = await current_actor(update, context)
    command = _command(message)
    if actor is None or actor.person_id is None or command in PASS_THROUGH:
        return
    if is_template_upload(message):
        return  # a filled-in template is imported by its stage, whatever form is open
    db = services.get(context).db
    now = utcnow()
    if command is None and message.text is not None:
        if _tail_of_a_long_paste(context, message):
            current = await drafts.current_draft(db, person_id=actor.person_id)
            if current.view is not None:
                notice = render("form_paste_split")
                await send(context, message.chat_id, form_view.step(current.view, notice=notice))
                raise ApplicationHandlerStop
        result = await drafts.answer(db, person_id=actor.person_id, text=message.text, now=now)
        if result.outcome is DraftOutcome.none:
            return  # not filling anything: the features handle it
        await show_result(context, message.chat_id, actor.person_id, result)
        raise ApplicationHandlerStop
    current = await drafts.current_draft(db, person_id=actor.person_id)
    if current.view is None:
        return
    if command == "/cancel":
        await send(context, message.chat_id, form_view.cancel_confirmation(current.view))
    elif command == "/resume":
        result = await drafts.resume(db, person_id=actor.person_id, now=now)
        await show_result(context, message.chat_id, actor.person_id, result)
    elif command is not None:
        await send(context, message.chat_id, form_view.busy(current.view))
    elif form_files.announced(message) and form_files.expects_file(current.view):
        await _file(context, message, actor.person_id, current.view)
    elif form_files.expects_file(current.view):  # a sticker or a voice note: files, please
        await send(context, message.chat_id, form_view.step(current.view, FILE_EXPECTED))
    else:
        notice = render("form_text_expected")
        await send(context, message.chat_id, form_view.step(current.view, notice=notice))
    raise ApplicationHandlerStop


async def _file(
    context: ContextTypes.DEFAULT_TYPE, message: Message, person_id: int, view: DraftView
) -> None:
    """A file for the current files question: kept, and the question shown with it."""
    received = await form_files.receive(context, message, person_id)
    if isinstance(received, Problem):
        await send(context, message.chat_id, form_view.step(view, received))
        return
    await show_result(context, message.chat_id, person_id, received)


async def _expired(query: CallbackQuery) -> None:
    """A button of an earlier state (or a double tap): say so, change nothing."""
    await query.answer(render("form_expired"))
    await _close_keyboard(query)


async def _close_keyboard(query: CallbackQuery, chosen: str | None = None) -> None:
    """Take the buttons off the pressed message (noting the choice made, if any)."""
    message = query.message
    if not isinstance(message, Message):
        return
    try:
        if chosen:
            text = f"{message.text_html}\n\n✔ <b>{html.escape(chosen)}</b>"
            await message.edit_text(text, reply_markup=None)
        else:
            await message.edit_reply_markup(reply_markup=None)
    except BadRequest:
        pass  # already without buttons, or too old to edit: nothing to tidy


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A form button: applied if it belongs to the current state of the person's draft."""
    query = update.callback_query
    assert query is not None
    actor = await current_actor(update, context)
    if actor is None or actor.person_id is None:
        return  # the gate answers strangers
    press = parse_form(query.data)
    chat_id = query.message.chat.id if query.message else actor.person_id
    # A refusal (AccessDenied) is answered by the error handler, which also stops the update.
    if press is None:
        await _expired(query)
    elif press.action in VIEWS:
        await _show(context, query, chat_id, actor.person_id, press)
    else:
        await _apply(context, query, chat_id, actor.person_id, press)
    raise ApplicationHandlerStop


async def _show(
    context: ContextTypes.DEFAULT_TYPE,
    query: CallbackQuery,
    chat_id: int,
    person_id: int,
    press: FormPress,
) -> None:
    """A button that changes nothing in the draft: a row, the cancel question, the step."""
    current = await drafts.current_draft(services.get(context).db, person_id=person_id)
    view = current.view
    shown = view is not None and (view.id, view.version) == (press.draft_id, press.version)
    reply = _view_reply(press, view) if shown and view is not None else None
    if reply is None:
        await _expired(query)
        return
    await query.answer()
    await _close_keyboard(query)
    await send(context, chat_id, reply)


async def _apply(
    context: ContextTypes.DEFAULT_TYPE,
    query: CallbackQuery,
    chat_id: int,
    person_id: int,
    press: FormPress,
) -> None:
    """A button that changes the draft; the workflow refuses it if it is not current."""
    result = await _change(services.get(context).db, person_id, press)
    if result.outcome is DraftOutcome.stale:
        await _expired(query)
        return
    await query.answer()
    moved = result.outcome is DraftOutcome.moved
    if press.action == "t" and result.view is not None and await _redraw(query, result):
        return  # a tick changes the same question: redraw it rather than send it again
    await _close_keyboard(query, _pressed_label(query) if moved and press.action == "c" else None)
    await show_result(context, chat_id, person_id, result)


async def _redraw(query: CallbackQuery, result: DraftResult) -> bool:
    """Show the question again in the pressed message itself; False if it cannot be edited."""
    assert result.view is not None
    message = query.message
    if not isinstance(message, Message):
        return False
    reply = form_view.step(result.view, result.problem)
    if len(reply.text) > 4096:
        return False
    try:
        await message.edit_text(reply.text, reply_markup=reply.markup)
    except BadRequest:
        return False
    return True


def _view_reply(press: FormPress, view: DraftView) -> Reply | None:
    if press.action == "x":
        return form_view.cancel_confirmation(view)
    if press.action == "r":
        return form_view.step(view)
    row = numbers.whole_number(press.argument, high=MAX_INDEX)
    return None if row is None else form_view.row_view(view, row)


def _pressed_label(query: CallbackQuery) -> str | None:
    """The text of the pressed button, to leave on the question once it is answered."""
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return None


async def _change(db: Any, person_id: int, press: FormPress) -> DraftResult:
    """The draft operation a button stands for."""
    now = utcnow()
    common = {
        "person_id": person_id,
        "draft_id": press.draft_id,
        "version": press.version,
        "now": now,
    }
    argument = press.argument or ""
    number = numbers.whole_number(argument, high=MAX_INDEX)
    if press.action == "c" and number is not None:
        return await drafts.choose(db, index=number, **common)
    if press.action == "t" and number is not None:
        return await drafts.toggle_choice(db, index=number, **common)
    if press.action == "e" and number is not None:
        return await drafts.edit_field(db, number=number, **common)
    if press.action == "rd" and number is not None:
        return await drafts.delete_row(db, index=number, **common)
    if press.action == "rf" and "." in argument:
        text, _, field = argument.partition(".")
        index = numbers.whole_number(text, high=MAX_INDEX)
        if index is not None:
            return await drafts.edit_row_field(db, index=index, field=field, **common)
    simple = {
        "k": drafts.keep,
        "s": drafts.skip,
        "b": drafts.back,
        "a": drafts.add_row,
        "d": drafts.finish_rows,
        "mk": drafts.confirm_choices,
        "xy": drafts.cancel,
        "ok": drafts.submit,
    }
    if press.action in simple:
        return await simple[press.action](db, **common)
    return DraftResult(DraftOutcome.stale)


SPLIT_LENGTH = 4000  # Telegram cuts a pasted text into messages of 4,096 characters
MESSAGE_LIMIT = 4096  # (a first part is never longer; a longer text was not split)
SPLIT_SECONDS = 2  # the parts of one paste arrive together


def _tail_of_a_long_paste(context: ContextTypes.DEFAULT_TYPE, message: Message) -> bool:
    """Whether this text is the next part of a paste Telegram split (not a new answer).

    Only the length and time of the chat's previous text are kept (in memory, per chat).
    """
    previous = context.chat_data.get(_LAST_TEXT) if context.chat_data is not None else None
    sent = message.date.timestamp()
    if context.chat_data is not None:
        context.chat_data[_LAST_TEXT] = (len(message.text or ""), sent)
    if previous is None:
        return False
    length, at = previous
    return SPLIT_LENGTH <= length <= MESSAGE_LIMIT and 0 <= sent - at <= SPLIT_SECONDS


_LAST_TEXT = "form_last_text"


async def on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message: never taken as an answer or a command; said so during a form."""
    message = update.edited_message
    if message is None:
        return
    actor = await current_actor(update, context)
    if actor is not None and actor.person_id is not None:
        db = services.get(context).db
        current = await drafts.current_draft(db, person_id=actor.person_id)
        if current.view is not None:
            notice = render("form_edit_ignored")
            await send(context, message.chat_id, form_view.step(current.view, notice=notice))
    raise ApplicationHandlerStop  # an edit never reaches a feature (it would run as new)


def build_handlers() -> dict[int, list[BaseHandler]]:
    """The runner, in its own group before the gate and the features."""
    return {
        FORM_GROUP: [
            MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, on_message),
            MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edit),
            CallbackQueryHandler(on_press, pattern=FORM_PATTERN),
        ]
    }


async def show_where_it_stands(bot: Bot, db: Any, *, telegram_user_id: int, chat_id: int) -> bool:
    """After a crash: show a person's open form at its current question; False if none."""
    actor = await find_actor(db, telegram_user_id=telegram_user_id)
    if actor is None or actor.person_id is None:
        return False
    current = await drafts.current_draft(db, person_id=actor.person_id)
    if current.view is None:
        return False
    reply = form_view.step(current.view, notice=render("form_resumed"))
    await send_parts(bot, chat_id, reply.text, reply.markup)
    return True
