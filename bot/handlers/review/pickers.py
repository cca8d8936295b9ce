"""⋯ 更多 on a reviewer card: 转交 to a colleague and 抄送 to chosen people, through a picker.

The card's 更多 opens a small menu; 转交 and 抄送 each list the people who may be picked,
one button per person (`rk:<action>:<item>:<version>:<person>`, `bot.ui.callbacks`). The
workflow applies a pick exactly once: a transfer is a conditional update of the item, a
copy a notice whose key admits one per person and item state.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from bot import services
from bot.handlers.review.presses import (
    Press,
    PressAction,
    alert,
    close_card,
    reply,
    tell_result,
)
from bot.identity import current_actor, tell_access_denied
from bot.ui.callbacks import REVIEW_PICK_PREFIX, ReviewPick
from bot.ui.render import render
from bot.ui.replies import reply_parts
from storage.types import utcnow
from workflow.core.access import Actor
from workflow.review import copy as review_copy
from workflow.review import cosign as review_cosign
from workflow.review import handover
from workflow.review.chain import Outcome
from workflow.review.notices import press as semantic


async def more(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """⋯ 更多: the menu of 转交 / 抄送 for this state of the item."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await reply(
        update,
        render("review_more"),
        [
            [
                ("review_transfer", semantic("tf", press.kind, press.item_id, press.version)),
                ("review_add_reviewer", semantic("as", press.kind, press.item_id, press.version)),
                ("review_copy", semantic("cc", press.kind, press.item_id, press.version)),
            ]
        ],
    )


async def _picker(update: Update, press: Press, found: review_copy.Candidates, pick: str) -> None:
    """The people to pick from, one button each; or why there is nobody."""
    query = update.callback_query
    assert query is not None
    if found.outcome is Outcome.denied:
        await tell_access_denied(update)
        return
    if found.outcome is not Outcome.moved or not found.people:
        await alert(query, "nobody_to_pick" if found.outcome is Outcome.moved else "not_found")
        return
    await query.answer()
    rows = [
        [
            InlineKeyboardButton(
                name[:60],
                callback_data=ReviewPick(
                    pick, press.kind, press.item_id, press.version, person
                ).build(),
            )
        ]
        for person, name in found.people
    ]
    message = update.effective_message
    assert message is not None
    text = render("review_pick", action=pick, project=found.project_name)
    await reply_parts(message, text, InlineKeyboardMarkup(rows))


async def transfer_picker(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """转交: the colleagues with my role in my organisation."""
    found = await review_copy.transfer_candidates(
        services.get(context).db, actor=actor, kind=press.kind, item_id=press.item_id
    )
    await _picker(update, press, found, "tf")


async def copy_picker(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """抄送: everyone who may view the item."""
    found = await review_copy.copy_candidates(
        services.get(context).db, actor=actor, kind=press.kind, item_id=press.item_id
    )
    await _picker(update, press, found, "cc")


async def cosign_picker(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """加签: everyone who may view the item may be asked to sign."""
    found = await review_copy.copy_candidates(
        services.get(context).db, actor=actor, kind=press.kind, item_id=press.item_id
    )
    await _picker(update, press, found, "as")


async def sign(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, press: Press
) -> None:
    """会签同意: the person added at the stage signs, once."""
    result = await review_cosign.sign(
        services.get(context).db,
        actor=actor,
        kind=press.kind,
        item_id=press.item_id,
        expected_version=press.version,
    )
    query = update.callback_query
    assert query is not None
    if result.ok:
        await query.answer(render("review_alert", kind="cosigned"), show_alert=True)
        await close_card(query, result)
        return
    await tell_result(update, result)


async def on_pick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A person picked: transfer to them, or copy to them, exactly once."""
    query = update.callback_query
    assert query is not None
    pick = ReviewPick.parse(query.data)
    actor = await current_actor(update, context)
    if pick is None or pick.action not in ("tf", "cc", "as"):
        await alert(query, "invalid")
        return
    if actor is None:
        await tell_access_denied(update)
        return
    db = services.get(context).db
    if pick.action == "tf":
        result = await handover.transfer(
            db,
            actor=actor,
            kind=pick.kind,
            item_id=pick.item_id,
            expected_version=pick.version,
            to_person_id=pick.person_id,
            now=utcnow(),
        )
        if result.ok:
            await alert(query, "transferred")
        else:
            await tell_result(update, result)
        return
    if pick.action == "as":
        added = await review_cosign.add_reviewer(
            db,
            actor=actor,
            kind=pick.kind,
            item_id=pick.item_id,
            expected_version=pick.version,
            person_id=pick.person_id,
        )
        if added.outcome is Outcome.denied:
            await tell_access_denied(update)
        elif added.ok:
            await alert(query, "cosign_added")
        elif added.decision == "add_reviewer":
            await alert(query, "cosign_added_already")
        else:
            await tell_result(update, added)
        return
    copied = await review_copy.copy_to(
        db, actor=actor, kind=pick.kind, item_id=pick.item_id, person_id=pick.person_id
    )
    if copied.outcome is Outcome.denied:
        await tell_access_denied(update)
        return
    await alert(query, "copied" if copied.ok else "copied_already")


PRESS_ACTIONS: dict[str, PressAction] = {
    "mo": more,
    "tf": transfer_picker,
    "cc": copy_picker,
    "as": cosign_picker,
    "sg": sign,
}


def build_handlers() -> list[BaseHandler]:
    """The picks' handler."""
    return [CallbackQueryHandler(on_pick, pattern=rf"^{REVIEW_PICK_PREFIX}:")]
