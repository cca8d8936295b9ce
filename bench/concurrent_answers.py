"""Concurrent answers benchmark: many people answering their forms at the same moment.

The real Application of `bot.app.build_application` (every handler, the gate, the form
runner, the inbox and its `ChatOrderedProcessor`) runs in this process against the in-process
Bot API sandbox, so every reply is a real HTTP request answered locally. `--people` staff
members (registered in bulk) each have a goal declaration open and type its header answers
as chat messages (14 of them). Each update is kept in the inbox as the polling bot keeps
it, then put on `application.update_queue`; its latency runs from that moment until the
processor has finished it (handlers, reply, inbox marked finished).

- closed loop: everyone sends the next answer as soon as the previous one is finished, so
  `--people` updates are in flight at any moment; then the same with one person alone (the
  anchor: no one to wait for), and PTB's bare `process_update` (bench.common);
- the same without the rate limiter: Telegram lets a bot send about 30 messages a second
  in all, and python-telegram-bot's `AIORateLimiter` (kept in production) holds replies to
  that, so 100 replies at once take 3.3 s whatever the bot does; without it the figure is
  the handling itself, which is what the target is about;
- burst (rate limiter off): everyone sends all 14 answers at once (14 × people updates
  queued together), which is what strict per-chat order is for: an answer handled out of
  turn lands in the wrong field. Order violations (a chat's updates finished out of their
  sending order) and drafts whose answers differ from the lone person's are counted; both
  must be 0.

Target: 99th percentile ≤ 100 ms in the closed loop without the limiter. SQLite on a
temporary file; PostgreSQL in a temporary database (skipped when the server cannot be
reached). Run it with `python -m bench.concurrent_answers`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from telegram import Update

from bench.common import (
    DEFAULT_POSTGRES,
    opened,
    postgres_url,
    ptb_process_update_ms,
    ratio,
    sqlite_url,
)
from bot.app import build_application
from bot.config import Settings
from bot.intake import wiring as intake
from bot.intake.processor import ChatOrderedProcessor
from sandbox.server import BotApiSandbox
from storage import inbox
from storage.db import Database
from storage.models import BudgetYear, FormDraft, Organisation, Person, RoleAssignment
from tests.goal_world import HEADER_ANSWERS
from workflow.forms import drafts

TARGET_P99_MS = 100.0
FIRST_TELEGRAM_ID = 700_000
LOST_AFTER_SECONDS = 120
ANSWERS = [answer for _, answer in HEADER_ANSWERS]


@dataclass
class Timings:
    """When each update entered and was finished, and each chat's finishing order."""

    entered: dict[int, float] = field(default_factory=dict)
    finished: dict[int, float] = field(default_factory=dict)
    order: dict[int, list[int]] = field(default_factory=dict)
    handling: list[float] = field(default_factory=list)  # ms from a slot to the end
    failed: int = 0  # updates whose processing raised
    done: dict[int, asyncio.Event] = field(default_factory=dict)

    def latencies_ms(self) -> list[float]:
        """Entered to finished, of every update that finished, sorted."""
        return sorted((self.finished[u] - self.entered[u]) * 1000 for u in self.finished)

    def violations(self) -> int:
        """Updates of a chat finished after one sent later than them."""
        return sum(1 for ids in self.order.values() for a, b in itertools.pairwise(ids) if b < a)


def _watch(processor: ChatOrderedProcessor, timings: Timings) -> None:
    """Note when the processor finishes each update (wrapping its entry point)."""
    inner = processor.do_process_update

    async def timed(update: object, coroutine: Any) -> None:
        try:
            await inner(update, coroutine)
        except Exception as error:  # the processor let it out: counted, and shown once
            if not timings.failed:
                print(f"  failure    {type(error).__name__}: {error}"[:300])
            timings.failed += 1
            raise
        finally:
            if isinstance(update, Update) and update.effective_chat is not None:
                timings.finished[update.update_id] = time.perf_counter()
                timings.order.setdefault(update.effective_chat.id, []).append(update.update_id)
                event = timings.done.get(update.update_id)
                if event is not None:
                    event.set()

    handle = processor._handle

    async def handled(update: Update, coroutine: Any, verdict: Any) -> None:
        started = time.perf_counter()
        await handle(update, coroutine, verdict)
        timings.handling.append((time.perf_counter() - started) * 1000)

    processor.do_process_update = timed  # type: ignore[method-assign]
    processor._handle = handled  # type: ignore[method-assign]


async def _register(db: Database, people: int) -> list[int]:
    """One department, `people` staff members with Telegram accounts, in bulk; their ids."""
    now = dt.datetime.now(dt.UTC)
    async with db.transaction() as session:
        await session.execute(
            insert(Organisation),
            [{"code": "S1", "name": "社会保障科", "kind": "business_section", "created_at": now}],
        )
        section = (await session.scalars(select(Organisation.id))).one()
        await session.execute(
            insert(Organisation),
            [
                {"code": "D01", "name": "市人力资源和社会保障局", "kind": "department"}
                | {"section_id": section, "created_at": now}
            ],
        )
        department = (
            await session.scalars(select(Organisation.id).where(Organisation.code == "D01"))
        ).one()
        await session.execute(
            insert(BudgetYear), [{"year": 2026, "indicator_tree_version": "2021"}]
        )
        await session.execute(
            insert(Person),
            [
                {"name": f"经办{n}", "telegram_user_id": FIRST_TELEGRAM_ID + n, "created_at": now}
                for n in range(people)
            ],
        )
        ids = list((await session.scalars(select(Person.id).order_by(Person.id))).all())
        await session.execute(
            insert(RoleAssignment),
            [{"person_id": p, "role": "staff", "organisation_id": department} for p in ids],
        )
    for person in ids:
        await drafts.start_draft(
            db, person_id=person, form_name="goal_declaration", now=dt.datetime.now(dt.UTC)
        )
    return ids


async def _finished(event: asyncio.Event) -> None:
    """Wait for an update to be finished; one never finished is missing from the figures."""
    try:
        await asyncio.wait_for(event.wait(), LOST_AFTER_SECONDS)
    except TimeoutError:
        pass


class Crowd:
    """The running application and the people typing into it."""

    def __init__(self, application: Any, feeder: Database, timings: Timings) -> None:
        # The feeder stands for the poller: its own connections, not the handlers' pool.
        self.application, self.feeder, self.timings = application, feeder, timings
        self.next_id = 1

    def _payload(self, telegram_id: int, text: str) -> dict[str, Any]:
        update_id = self.next_id
        self.next_id += 1
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": telegram_id, "type": "private", "first_name": "经办"},
                "from": {"id": telegram_id, "is_bot": False, "first_name": "经办"},
                "text": text,
            },
        }

    async def send(self, payloads: list[dict[str, Any]]) -> list[asyncio.Event]:
        """Keep the updates in the inbox, then queue them (as the polling bot does)."""
        await inbox.store(self.feeder, payloads)
        events = []
        for payload in payloads:
            update = Update.de_json(payload, self.application.bot)
            event = self.timings.done[update.update_id] = asyncio.Event()
            events.append(event)
            self.timings.entered[update.update_id] = time.perf_counter()
            await self.application.update_queue.put(update)
        return events

    async def person(self, telegram_id: int) -> None:
        """One person typing the answers, each as soon as the previous one is finished."""
        for answer in ANSWERS:
            (event,) = await self.send([self._payload(telegram_id, answer)])
            await _finished(event)

    async def closed_loop(self, telegram_ids: list[int]) -> None:
        await asyncio.gather(*(self.person(telegram_id) for telegram_id in telegram_ids))

    async def burst(self, telegram_ids: list[int]) -> None:
        """Everyone's answers at once, person after person within each round."""
        payloads = [self._payload(t, answer) for answer in ANSWERS for t in telegram_ids]
        events = await self.send(payloads)
        await asyncio.gather(*(_finished(event) for event in events))


async def _drafts(db: Database) -> list[tuple[Any, str | None]]:
    """Every draft's answers and current question, person by person."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(FormDraft.data, FormDraft.current_field).order_by(FormDraft.person_id)
        )
        return [(dict(data), current) for data, current in rows.all()]


@dataclass
class Result:
    """Latencies of one run, its order violations and drafts not as expected."""

    latencies: list[float]
    handling: list[float]
    seconds: float
    cpu_seconds: float  # this process's CPU (the bot, and the sandbox answering it)
    violations: int
    wrong: int
    failed: int
    sent: int


async def _run(url: str, people: int, mode: str, *, limited: bool = True) -> Result:
    """Register `people`, run the application, let them type (`loop` or `burst`), check."""
    async with opened(url) as db, BotApiSandbox() as sandbox:
        telegram_ids = [FIRST_TELEGRAM_ID + n for n in range(people)]
        for telegram_id in telegram_ids:
            sandbox.add_user(telegram_id, "经办")
        await _register(db, people)
        settings = Settings(
            telegram_base_url=sandbox.base_url,
            telegram_base_file_url=sandbox.base_file_url,
            database_url=db.url,
            outbox_interval_seconds=60,
            cycle_auto_open=False,
            flood_burst=len(ANSWERS) + 1,  # the burst types every answer at once, on purpose
        )
        application = build_application(settings, db, sandbox.token)
        application.post_shutdown = None
        if not limited:
            # The handling itself: replies not held to Telegram's 30 messages/s per bot.
            application.bot._rate_limiter = None
        timings = Timings()
        processor = application.update_processor
        assert isinstance(processor, ChatOrderedProcessor)
        _watch(processor, timings)
        await application.initialize()
        await intake.start_intake(application, db)
        await application.start()
        feeder = Database(url)
        crowd = Crowd(application, feeder, timings)
        started, cpu = time.perf_counter(), time.process_time()
        try:
            if mode == "burst":
                await crowd.burst(telegram_ids)
            else:
                await crowd.closed_loop(telegram_ids)
        finally:
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
            await feeder.dispose()
            await application.stop()
            await application.shutdown()
        states = await _drafts(db)
        expected = _REFERENCE.get(url.split(":")[0])
        if expected is None:
            expected = _REFERENCE[url.split(":")[0]] = states[0]
        wrong = sum(1 for state in states if state != expected)
        return Result(
            timings.latencies_ms(),
            sorted(timings.handling),
            seconds,
            cpu,
            timings.violations(),
            wrong,
            timings.failed,
            len(timings.entered),
        )


_REFERENCE: dict[str, tuple[Any, str | None]] = {}  # the lone person's draft, per database


def _pct(values: list[float], share: float) -> float:
    return values[int(share * (len(values) - 1))]


def report(backend: str, label: str, result: Result, alone: Result | None, ptb: float) -> bool:
    """Print one line; whether the p99 target was met."""
    times = result.latencies
    median, p99 = statistics.median(times), _pct(times, 0.99)
    against = ""
    if alone is not None:
        lone = statistics.median(alone.latencies)
        against = f" ({ratio(median, lone)} alone, {ratio(median, ptb)} PTB)"
    print(
        f"  {backend:<10} {label:<22} {len(times):5} updates in {result.seconds:5.1f} s: "
        f"p50 {median:6.1f} ms{against}, p99 {p99:6.1f} ms; handling alone (in its slot) "
        f"p50 {statistics.median(result.handling):5.1f} ms, p99 {_pct(result.handling, 0.99):5.1f}"
        f" ms; {len(times) / result.seconds:4.0f} updates/s, "
        f"CPU {result.cpu_seconds * 1000 / len(times):4.1f} ms each; "
        f"order violations {result.violations}, drafts wrong {result.wrong}, "
        f"failed {result.failed}, never finished {result.sent - len(times)}"
    )
    return (
        p99 <= TARGET_P99_MS
        and result.violations
        == result.wrong
        == result.failed
        == result.sent - len(result.latencies)
        == 0
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run on SQLite and PostgreSQL; 1 when the target is missed or order was broken."""
    parser = argparse.ArgumentParser(prog="python -m bench.concurrent_answers")
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("PERFBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--databases", default="SQLite,PostgreSQL")
    args = parser.parse_args(argv)
    print(f"concurrent answers: {args.people} people typing {len(ANSWERS)} form answers each")
    ptb = ptb_process_update_ms()
    load = os.getloadavg()
    print(f"  anchors    PTB process_update {ptb:.3f} ms; load average {load[0]:.1f}")
    met = True
    for backend in args.databases.split(","):
        alone = None
        for label, people, mode, limited in (
            ("1 person (anchor)", 1, "loop", True),
            (f"{args.people} at once, 30/s", args.people, "loop", True),
            (f"{args.people} at once, no limit", args.people, "loop", False),
            (f"{args.people} burst, order", args.people, "burst", False),
        ):
            with sqlite_url() if backend == "SQLite" else postgres_url(args.postgres_url) as url:
                if url is None:
                    print(f"  {backend:<10} not reachable, skipped")
                    break
                result = asyncio.run(_run(url, people, mode, limited=limited))
            ok = report(backend, label, result, alone, ptb)
            if people == 1:
                alone = result
            elif mode == "loop" and not limited:
                met = ok and met
            else:
                met = (
                    result.violations
                    == result.wrong
                    == result.failed
                    == result.sent - len(result.latencies)
                    == 0
                    and met
                )
    print(f"  target     p99 ≤ {TARGET_P99_MS:.0f} ms with everyone at once; 0 out of order")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
