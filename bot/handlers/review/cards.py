"""Review buttons and /todo: the glue between Telegram and the review chain.

One global CallbackQueryHandler takes every `rv:<action>:<item>:<row version>` press
(`bot.ui.callbacks`: the item names its kind, so every registered kind is handled here; no
arbitrary_callback_data: cards wait for days, and its cache would forget them).
The workflow applies a press with a conditional update, so a double tap, two reviewers at
once or an old card give exactly one transition; the others are told "已由 X 处理" and
their card loses its buttons. A press that does not parse, or names an item the person has
nothing to do with, is refused with a short alert and changes nothing.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import services
from bot.handlers.goals import issuance
from bot.handlers.review import actions as submitter_actions
from bot.handlers.review import experts as expert_invitations
from bot.handlers.review import forms as review_forms
from bot.handlers.review import pickers
from bot.handlers.review.presses import (
    CHECKED,
    TODO_BUTTONS,
    UNCHECKED,
    Press,
    PressAction,
    alert,
    parse_press,
    reply,
    tell_result,
)
from bot.identity import current_actor, tell_access_denied
from bot.ui import callbacks
from bot.ui.buttons import label
from bot.ui.render import render, split_message
from storage.models import ReviewDecision
from storage.types import utcnow
from workflow.core.access import Actor
from workflow.review import batch as review_batch
from workflow.review import chain as review
from workflow.review import views as review_views
from workflow.review.chain import Outcome
from workflow.review.notices import (
    expert_buttons,
    fix_buttons,
    invites_experts,
    reviewer_buttons,
    viewer_buttons,
)


async def approve(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """通过: approve at the stage the item waits at."""
    result = await review.decide_on(
        services.get(context).db,
        actor=actor,
        kind=press.kind,
        item_id=press.item_id,
        expected_version=press.version,
        decision=ReviewDecision.approve,
        now=utcnow(),
    )
    await tell_result(update, result)


async def _view(update: Update, view: review_views.View) -> None:
    """Show a read-only view, or refuse."""
    query = update.callback_query
    if view.outcome is Outcome.denied:
        await tell_access_denied(update)
        return
    if not view.ok:
        if query is not None:
            await alert(query, "not_found")
        return
    if query is not None:
        await query.answer()
    await reply(update, render(view.template, **view.context))


async def details(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """查看详情: the whole item (a goal version: its form, opinions and versions)."""
    view = await review_views.details_of(
        services.get(context).db, actor=actor, kind=press.kind, item_id=press.item_id
    )
    await _view(update, view)


async def history(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """历史: the complete timeline."""
    view = await review_views.timeline_of(
        services.get(context).db, actor=actor, kind=press.kind, item_id=press.item_id
    )
    await _view(update, view)


def card_buttons(
    task: str,
    kind: str,
    item_id: int,
    version: int,
    *,
    invite: bool = False,
    stage: str | None = None,
) -> list[list[tuple[str, Any]]]:
    """The buttons of a card for what the person may do on it."""
    if task == "review":
        return reviewer_buttons(kind, item_id, version, invite=invite, stage=stage)
    if task == "opinion":
        return expert_buttons(item_id, version)
    if task == "fix":
        return fix_buttons(kind, item_id, version)
    return [viewer_buttons(kind, item_id, version)]


async def open_card(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """A card from /todo, with the buttons for what I may do on the item now."""
    view = await review_views.card(
        services.get(context).db,
        actor=actor,
        kind=press.kind,
        item_id=press.item_id,
        now=utcnow(),
    )
    if not view.ok or view.item is None:
        await _view(update, view)
        return
    task = view.context["task"]
    text = render(view.template, **view.context)
    assert update.callback_query is not None
    await update.callback_query.answer()
    item = view.item
    invite = invites_experts(item, item.row.stage)
    buttons = card_buttons(
        task, item.kind.name, item.id, item.row.version, invite=invite, stage=item.row.stage
    )
    await reply(update, text, buttons)


def todo_reply(page: review_views.TodoPage) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of a /todo page: one button per item, ⬅️/➡️, the batch buttons."""
    items = page.items
    rows = [
        [
            InlineKeyboardButton(
                f"{number}. {item.project}"[:60],
                callback_data=callbacks.review("op", item.item_id, item.version, item.kind),
            )
        ]
        for number, item in enumerate(items[:TODO_BUTTONS], start=page.first_number)
    ]
    turns = [
        _button(key, callbacks.review("tp", target, 0))
        for key, target, shown in (
            ("page_previous", page.page - 1, page.page > 0),
            ("page_next", page.page + 1, page.page + 1 < page.pages),
        )
        if shown
    ]
    if turns:
        rows.append(turns)
    batchable = any(item.batchable for item in items)
    if batchable:
        rows.append(
            [
                _button("batch_start", callbacks.review("bs", 0, 0)),
                _button("review_select_all", callbacks.review("ba", 0, 0)),
            ]
        )
    text = render(
        "todo",
        items=[item.as_dict() for item in items],
        batchable=batchable,
        total=page.total,
        page=page.page,
        pages=page.pages,
        first_number=page.first_number,
    )
    return text, InlineKeyboardMarkup(rows) if rows else None


async def todo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/todo: the first page of my pending items across stages, the most urgent first."""
    actor = await current_actor(update, context)
    if actor is None:
        await tell_access_denied(update)
        return
    page = await review_views.todo_page(services.get(context).db, actor=actor, now=utcnow())
    text, markup = todo_reply(page)
    parts = split_message(text)
    message = update.effective_message
    assert message is not None
    for index, part in enumerate(parts):
        await message.reply_text(part, reply_markup=markup if index == len(parts) - 1 else None)


async def todo_turn(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """⬅️/➡️ under /todo: show the page the button names in the same message."""
    query = update.callback_query
    assert query is not None
    page = await review_views.todo_page(
        services.get(context).db, actor=actor, now=utcnow(), page=press.item_id
    )
    text, markup = todo_reply(page)
    await query.answer()
    try:
        await query.edit_message_text(split_message(text)[0], reply_markup=markup)
    except BadRequest:  # unchanged (a double tap)
        pass


def _button(key: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label(key), callback_data=data)


def checklist_keyboard(checklist: review_batch.Checklist) -> InlineKeyboardMarkup:
    """☑ / ☐ per item (a press ticks or unticks it), then 确认批量通过."""
    rows = [
        [
            InlineKeyboardButton(
                f"{CHECKED if item.checked else UNCHECKED}{item.project}"[:60],
                callback_data=callbacks.review(
                    "bu" if item.checked else "bt", item.item_id, item.version, item.kind
                ),
            )
        ]
        for item in checklist.items[:TODO_BUTTONS]
    ]
    rows.append(
        [
            InlineKeyboardButton(
                label("review_select_all"), callback_data=callbacks.review("ba", 1, 0)
            ),
            InlineKeyboardButton(
                label("batch_confirm"), callback_data=callbacks.review("bc", 0, 0)
            ),
        ]
    )
    return InlineKeyboardMarkup(rows)


async def batch_select_all(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """全选: tick every item I may approve in a batch (from /todo: a new checklist)."""
    query = update.callback_query
    assert query is not None
    checklist = await review_batch.tick_all(services.get(context).db, actor=actor, now=utcnow())
    if not checklist.items:
        await alert(query, "nothing_selected")
        return
    await query.answer()
    if press.item_id:  # pressed on the checklist itself
        try:
            await query.edit_message_reply_markup(checklist_keyboard(checklist))
        except BadRequest:  # unchanged (everything was ticked already)
            pass
        return
    message = update.effective_message
    assert message is not None
    await message.reply_text(render("batch_select"), reply_markup=checklist_keyboard(checklist))


async def batch_start(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """批量通过: a checklist of the items the performance or budget section may approve."""
    query = update.callback_query
    assert query is not None
    checklist = await review_batch.open_checklist(
        services.get(context).db, actor=actor, now=utcnow()
    )
    if not checklist.items:
        await alert(query, "nothing_selected")
        return
    await query.answer()
    message = update.effective_message
    assert message is not None
    await message.reply_text(render("batch_select"), reply_markup=checklist_keyboard(checklist))


async def batch_tick(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """Tick (☐ pressed) or untick (☑ pressed) one item; the ticks are kept in the database."""
    query = update.callback_query
    assert query is not None
    checklist = await review_batch.tick(
        services.get(context).db,
        actor=actor,
        kind=press.kind,
        item_id=press.item_id,
        version=press.version,
        checked=press.action == "bt",
        now=utcnow(),
    )
    if checklist.outcome is Outcome.denied:
        await tell_access_denied(update)
        return
    if not checklist.ok:
        handled = checklist.handled
        await alert(
            query,
            "already_handled" if handled else "not_found",
            by=handled.by if handled else None,
            decision=handled.decision if handled else None,
        )
        return
    try:  # the checklist first, then the answer: the next press sees the new state
        await query.edit_message_reply_markup(checklist_keyboard(checklist))
    except BadRequest:  # unchanged (a double tap)
        pass
    await query.answer()


def build_handlers() -> list[BaseHandler]:
    """The handlers of this feature."""
    return [
        CallbackQueryHandler(on_press, pattern=rf"^{callbacks.REVIEW_PREFIX}:"),
        *pickers.build_handlers(),
        CommandHandler("todo", todo),
    ]


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Route a review button to its action; refuse anything that does not parse."""
    query = update.callback_query
    assert query is not None
    press = parse_press(query.data)
    action = PRESS_ACTIONS.get(press.action) if press else None
    if press is None or action is None:
        await alert(query, "invalid")
        return
    actor = await current_actor(update, context)
    if actor is None:
        await tell_access_denied(update)
        return
    await action(update, context, actor, press)


def register_press_action(action: str, handler: PressAction) -> None:
    """A stage's own card decision (a kind's `card_actions`), routed like the others."""
    PRESS_ACTIONS[action] = handler


PRESS_ACTIONS: dict[str, PressAction] = {
    "ap": approve,
    "dt": details,
    "hi": history,
    "op": open_card,
    "bs": batch_start,
    "bt": batch_tick,
    "bu": batch_tick,
    "ba": batch_select_all,
    "tp": todo_turn,
    **review_forms.PRESS_ACTIONS,
    **issuance.PRESS_ACTIONS,
    **expert_invitations.PRESS_ACTIONS,
    **submitter_actions.PRESS_ACTIONS,
    **pickers.PRESS_ACTIONS,
}
