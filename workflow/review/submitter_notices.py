"""What the submitter's actions send: the receipt with 撤回 / 催办, and a nudge's cards.

Outbox rows written in the caller's transaction, like every review notice
(`workflow.review.notices`); their dedupe prefixes (`receipt`, `nudge`) are among the
cards closed when the item moves on.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ReviewStage
from workflow.core.access import Actor
from workflow.notify.queue import queue_for_people
from workflow.review.kinds import Item
from workflow.review.notices import (
    KEY_PREFIX,
    card_context,
    changes_for,
    invites_experts,
    local_time,
    reviewer_buttons,
    submitter_buttons,
    viewer_buttons,
)
from workflow.review.people import people_who_may, review_scope


async def submitted(
    session: AsyncSession, item: Item, stage: ReviewStage, *, by: Actor, now: dt.datetime
) -> None:
    """The submitter's receipt: where the item waits, with 撤回 / 催办 while it does."""
    if by.person_id is None:
        return
    version = item.row.version
    queue_for_people(
        session,
        [by.person_id],
        template="review_receipt",
        context={
            "item": await item.kind.describe(session, item),
            "kind": item.kind.name,
            "stage": stage.value,
            "at": local_time(now),
        },
        buttons=[
            submitter_buttons(item.kind.name, item.id, version),
            viewer_buttons(item.kind.name, item.id, version),
        ],
        dedupe_prefix=f"{KEY_PREFIX}:receipt:{item.kind.ref(item.id)}:{version}",
    )


async def nudged(
    session: AsyncSession,
    item: Item,
    stage: ReviewStage,
    *,
    by: Actor,
    now: dt.datetime,
    day: dt.date,
) -> None:
    """催办: the stage's reviewers get the card again, saying who asks."""
    scope = await review_scope(session, item.project)
    context = await card_context(session, item, stage, now=now)
    version = item.row.version
    reviewers = await people_who_may(session, item.kind.action_at(stage), scope)
    for reviewer in reviewers:
        queue_for_people(
            session,
            [reviewer],
            template=item.kind.templates.card,
            context={
                **context,
                "nudge": {"by": by.name, "at": local_time(now)},
                "changes": await changes_for(session, item, person_id=reviewer, stage=stage),
            },
            buttons=reviewer_buttons(
                item.kind.name, item.id, version, invite=invites_experts(item, stage), stage=stage
            ),
            dedupe_prefix=f"{KEY_PREFIX}:nudge:{item.kind.ref(item.id)}:{version}:{day}",
        )
