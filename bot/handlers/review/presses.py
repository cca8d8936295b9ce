"""What every review button handler shares: parsing presses, answering them, closing cards.

Review buttons carry `rv:<action>:<item>:<row version>` (built and parsed by
`bot.ui.callbacks`); `bot.handlers.review.cards` routes them to the handlers of the review,
review-form and issuance features.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.identity import tell_access_denied
from bot.ui.buttons import inline_keyboard
from bot.ui.callbacks import ReviewPress
from bot.ui.render import render, split_message
from bot.ui.replies import reply_parts
from workflow.core.access import Actor
from workflow.review.chain import Outcome, ReviewResult
from workflow.review.notices import local_time

CHECKED, UNCHECKED = "☑ ", "☐ "
TODO_BUTTONS = 20  # one button per item up to this many; /todo lists them all


Press = ReviewPress  # a parsed review button: action, kind, item id, row version


def parse_press(data: str | None) -> Press | None:
    """`rv:<action>:<item>:<version>` as a Press; None for anything else."""
    return ReviewPress.parse(data)


PressAction = Callable[[Update, ContextTypes.DEFAULT_TYPE, Actor, Press], Awaitable[None]]


async def alert(query: CallbackQuery, kind: str, **values: Any) -> None:
    """A short popup answering the press."""
    await query.answer(render("review_alert", kind=kind, **values), show_alert=True)


def _handled(result: ReviewResult) -> dict[str, Any] | None:
    handled = result.handled
    if handled is None:
        return None
    return {
        "by": handled.by,
        "decision": handled.decision,
        "stage": handled.stage,
        "at": local_time(handled.at),
        "yours": handled.yours,
    }


async def close_card(query: CallbackQuery, result: ReviewResult) -> None:
    """Edit the pressed card: say what became of it and take its buttons away."""
    message = query.message
    if not isinstance(message, Message) or not message.text:
        return
    note = render(
        "review_done",
        outcome=result.outcome.value,
        decision=result.decision,
        stage=result.stage,
        next_stage=result.next_stage,
        status=result.status,
        handled=_handled(result),
    )
    text = f"{message.text_html}\n\n{note}"
    try:
        await query.edit_message_text(split_message(text)[0], reply_markup=None)
    except BadRequest:  # already edited to the same text by an earlier press
        pass


async def tell_result(update: Update, result: ReviewResult) -> None:
    """Answer a decision press and update the card."""
    query = update.callback_query
    assert query is not None
    if result.outcome is Outcome.denied:
        await tell_access_denied(update)
        return
    if result.outcome in (
        Outcome.not_found,
        Outcome.awaiting_experts,
        Outcome.awaiting_cosign,
        Outcome.precondition_unacknowledged,
    ):
        await alert(query, result.outcome.value)
        return
    if result.outcome is Outcome.already_handled:
        handled = result.handled
        await alert(
            query,
            "already_handled",
            by=handled.by if handled else None,
            decision=handled.decision if handled else None,
            yours=bool(handled and handled.yours),
        )
    else:
        kinds = {"approve": "approved", "return": "returned"}
        await query.answer(render("review_alert", kind=kinds.get(result.decision or "", "opinion")))
    await close_card(query, result)


async def reply(
    update: Update, text: str, buttons: Sequence[Sequence[Sequence[Any]]] | None = None
) -> None:
    """Send `text` (split if long) with `buttons` on the last part."""
    message = update.effective_message
    assert message is not None
    await reply_parts(message, text, inline_keyboard(buttons))
