"""The outbox's storage side on both databases: leases, fairness, retries, unreachable people."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update

from storage.db import Database
from storage.models import (
    AuditEntry,
    DeliveryAttempt,
    Organisation,
    OutboxMessage,
    Person,
    RoleAssignment,
)
from workflow.notify import outbox
from workflow.notify.outbox import Outcome, RetryPolicy
from workflow.notify.queue import queue_message
from workflow.people import reachability

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=2)


@dataclass
class People:
    """Ids of the people the tests write to."""

    alice: int  # staff, Telegram 1001
    bob: int  # staff, Telegram 1002
    newcomer: int  # no Telegram account yet
    admin: int  # Telegram 9001
    second_admin: int  # Telegram 9002
    former_admin: int  # admin role revoked


async def _people(db: Database) -> People:
    async with db.transaction() as session:
        org = Organisation(code="D1", name="市教育局", kind="department")
        session.add(org)
        await session.flush()
        rows = {
            "alice": Person(name="王丽", telegram_user_id=1001),
            "bob": Person(name="李强", telegram_user_id=1002),
            "newcomer": Person(name="赵新"),
            "admin": Person(name="管理员甲", telegram_user_id=9001),
            "second_admin": Person(name="管理员乙", telegram_user_id=9002),
            "former_admin": Person(name="前管理员", telegram_user_id=9003),
        }
        session.add_all(rows.values())
        await session.flush()
        for key in ("admin", "second_admin", "former_admin"):
            session.add(
                RoleAssignment(person_id=rows[key].id, role="admin", organisation_id=org.id)
            )
        session.add(
            RoleAssignment(person_id=rows["alice"].id, role="staff", organisation_id=org.id)
        )
        await session.flush()
        await session.execute(
            update(RoleAssignment)
            .where(RoleAssignment.person_id == rows["former_admin"].id)
            .values(revoked_at=T0)
        )
    return People(**{key: person.id for key, person in rows.items()})


async def _queue(db: Database, *, at: dt.datetime = T0, **recipient: int) -> int:
    async with db.transaction() as session:
        message = queue_message(
            session, template="welcome_guest", context={"name": ""}, **recipient
        )
        message.next_attempt_at = at
        message.created_at = at
    return message.id


async def _row(db: Database, message_id: int) -> OutboxMessage:
    async with db.sessions() as session:
        return await session.get(OutboxMessage, message_id)


async def _attempts(db: Database, message_id: int) -> list[str]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(DeliveryAttempt.outcome)
            .where(DeliveryAttempt.outbox_message_id == message_id)
            .order_by(DeliveryAttempt.id)
        )
        return list(rows.all())


async def _claim(db: Database, now: dt.datetime = T0, **options: object) -> list[int]:
    settings: dict[str, object] = {"limit": 100, "per_chat": 10, "lease": LEASE, **options}
    return [message.id for message in await outbox.claim_due(db, now=now, **settings)]


async def test_claim_takes_every_chat_once_before_any_chat_twice(database: Database) -> None:
    people = await _people(database)
    alice = [await _queue(database, person_id=people.alice) for _ in range(3)]
    bob = [await _queue(database, person_id=people.bob) for _ in range(2)]
    raw_chat = await _queue(database, chat_id=555)

    claimed = await outbox.claim_due(database, now=T0, limit=4, per_chat=2, lease=LEASE)

    assert [m.id for m in claimed] == [alice[0], bob[0], raw_chat, alice[1]]
    assert [m.chat_id for m in claimed] == [1001, 1002, 555, 1001]
    assert claimed[0].template == "welcome_guest" and claimed[0].context == {"name": ""}
    # A chat's later messages wait while its earlier ones are leased (the chat's order).
    assert await _claim(database, per_chat=1) == []
    for message in claimed:
        await outbox.mark_sent(database, message_id=message.id, now=T0, telegram_message_id=1)
    # At most per_chat of one chat in a claim, even when there is room for more.
    assert await _claim(database, per_chat=1) == [alice[2], bob[1]]


async def test_within_a_round_the_chats_with_most_waiting_go_first(database: Database) -> None:
    people = await _people(database)
    alice = await _queue(database, person_id=people.alice)
    bob = [await _queue(database, person_id=people.bob) for _ in range(3)]

    # Bob's first message before Alice's older one: his chat takes longest to drain at one
    # message per turn, so starting it first keeps the end of a fan-out from waiting on him.
    assert await _claim(database, per_chat=1, limit=2) == [bob[0], alice]
    assert await _claim(database, per_chat=1) == []  # bob[1] waits behind the leased bob[0]
    await outbox.mark_sent(database, message_id=bob[0], now=T0, telegram_message_id=1)
    assert await _claim(database, per_chat=1) == [bob[1]]


async def test_a_claim_is_a_lease_that_runs_out(database: Database) -> None:
    people = await _people(database)
    message_id = await _queue(database, person_id=people.alice)

    assert await _claim(database) == [message_id]
    # A deliverer that claimed and then died: nobody else gets the row while the lease runs.
    assert await _claim(database, now=T0 + LEASE - dt.timedelta(seconds=1)) == []
    assert await _claim(database, now=T0 + LEASE) == [message_id]
    row = await _row(database, message_id)
    assert (row.status, row.attempts) == ("pending", 0)


async def test_claim_leaves_messages_not_yet_due_and_skipped_chats(database: Database) -> None:
    people = await _people(database)
    later = await _queue(database, person_id=people.alice, at=T0 + dt.timedelta(seconds=30))
    bob = await _queue(database, person_id=people.bob)

    assert await _claim(database, skip_chats={1002}) == []
    assert await _claim(database) == [bob]
    assert await _claim(database, now=T0 + dt.timedelta(seconds=30)) == [later]


async def test_people_without_telegram_or_unreachable_wait_unclaimed(database: Database) -> None:
    people = await _people(database)
    for_newcomer = await _queue(database, person_id=people.newcomer)
    async with database.transaction() as session:
        await session.execute(
            update(Person).where(Person.id == people.bob).values(unreachable_since=T0)
        )
    for_bob = await _queue(database, person_id=people.bob)

    assert await _claim(database) == []
    async with database.transaction() as session:
        await session.execute(
            update(Person).where(Person.id == people.newcomer).values(telegram_user_id=4242)
        )
    assert await reachability.mark_reachable(database, person_id=people.bob) is True
    assert await reachability.mark_reachable(database, person_id=people.bob) is False
    assert await _claim(database) == [for_newcomer, for_bob]
    assert [(await _row(database, i)).status for i in (for_newcomer, for_bob)] == ["pending"] * 2


async def test_two_claimers_at_once_never_share_a_row(database: Database) -> None:
    people = await _people(database)
    for _ in range(20):
        await _queue(database, person_id=people.alice)
        await _queue(database, person_id=people.bob)

    first, second = await asyncio.gather(
        _claim(database, limit=15, per_chat=20), _claim(database, limit=15, per_chat=20)
    )

    # The loser of a race for the same rows comes back short, never with a shared row.
    assert not set(first) & set(second)
    for message_id in first + second:
        await outbox.mark_sent(database, message_id=message_id, now=T0, telegram_message_id=1)
    third = await _claim(database, limit=40, per_chat=20)
    assert not set(third) & (set(first) | set(second))
    assert len(first) + len(second) + len(third) == 40


async def test_sent_is_final_and_recorded(database: Database) -> None:
    people = await _people(database)
    message_id = await _queue(database, person_id=people.alice)
    await _claim(database)

    assert await outbox.mark_sent(database, message_id=message_id, now=T0, telegram_message_id=77)
    # A stale report about the same row changes nothing.
    assert not await outbox.mark_failed(
        database, message_id=message_id, now=T0, outcome=Outcome.bad_request, reason="late"
    )

    row = await _row(database, message_id)
    assert (row.status, row.sent_at, row.telegram_message_id, row.attempts) == ("sent", T0, 77, 1)
    assert await _claim(database, now=T0 + LEASE * 10) == []
    assert await outbox.status_counts(database) == {"sent": 1}


async def test_network_errors_back_off_doubling_then_give_up(database: Database) -> None:
    people = await _people(database)
    message_id = await _queue(database, person_id=people.alice)
    policy = RetryPolicy(max_attempts=4, first_delay=10, max_delay=25)
    now = T0
    waits = []
    for _ in range(3):
        assert await _claim(database, now=now) == [message_id]
        status = await outbox.retry_later(
            database,
            message_id=message_id,
            now=now,
            detail="NetworkError: Bad Gateway",
            policy=policy,
        )
        assert status == "pending"
        due = (await _row(database, message_id)).next_attempt_at
        waits.append((due - now).total_seconds())
        assert await _claim(database, now=due - dt.timedelta(seconds=1)) == []
        now = due

    assert waits == [10, 20, 25]  # doubling, capped
    await _claim(database, now=now)
    status = await outbox.retry_later(
        database, message_id=message_id, now=now, detail="TimedOut: timed out", policy=policy
    )
    assert status == "failed"
    row = await _row(database, message_id)
    assert (row.status, row.attempts) == ("failed", 4)
    assert row.last_error == "gave up after 4 attempts: TimedOut: timed out"
    assert await _attempts(database, message_id) == ["network"] * 4


async def test_retry_after_postpones_without_spending_an_attempt(database: Database) -> None:
    people = await _people(database)
    message_id = await _queue(database, person_id=people.alice)
    await _claim(database)
    until = T0 + dt.timedelta(seconds=7)

    await outbox.postpone(database, message_id=message_id, now=T0, until=until, detail="wait 7")

    row = await _row(database, message_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, until)
    assert await _claim(database, now=until - dt.timedelta(seconds=1)) == []
    assert await _claim(database, now=until) == [message_id]
    assert await _attempts(database, message_id) == ["retry_after"]


async def test_bad_request_fails_with_the_reason(database: Database) -> None:
    people = await _people(database)
    message_id = await _queue(database, person_id=people.alice)
    await _claim(database)

    reason = "Can't parse entities: unclosed start tag"
    await outbox.mark_failed(
        database, message_id=message_id, now=T0, outcome=Outcome.bad_request, reason=reason
    )

    row = await _row(database, message_id)
    assert (row.status, row.last_error, row.attempts) == ("failed", reason, 1)
    assert await _attempts(database, message_id) == ["bad_request"]


async def test_forbidden_marks_the_person_and_tells_each_admin_once(database: Database) -> None:
    people = await _people(database)
    first = await _queue(database, person_id=people.alice)
    second = await _queue(database, person_id=people.alice)
    await _claim(database)
    reason = "Forbidden: bot was blocked by the user"

    told = await outbox.mark_unreachable(database, message_id=first, now=T0, reason=reason)
    again = await outbox.mark_unreachable(database, message_id=second, now=T0, reason=reason)

    assert (told, again) == (True, False)
    async with database.sessions() as session:
        alice = await session.get(Person, people.alice)
        notices = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == reachability.PERSON_UNREACHABLE_TEMPLATE)
                .order_by(OutboxMessage.person_id)
            )
        ).all()
        audits = await session.scalar(
            select(func.count()).where(AuditEntry.action == "person_unreachable")
        )
    assert alice.unreachable_since == T0
    assert [n.person_id for n in notices] == [people.admin, people.second_admin]
    assert all(n.context == {"name": "王丽", "reason": reason} for n in notices)
    assert all(n.dedupe_key and n.status == "pending" for n in notices)
    assert audits == 1
    assert [(await _row(database, i)).status for i in (first, second)] == ["unreachable"] * 2


async def test_a_blocked_admin_is_not_told_about_themself(database: Database) -> None:
    people = await _people(database)
    message_id = await _queue(database, person_id=people.admin)
    await _claim(database)

    await outbox.mark_unreachable(database, message_id=message_id, now=T0, reason="Forbidden")

    async with database.sessions() as session:
        told = await session.scalars(
            select(OutboxMessage.person_id).where(
                OutboxMessage.template == reachability.PERSON_UNREACHABLE_TEMPLATE
            )
        )
        assert list(told.all()) == [people.second_admin]


async def test_blocking_again_after_coming_back_tells_the_admins_again(database: Database) -> None:
    people = await _people(database)
    first = await _queue(database, person_id=people.bob)
    await _claim(database)
    await outbox.mark_unreachable(database, message_id=first, now=T0, reason="Forbidden")
    await reachability.mark_reachable(database, person_id=people.bob)
    later = T0 + dt.timedelta(days=3)
    second = await _queue(database, person_id=people.bob, at=later)
    assert await _claim(database, now=later) == [second]

    assert await outbox.mark_unreachable(database, message_id=second, now=later, reason="Forbidden")

    async with database.sessions() as session:
        notices = await session.scalar(
            select(func.count()).where(
                OutboxMessage.template == reachability.PERSON_UNREACHABLE_TEMPLATE
            )
        )
    assert notices == 4  # two admins, two episodes


async def test_release_gives_claimed_rows_back_at_the_given_time(database: Database) -> None:
    people = await _people(database)
    message_ids = [await _queue(database, person_id=people.alice) for _ in range(2)]
    await _claim(database)
    soon = T0 + dt.timedelta(seconds=5)

    await outbox.release(database, message_ids=message_ids, due_at=soon)

    assert await _claim(database, now=soon) == message_ids


async def test_claim_knows_how_many_parts_earlier_tries_delivered(database: Database) -> None:
    people = await _people(database)
    message_id = await _queue(database, person_id=people.alice)
    await _claim(database)
    await outbox.record_part_sent(database, message_id=message_id, now=T0, part=1, parts=3)
    await outbox.record_part_sent(database, message_id=message_id, now=T0, part=2, parts=3)
    await outbox.retry_later(
        database, message_id=message_id, now=T0, detail="TimedOut", policy=RetryPolicy()
    )

    (claimed,) = await outbox.claim_due(
        database, now=T0 + dt.timedelta(hours=1), limit=5, per_chat=5
    )
    assert (claimed.parts_sent, claimed.attempts) == (2, 1)
