"""The fault drill: notices to many people under injected 429/5xx, some people blocked.

Every message to a reachable person must arrive exactly once and in queue order; a
blocked person's messages must not go out (they wait for the person's return).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

from telegram import Bot

from bot.outbox.delivery import Deliverer, DeliveryPolicy
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import Organisation, Person
from workflow.notify.outbox import RetryPolicy
from workflow.notify.queue import queue_message

DRILL_POLICY = DeliveryPolicy(
    global_per_second=500,
    per_chat_per_second=100,
    retry=RetryPolicy(max_attempts=20, first_delay=0.02, max_delay=0.1),
    lease=dt.timedelta(seconds=2),
)
FIRST_TELEGRAM_ID = 880_000


@dataclass
class FaultTally:
    """What the drill counted."""

    notices: int = 0
    delivered: int = 0
    twice: int = 0
    out_of_order_chats: int = 0
    lost: int = 0
    leaked_to_blocked: int = 0
    faults: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self, backend: str) -> str:
        """The figures as the README reports them."""
        return (
            f"fault drill ({backend}): {self.notices} notices, {self.faults} injected faults, "
            f"{self.delivered} delivered, {self.lost} lost, {self.twice} twice, "
            f"{self.out_of_order_chats} chats out of order, "
            f"{self.leaked_to_blocked} to blocked people"
        )


async def run_fault_drill(
    db: Database, sandbox: BotApiSandbox, bot: Bot, *, people: int, per_person: int, blocked: int
) -> FaultTally:
    """Queue `per_person` notices for each person, inject faults, deliver until done."""
    ids = [FIRST_TELEGRAM_ID + n for n in range(people)]
    async with db.transaction() as session:
        session.add(Organisation(code="DF", name="演练单位", kind="department"))
        persons = [Person(name=f"演练{n}", telegram_user_id=tid) for n, tid in enumerate(ids)]
        session.add_all(persons)
        await session.flush()
        for round_ in range(per_person):
            for person in persons:
                queue_message(
                    session,
                    template="welcome_guest",
                    context={"name": f"{person.name}-{round_:03d}"},
                    person_id=person.id,
                )
    for tid in ids:
        sandbox.add_user(tid, f"演练{tid}")
    for tid in ids[:blocked]:
        sandbox.block_user(tid)
    sandbox.faults.fail_randomly("sendMessage", 0.2, (429, 500, 502), seed=20261204)
    deliverer = Deliverer(db, DRILL_POLICY)
    tally = FaultTally(notices=people * per_person)
    expected = (people - blocked) * per_person
    for _ in range(2000):
        await deliverer.run(bot)
        delivered = sum(len(sandbox.user(tid).bot_messages) for tid in ids[blocked:])
        if delivered >= expected:
            break
        await asyncio.sleep(0.02)
    sandbox.faults.fail_randomly("sendMessage", 0, (), seed=0)
    tally.faults = sandbox.faults.random_hits
    for tid in ids[blocked:]:
        texts = [m["text"] for m in sandbox.user(tid).bot_messages]
        rounds = [text.split("-")[1][:3] for text in texts]
        tally.delivered += len(texts)
        tally.twice += len(rounds) - len(set(rounds))
        tally.lost += per_person - len(set(rounds))
        if rounds != sorted(rounds):
            tally.out_of_order_chats += 1
            tally.problems.append(f"chat {tid}: {rounds}")
    tally.leaked_to_blocked = sum(len(sandbox.user(tid).bot_messages) for tid in ids[:blocked])
    return tally
