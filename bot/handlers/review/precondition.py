"""☑️ 已知悉上年整改情况 (`rv:pa`): a reviewer acknowledges last year's open rectification of
a continuing project before approving it (workflow.review.precondition keeps the rule)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import services
from bot.handlers.review.cards import register_press_action
from bot.handlers.review.presses import Press, alert
from bot.identity import tell_access_denied
from storage.types import utcnow
from workflow.core.access import Actor
from workflow.review.precondition import acknowledge


async def acknowledge_press(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """Record the acknowledgement for this version at its stage, then say 通过 may follow."""
    query = update.callback_query
    assert query is not None
    outcome = await acknowledge(
        services.get(context).db,
        actor=actor,
        item_id=press.item_id,
        version=press.version,
        now=utcnow(),
    )
    if outcome == "denied":
        await tell_access_denied(update)
        return
    await alert(query, f"precondition_{outcome}")


register_press_action("pa", acknowledge_press)
