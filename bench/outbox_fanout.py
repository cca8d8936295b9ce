"""Fan-out benchmark: 1,000 notifications to 300 people through the sandbox's flood control.

The real bot application (its outbox job, its settings) sends to the Bot API sandbox, which
enforces Telegram's limits (1 message/s per chat, 30/s overall) and answers 429 when they
are exceeded. Some people have blocked the bot and a few 5xx answers are injected along the
way. Printed: delivered, blocked, duplicates, 429s, and the achieved rate against the
configured one. The target: everything delivered except to blocked people, nothing twice,
zero 429s, and while the backlog lasts at least 95 % of the configured rate.

Run it with `make bench` (all benchmarks) or `python -m bench.outbox_fanout`, on PostgreSQL
with `--database-url postgresql+asyncpg://…` (an empty, migrated database). The same
scenario, smaller and faster, is a test (tests/test_fanout.py) that asserts the outcome.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from bot.app import build_application
from bot.config import Settings
from sandbox import BotApiSandbox
from storage import migrate
from storage.db import Database
from storage.models import Organisation, OutboxMessage, Person, RoleAssignment
from workflow.notify.queue import queue_message

FIRST_USER_ID = 10_001
TARGET_SHARE = 0.95
POLL_SECONDS = 0.5
_UNREACHABLE = "已无法接收绩效助手的消息"
_NUMBER = re.compile(r"#(\d+)")


@dataclass(frozen=True)
class Scenario:
    """The shape of the fan-out."""

    messages: int = 1000
    people: int = 300
    blocked: int = 6
    admins: int = 2
    server_error_bursts: int = 4  # spread over the run
    server_errors_per_burst: int = 4
    global_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    retry_max_seconds: float = 600.0  # the longest backoff after a 5xx
    max_attempts: int = 8  # OUTBOX_MAX_ATTEMPTS: tries before a message is given up
    seed: int = 2026
    timeout: float = 240.0


@dataclass
class Result:
    """What the sandbox and the database saw."""

    delivered: int
    blocked_messages: int
    lost: int
    duplicates: int
    flood_429s: int
    forbidden: int  # 403 answers: one per blocked person, the rest of theirs held back
    server_errors: int
    admin_notices: int
    backlog_rate: float
    overall_rate: float
    seconds: float
    undelivered_ids: list[int]
    gave_up: int = 0  # messages the deliverer gave up on (status failed)


async def _populate(db: Database, scenario: Scenario) -> tuple[list[int], set[int], set[int]]:
    """People (the first ones administrators) and the queued notifications.

    Returns every Telegram id, those who blocked the bot, and the numbers of the
    notifications meant for them.
    """
    rng = random.Random(scenario.seed)
    telegram_ids = [FIRST_USER_ID + n for n in range(scenario.people)]
    blocked = set(rng.sample(telegram_ids[scenario.admins :], scenario.blocked))
    doomed: set[int] = set()
    async with db.transaction() as session:
        org = Organisation(code="BENCH", name="基准测试单位", kind="department")
        people = [Person(name=f"用户{tid}", telegram_user_id=tid) for tid in telegram_ids]
        session.add_all([org, *people])
        await session.flush()
        for admin in people[: scenario.admins]:
            session.add(RoleAssignment(person_id=admin.id, role="admin", organisation_id=org.id))
        for number in range(scenario.messages):
            person = rng.choice(people)
            if person.telegram_user_id in blocked:
                doomed.add(number)
            queue_message(
                session,
                template="welcome_guest",
                context={"name": f"#{number}"},
                person_id=person.id,
            )
    return telegram_ids, blocked, doomed


async def _inject_server_errors(sandbox: BotApiSandbox, scenario: Scenario) -> None:
    """A few bursts of 500 / 502 while the backlog is being sent."""
    expected = scenario.messages / scenario.global_per_second
    for burst in range(scenario.server_error_bursts):
        await asyncio.sleep(expected / (scenario.server_error_bursts + 1))
        status = 500 if burst % 2 == 0 else 502
        sandbox.fail_next("sendMessage", status=status, times=scenario.server_errors_per_burst)


async def _settled(db: Database) -> bool:
    """Nothing left to try: every message is final or waits for an unreachable person."""
    async with db.sessions() as session:
        waiting = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .outerjoin(Person, Person.id == OutboxMessage.person_id)
            .where(OutboxMessage.status == "pending", Person.unreachable_since.is_(None))
        )
    return waiting == 0


def _measure(sandbox: BotApiSandbox, scenario: Scenario, doomed: set[int]) -> Result:
    """Read the sandbox's records: who got what, how often, and how fast it went."""
    calls = sandbox.calls_to("sendMessage")
    received: Counter[int] = Counter()
    first_try: dict[int, float] = {}
    for call in calls:
        found = _NUMBER.search(str(call.params.get("text", "")))
        if not found:
            continue
        number = int(found.group(1))
        first_try.setdefault(number, call.time)
        if call.ok:
            received[number] += 1
    start = calls[0].time
    backlog_end = max(first_try.values())
    in_backlog = [call for call in calls if call.time <= backlog_end]
    wanted = set(range(scenario.messages)) - doomed
    undelivered = sorted(wanted - set(received))
    return Result(
        delivered=len(received),
        blocked_messages=len(doomed),
        lost=len(undelivered),
        duplicates=sum(count - 1 for count in received.values()),
        flood_429s=sandbox.flood_429_count,
        forbidden=sum(1 for call in calls if call.status == 403),
        server_errors=sum(1 for call in calls if call.status >= 500),
        # Only the "无法接收" notices: the start-up reminder sweep may tell administrators of
        # something else (next year's holidays in December) while a slow run is still going.
        admin_notices=sum(
            1 for call in calls if call.ok and _UNREACHABLE in str(call.params.get("text", ""))
        ),
        backlog_rate=(len(in_backlog) - 1) / max(backlog_end - start, 1e-9),
        overall_rate=(len(calls) - 1) / max(calls[-1].time - start, 1e-9),
        seconds=calls[-1].time - start,
        undelivered_ids=undelivered,
    )


async def run(scenario: Scenario, db: Database) -> Result:
    """Queue the fan-out, start the bot against the sandbox, wait until all is settled."""
    async with BotApiSandbox() as sandbox:
        telegram_ids, blocked, doomed = await _populate(db, scenario)
        for tid in telegram_ids:
            sandbox.add_user(tid, f"用户{tid}")
            if tid in blocked:
                sandbox.block_user(tid)
        sandbox.enforce_limits(
            per_chat_per_second=scenario.per_chat_per_second,
            global_per_second=scenario.global_per_second,
        )
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_base_url=sandbox.base_url,
            telegram_base_file_url=sandbox.base_file_url,
            database_url=db.url,
            outbox_global_per_second=scenario.global_per_second,
            outbox_per_chat_per_second=scenario.per_chat_per_second,
            outbox_retry_max_seconds=scenario.retry_max_seconds,
            outbox_max_attempts=scenario.max_attempts,
        )
        application = build_application(settings, db, sandbox.token)
        async with application:
            await application.start()
            injector = asyncio.create_task(_inject_server_errors(sandbox, scenario))
            try:
                for _ in range(int(scenario.timeout / POLL_SECONDS)):
                    await asyncio.sleep(POLL_SECONDS)
                    if await _settled(db):
                        break
            finally:
                injector.cancel()
                await application.stop()
        result = _measure(sandbox, scenario, doomed)
        async with db.sessions() as session:
            result.gave_up = int(
                await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == "failed")
                )
                or 0
            )
        return result


async def _run_on(scenario: Scenario, url: str) -> Result:
    db = Database(url)
    try:
        return await run(scenario, db)
    finally:
        await db.dispose()


def report(result: Result, scenario: Scenario) -> bool:
    """Print the figures; True when the target is met."""
    wanted = scenario.messages - result.blocked_messages
    share = result.backlog_rate / scenario.global_per_second
    met = (
        result.lost == 0
        and result.duplicates == 0
        and result.flood_429s == 0
        and share >= TARGET_SHARE
    )
    lines = [
        f"outbox fan-out: {scenario.messages} notifications to {scenario.people} people "
        f"({scenario.blocked} blocked), limits {scenario.global_per_second:g}/s overall, "
        f"{scenario.per_chat_per_second:g}/s per chat",
        f"  delivered        {result.delivered} of {wanted} deliverable"
        + (f"  (missing: {result.undelivered_ids[:10]})" if result.lost else ""),
        f"  blocked          {result.blocked_messages} (to people who blocked the bot; "
        f"{result.forbidden} refused tries)",
        f"  duplicates       {result.duplicates}",
        f"  429s received    {result.flood_429s}",
        f"  5xx injected     {result.server_errors} (retried)",
        f"  admin notices    {result.admin_notices}",
        f"  rate             {result.backlog_rate:.2f}/s while the backlog lasted "
        f"= {share:.1%} of {scenario.global_per_second:g}/s "
        f"(overall {result.overall_rate:.2f}/s over {result.seconds:.1f} s incl. retries)",
        f"  target           {'met' if met else 'MISSED'} (all delivered but the blocked, "
        f"none twice, zero 429s, >= {TARGET_SHARE:.0%} of the configured rate)",
    ]
    print("\n".join(lines))
    return met


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark on a fresh SQLite file (or the given database) and print the result;
    1 when the target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.outbox_fanout")
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    parser.add_argument("--messages", type=int, default=Scenario.messages)
    parser.add_argument("--people", type=int, default=Scenario.people)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    scenario = Scenario(messages=args.messages, people=args.people)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        migrate.upgrade(url)
        result = asyncio.run(_run_on(scenario, url))
    return 0 if report(result, scenario) else 1


if __name__ == "__main__":
    sys.exit(main())
