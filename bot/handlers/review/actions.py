"""撤回 and 催办 presses: the submitter's actions on an item waiting in the chain.

Both are applied by the workflow exactly once (a conditional update; a key per working
day); a second press is told what became of the first.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import services
from bot.handlers.review.presses import Press, PressAction, alert, close_card, tell_result
from bot.identity import tell_access_denied
from storage.types import utcnow
from workflow.core.access import Actor
from workflow.review import handover
from workflow.review import nudge as review_nudge
from workflow.review.chain import Outcome
from workflow.review.notices import local_time


async def withdraw(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """撤回: the submitter takes the item back before anyone acted at its stage."""
    result = await handover.withdraw(
        services.get(context).db,
        actor=actor,
        kind=press.kind,
        item_id=press.item_id,
        expected_version=press.version,
        now=utcnow(),
    )
    query = update.callback_query
    assert query is not None
    if result.ok:
        await query.answer()
        await close_card(query, result)
        return
    await tell_result(update, result)


async def nudge(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """催办: remind the stage's reviewers, once per working day."""
    result = await review_nudge.nudge(
        services.get(context).db,
        actor=actor,
        kind=press.kind,
        item_id=press.item_id,
        expected_version=press.version,
        now=utcnow(),
    )
    query = update.callback_query
    assert query is not None
    if result.outcome is Outcome.denied:
        await tell_access_denied(update)
    elif result.outcome is Outcome.nudged_today and result.handled is not None:
        handled = result.handled
        await alert(query, "nudged_today", by=handled.by, at=local_time(handled.at))
    elif result.ok:
        await alert(query, "nudged", stage=result.stage)
    else:
        await tell_result(update, result)


PRESS_ACTIONS: dict[str, PressAction] = {"wd": withdraw, "ng": nudge}
