"""The outbox through the real `perfbot run` process: a backlog goes out at start-up."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import OutboxMessage, Person
from tests.e2e.conftest import BotFactory
from workflow.notify.queue import queue_message

pytestmark = pytest.mark.e2e


async def test_messages_queued_while_the_bot_was_down_arrive_once_when_it_starts(
    sandbox: BotApiSandbox, e2e_db: Database, bot_factory: BotFactory
) -> None:
    people = {1201: "王丽", 1202: "李强"}
    async with e2e_db.transaction() as session:
        rows = [Person(name=name, telegram_user_id=tid) for tid, name in people.items()]
        session.add_all(rows)
        await session.flush()
        for n in range(3):
            for person in rows:
                queue_message(
                    session,
                    template="welcome_guest",
                    context={"name": f"{person.name}{n}"},
                    person_id=person.id,
                    buttons=[[("deadlines", "dl:list")]],
                )
    users = {tid: sandbox.add_user(tid, name) for tid, name in people.items()}

    await bot_factory()

    for tid, user in users.items():
        received = [(await user.wait_for_message(timeout=20))["text"] for _ in range(3)]
        assert [text.split("！")[0] for text in received] == [
            f"您好，{people[tid]}{n}" for n in range(3)
        ]  # in the order they were queued
        labels = [
            b["text"]
            for row in user.bot_messages[0]["reply_markup"]["inline_keyboard"]
            for b in row
        ]
        assert labels == ["我的待办"]
    assert await _statuses_settle(e2e_db) == ["sent"] * 6
    sends = [c for c in sandbox.calls_to("sendMessage") if c.params["chat_id"] in people]
    assert len(sends) == 6


async def _statuses_settle(db: Database) -> list[str]:
    """The outbox statuses once no row is pending (a row is marked just after its send)."""
    statuses: list[str] = []
    for _ in range(50):
        async with db.sessions() as session:
            statuses = list((await session.scalars(select(OutboxMessage.status))).all())
        if "pending" not in statuses:
            break
        await asyncio.sleep(0.1)
    return statuses
