"""Write units wait for each other instead of failing: many chats at once, a second process.

On SQLite, writers used to compete through the busy timeout: with many chats writing at
once the unlucky ones waited past it and failed with "database is locked", and a person's
answer was lost. Write units now queue for the one writer in the process and wait their
turn however long the queue; the busy timeout is left for other processes.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from storage import inbox
from storage.db import Database
from storage.models.intake import InboxUpdate

PEOPLE = 40
HOLD = 0.02  # seconds a unit keeps the writer: 40 of them queue far past the timeout below
SHORT_BUSY_TIMEOUT_MS = 100


def _payload(update_id: int) -> dict[str, object]:
    chat = {"id": update_id, "type": "private", "first_name": "某人"}
    return {
        "update_id": update_id,
        "message": {"message_id": 1, "date": 0, "chat": chat, "from": chat, "text": "x"},
    }


async def _read_then_write(db: Database, update_id: int) -> None:
    """What a form answer does: look at the draft, let others run, then write."""
    async with db.transaction() as session:
        row = await session.scalar(
            select(InboxUpdate.received_at).where(InboxUpdate.update_id == update_id)
        )
        assert row is not None
        await session.execute(
            update(InboxUpdate).where(InboxUpdate.update_id == update_id).values(chat_id=-update_id)
        )
        await asyncio.sleep(HOLD)  # the handler's next step, the lock still held


async def test_many_chats_writing_at_once_all_commit(database: Database) -> None:
    await inbox.store(database, [_payload(n) for n in range(1, PEOPLE + 1)])
    # The queue outlasts SQLite's busy timeout by far (40 × 20 ms against 100 ms).
    bot = (
        Database(database.url, sqlite_busy_timeout_ms=SHORT_BUSY_TIMEOUT_MS)
        if database.dialect == "sqlite"
        else database
    )
    try:
        results = await asyncio.gather(
            *(_read_then_write(bot, n) for n in range(1, PEOPLE + 1)), return_exceptions=True
        )
    finally:
        if bot is not database:
            await bot.dispose()

    failures = [repr(result) for result in results if isinstance(result, BaseException)]
    assert failures == []
    async with database.sessions() as session:
        written = (await session.scalars(select(InboxUpdate.chat_id))).all()
    assert sorted(written) == sorted(-n for n in range(1, PEOPLE + 1))


async def test_a_unit_waits_for_another_process_writing(
    database: Database, second_process: Database
) -> None:
    await inbox.store(database, [_payload(1), _payload(2)])
    other_is_writing = asyncio.Event()

    async def other_process() -> None:
        async with second_process.transaction() as session:
            await session.execute(
                update(InboxUpdate).where(InboxUpdate.update_id == 2).values(chat_id=-2)
            )
            other_is_writing.set()
            await asyncio.sleep(0.3)

    async def this_process() -> None:
        await other_is_writing.wait()
        await _read_then_write(database, 1)

    await asyncio.gather(other_process(), this_process())

    async with database.sessions() as session:
        written = (
            await session.scalars(select(InboxUpdate.chat_id).order_by(InboxUpdate.update_id))
        ).all()
    assert written == [-1, -2]


async def test_a_nested_unit_in_the_same_task_does_not_wait_for_itself(
    database: Database,
) -> None:
    await inbox.store(database, [_payload(1), _payload(2)])

    async def nested() -> None:
        async with database.transaction() as outer:
            await outer.scalar(select(InboxUpdate.update_id).limit(1))
            # A separate unit opened inside (as some workflow helpers do) reads and writes.
            async with database.transaction() as inner:
                await inner.execute(
                    update(InboxUpdate).where(InboxUpdate.update_id == 2).values(chat_id=-2)
                )
            await outer.execute(
                update(InboxUpdate).where(InboxUpdate.update_id == 1).values(chat_id=-1)
            )

    await asyncio.wait_for(nested(), timeout=10)

    async with database.sessions() as session:
        written = (
            await session.scalars(select(InboxUpdate.chat_id).order_by(InboxUpdate.update_id))
        ).all()
    assert written == [-1, -2]
