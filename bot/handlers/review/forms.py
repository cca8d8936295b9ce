"""Review presses that ask something first: 退回修改 (a reason), expert opinions (a text),
确认批量通过 (one comment) and 修改后重新提交 (the goal form again).

Each opens a form draft (the question lives in the database, not in memory) and hands it to
the generic form runner, which asks, confirms and submits. The card pressed keeps its
buttons while the form is open: a cancelled or abandoned form leaves it as it was, and
deciding twice is impossible anyway (the submit is the same conditional update as a press).
Once the return or the opinion is in, the workflow closes the card through the outbox.
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot import services
from bot.conversations import form_view
from bot.conversations.form import send
from bot.conversations.form_text import problem_text
from bot.handlers.review.presses import Press, PressAction, alert, reply, tell_result
from bot.ui.render import render
from storage.models import ReviewDecision
from storage.types import utcnow
from workflow.core.access import Actor
from workflow.forms.drafts import DraftOutcome, DraftResult
from workflow.forms.spec import Problem
from workflow.goals import adjustment
from workflow.review import forms as review_forms
from workflow.review.chain import ReviewResult
from workflow.review.edit_lock import Taken
from workflow.review.notices import local_time

OPINIONS = {
    "ea": ReviewDecision.expert_agree,
    "ec": ReviewDecision.expert_agree_with_changes,
    "ed": ReviewDecision.expert_disagree,
}


async def open_form(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    opened: DraftResult | ReviewResult | Problem,
    *,
    form: str,
) -> bool:
    """Show the first question of the draft just opened; True when one was opened."""
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    assert chat is not None
    if isinstance(opened, ReviewResult):
        await tell_result(update, opened)
        return False
    if isinstance(opened, Problem):
        await query.answer(str(problem_text(form, opened)), show_alert=True)
        return False
    if opened.outcome is DraftOutcome.exists and opened.view is not None:
        await alert(query, "form_open")
        await send(context, chat.id, form_view.busy(opened.view))
        return False
    if opened.view is None:
        await alert(query, "invalid")
        return False
    await query.answer()
    await send(context, chat.id, form_view.step(opened.view))
    return True


async def start_return(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """退回修改: ask for the reason (required), then confirm, through the form runner."""
    opened = await review_forms.start_return(
        services.get(context).db,
        actor=actor,
        kind=press.kind,
        goal_version_id=press.item_id,
        expected_version=press.version,
        now=utcnow(),
    )
    await open_form(update, context, opened, form=review_forms.RETURN_REASON)


async def start_approve(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """通过并附意见: ask for the comment (optional), then confirm, through the form runner."""
    opened = await review_forms.start_return(
        services.get(context).db,
        actor=actor,
        kind=press.kind,
        goal_version_id=press.item_id,
        expected_version=press.version,
        now=utcnow(),
        form=review_forms.APPROVE_COMMENT,
    )
    await open_form(update, context, opened, form=review_forms.APPROVE_COMMENT)


async def start_opinion(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """同意 / 修改后同意 / 不同意: ask for the expert's text, through the form runner."""
    opened = await review_forms.start_opinion(
        services.get(context).db,
        actor=actor,
        goal_version_id=press.item_id,
        expected_version=press.version,
        decision=OPINIONS[press.action],
        now=utcnow(),
    )
    await open_form(update, context, opened, form=review_forms.EXPERT_OPINION)


async def confirm_batch(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """确认批量通过: the checked items, one comment, through the form runner."""
    query = update.callback_query
    assert query is not None
    opened = await review_forms.start_batch(services.get(context).db, actor=actor, now=utcnow())
    if opened is None:
        await alert(query, "nothing_selected")
        return
    if await open_form(update, context, opened, form=review_forms.BATCH_APPROVAL):
        await _close_checklist(query)


async def _close_checklist(query: CallbackQuery) -> None:
    message = query.message
    if isinstance(message, Message):
        try:
            await message.edit_reply_markup(reply_markup=InlineKeyboardMarkup([]))
        except BadRequest:
            pass


async def fix(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """修改后重新提交: the goal form (or the adjustment's) prefilled with the returned version;
    while a colleague holds the edit, who and since when, with 确认接手修改."""
    form, opened = await review_forms.start_fix(
        services.get(context).db,
        actor=actor,
        goal_version_id=press.item_id,
        expected_version=press.version,
        now=utcnow(),
        take_over=press.action == "to",
    )
    if isinstance(opened, Taken):
        take_over = {"review": ["to", press.kind, press.item_id, press.version]}
        await lock_held(update, opened, take_over)
        return
    await open_form(update, context, opened, form=form)


async def lock_held(update: Update, taken: Taken, take_over: object) -> None:
    """Someone else holds the edit: say who and since when, offer to take it over
    (`take_over`: the callback data of 确认接手修改)."""
    query = update.callback_query
    assert query is not None and taken.held is not None
    await query.answer()
    held = taken.held
    await reply(
        update,
        render("review_edit_lock", event="held", by=held.name, at=local_time(held.since)),
        [[("review_take_over", take_over)]],
    )


async def request_adjustment(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """申请调整 on an issued goal: the reason first, then the goal form prefilled."""
    opened = await adjustment.start_adjustment(
        services.get(context).db,
        actor=actor,
        goal_version_id=press.item_id,
        expected_version=press.version,
        now=utcnow(),
    )
    await open_form(update, context, opened, form=adjustment.ADJUSTMENT_FORM)


PRESS_ACTIONS: dict[str, PressAction] = {
    "rt": start_return,
    "ac": start_approve,
    **dict.fromkeys(OPINIONS, start_opinion),
    "bc": confirm_batch,
    "fx": fix,
    "to": fix,  # 确认接手修改: the edit taken over from the colleague holding it
    "aj": request_adjustment,
}
