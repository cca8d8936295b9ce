"""Edits through the outbox: a delivered message is rewritten, never overtaken, never resent."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update
from telegram import Bot

from bot.outbox.delivery import Deliverer, DeliveryPolicy
from sandbox import BotApiSandbox
from storage.db import Database
from storage.models import OutboxMessage, Person
from storage.types import utcnow
from workflow.notify import outbox
from workflow.notify.edits import queue_edit
from workflow.notify.outbox import Outcome, RetryPolicy
from workflow.notify.queue import queue_message

ALICE = 1001
FAST = DeliveryPolicy(
    global_per_second=200,
    per_chat_per_second=50,
    retry=RetryPolicy(max_attempts=3, first_delay=0.05, max_delay=0.2),
    lease=dt.timedelta(seconds=0.5),
)


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiSandbox]:
    async with BotApiSandbox() as running:
        running.add_user(ALICE, "王丽")
        yield running


@pytest.fixture
async def alice(database: Database) -> int:
    async with database.transaction() as session:
        person = Person(name="王丽", telegram_user_id=ALICE)
        session.add(person)
    assert person.id is not None
    return person.id


async def card_and_edit(db: Database, person_id: int, *, edit_name: str = "李强") -> list[int]:
    """A greeting with a button, and an edit that renames it and takes the button away."""
    async with db.transaction() as session:
        card = queue_message(
            session,
            template="welcome_guest",
            context={"name": "王丽"},
            person_id=person_id,
            buttons=[[("help", "help")]],
        )
        await session.flush()
        edit = queue_edit(session, card, context={"name": edit_name})
    assert card.id is not None and edit.id is not None
    return [card.id, edit.id]


async def rows(db: Database) -> dict[int, OutboxMessage]:
    async with db.sessions() as session:
        return {row.id: row for row in await session.scalars(select(OutboxMessage))}


async def test_an_edit_rewrites_the_delivered_message_and_takes_its_buttons(
    database: Database, bot: Bot, sandbox: BotApiSandbox, alice: int
) -> None:
    card, edit = await card_and_edit(database, alice)
    deliverer = Deliverer(database, FAST)
    first = await deliverer.run(bot)  # the edit waits for the card to be sent
    second = await deliverer.run(bot)

    user = sandbox.user(ALICE)
    (message,) = user.bot_messages  # one message in the chat, rewritten in place
    assert message["text"].startswith("您好，李强！") and "reply_markup" not in message
    assert [event.kind for event in user._chat.events] == ["message", "edit"]
    saved = await rows(database)
    assert saved[card].status == saved[edit].status == "sent"
    assert saved[edit].telegram_message_id == saved[card].telegram_message_id
    assert first.outcomes == second.outcomes == {Outcome.sent: 1}


async def test_an_edit_is_not_claimed_before_the_message_it_edits(
    database: Database, alice: int
) -> None:
    card, edit = await card_and_edit(database, alice)
    now = utcnow()
    first = await outbox.claim_due(database, now=now, limit=10, per_chat=10)
    assert [m.id for m in first] == [card]
    await outbox.mark_sent(database, message_id=card, now=now, telegram_message_id=77)
    second = await outbox.claim_due(database, now=now, limit=10, per_chat=10)
    assert [(m.id, m.edit_of_id) for m in second] == [(edit, card)]


async def test_an_edit_of_a_message_never_delivered_fails_with_nothing_to_edit(
    database: Database, bot: Bot, sandbox: BotApiSandbox, alice: int
) -> None:
    card, edit = await card_and_edit(database, alice)
    await outbox.mark_failed(
        database, message_id=card, now=utcnow(), outcome=Outcome.bad_request, reason="refused"
    )
    await Deliverer(database, FAST).run(bot)
    saved = await rows(database)
    assert (saved[edit].status, saved[edit].last_error) == ("failed", "nothing to edit")
    assert sandbox.user(ALICE).bot_messages == []


async def test_an_edit_that_changes_nothing_counts_as_done(
    database: Database, bot: Bot, sandbox: BotApiSandbox, alice: int
) -> None:
    card, edit = await card_and_edit(database, alice, edit_name="王丽")
    async with database.transaction() as session:  # the same text, and no buttons either
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == card).values(buttons=None)
        )
    deliverer = Deliverer(database, FAST)
    for _ in range(2):
        await deliverer.run(bot)
    saved = await rows(database)
    assert saved[edit].status == "sent" and saved[edit].last_error is None
    assert len(sandbox.user(ALICE).bot_messages) == 1
