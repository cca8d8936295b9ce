"""邀请专家: the performance section picks the experts of a key project from its card.

`rv:ex:<goal version id>:<row version>` lists every holder of the expert role, those
invited checked; `rv:ei:<goal version id>:<person id>` invites one (the last field names the
expert, not a row version: an invitation does not move the item). The invited expert gets
the opinion card at once; the list is refreshed in place.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot import services
from bot.handlers.review.presses import CHECKED, UNCHECKED, Press, PressAction, alert
from bot.identity import tell_access_denied
from bot.ui import callbacks
from bot.ui.render import render
from workflow.core.access import Actor
from workflow.review import experts as review_experts
from workflow.review.chain import Outcome
from workflow.review.experts import ExpertPanel


def _panel_text(panel: ExpertPanel) -> str:
    return render(
        "expert_panel",
        project=panel.project_name,
        experts=[
            {"name": e.name, "invited": e.invited, "gave_opinion": e.gave_opinion}
            for e in panel.experts
        ],
    )


def _panel_keyboard(panel: ExpertPanel) -> InlineKeyboardMarkup | None:
    assert panel.goal_version_id is not None
    rows = [
        [
            InlineKeyboardButton(
                f"{CHECKED if e.invited else UNCHECKED}{e.name}"[:60],
                callback_data=callbacks.review("ei", panel.goal_version_id, e.person_id),
            )
        ]
        for e in panel.experts
    ]
    return InlineKeyboardMarkup(rows) if rows else None


async def _refused(update: Update, panel: ExpertPanel) -> None:
    """Say why there is nothing to organise (stale, not a key project, not mine)."""
    query = update.callback_query
    assert query is not None
    if panel.outcome is Outcome.denied:
        await tell_access_denied(update)
    elif panel.outcome is Outcome.already_handled and panel.handled is not None:
        handled = panel.handled
        await alert(query, "already_handled", by=handled.by, decision=handled.decision)
    else:
        await alert(query, "not_found")


async def show_experts(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """邀请专家: the list of experts to pick from."""
    panel = await review_experts.expert_panel(
        services.get(context).db, actor=actor, goal_version_id=press.item_id
    )
    if not panel.ok:
        await _refused(update, panel)
        return
    query = update.callback_query
    message = update.effective_message
    assert query is not None and message is not None
    await query.answer()
    await message.reply_text(_panel_text(panel), reply_markup=_panel_keyboard(panel))


async def invite(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """One expert picked: invite them, and show the list as it is now."""
    panel = await review_experts.invite_expert(
        services.get(context).db,
        actor=actor,
        goal_version_id=press.item_id,
        person_id=press.version,
    )
    if not panel.ok:
        await _refused(update, panel)
        return
    query = update.callback_query
    assert query is not None
    if isinstance(query.message, Message):  # the list first: the answer then confirms it
        try:
            await query.message.edit_text(_panel_text(panel), reply_markup=_panel_keyboard(panel))
        except BadRequest:  # unchanged: the expert was already on the list
            pass
    if panel.invited:
        await alert(query, "expert_invited", name=panel.invited)
    else:
        await alert(query, "expert_already_invited")


PRESS_ACTIONS: dict[str, PressAction] = {"ex": show_experts, "ei": invite}
