"""Lists a person can ask for come a page at a time, however many rows there are."""

from __future__ import annotations

import datetime as dt

from storage.db import Database
from storage.models import Invitation, Organisation, Person, RoleAssignment
from workflow.core.access import TERMINAL
from workflow.people.invitations import pending_invitations
from workflow.people.persons import count_people, list_people


async def test_people_and_invitations_come_in_pages(database: Database) -> None:
    async with database.transaction() as session:
        org = Organisation(code="D1", name="市教育局", kind="department")
        session.add(org)
        await session.flush()
        people = [Person(name=f"人员{n:03d}", telegram_user_id=10_000 + n) for n in range(65)]
        session.add_all(people)
        await session.flush()
        for person in people:
            session.add(RoleAssignment(person_id=person.id, role="staff", organisation_id=org.id))
            session.add(RoleAssignment(person_id=person.id, role="head", organisation_id=org.id))
        session.add_all(
            Invitation(
                token_hash=f"hash-{n:04d}",
                role="staff",
                organisation_id=org.id,
                expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
            )
            for n in range(45)
        )

    first = await list_people(database, actor=TERMINAL, limit=30)
    third = await list_people(database, actor=TERMINAL, limit=30, offset=60)
    assert [p.name for p in first] == [f"人员{n:03d}" for n in range(30)]
    assert [p.name for p in third] == [f"人员{n:03d}" for n in range(60, 65)]
    assert len(first[0].roles) == 2  # two roles, still one person
    assert await count_people(database, actor=TERMINAL) == 65
    assert await count_people(database, actor=TERMINAL, organisation_code="D9") == 0
    assert len(await pending_invitations(database, actor=TERMINAL, limit=30)) == 30
    assert len(await pending_invitations(database, actor=TERMINAL, limit=30, offset=30)) == 15
