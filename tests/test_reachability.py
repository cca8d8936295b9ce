"""Someone who blocked the bot and writes to it again gets their held-back messages."""

from __future__ import annotations

from storage.db import Database
from storage.models import Organisation, Person, RoleAssignment
from storage.types import utcnow
from workflow.notify.outbox import claim_due
from workflow.notify.queue import queue_message
from workflow.people.persons import find_actor


async def test_writing_again_clears_unreachable_and_releases_messages(database: Database) -> None:
    async with database.transaction() as session:
        section = Organisation(code="S1", name="行政政法科", kind="business_section")
        session.add(section)
        await session.flush()
        person = Person(name="张三", telegram_user_id=5001, unreachable_since=utcnow())
        session.add(person)
        await session.flush()
        session.add(
            RoleAssignment(person_id=person.id, role="business", organisation_id=section.id)
        )
        queue_message(session, template="registered", context={}, person_id=person.id)

    assert (
        await claim_due(database, now=utcnow(), limit=10, per_chat=1) == []
    )  # held back while unreachable

    actor = await find_actor(database, telegram_user_id=5001)
    assert actor is not None and not actor.unreachable
    async with database.sessions() as session:
        assert (await session.get(Person, person.id)).unreachable_since is None
    assert len(await claim_due(database, now=utcnow(), limit=10, per_chat=1)) == 1
