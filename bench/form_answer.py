"""Form answer benchmark: what one answer of the goal declaration form costs.

A staff member declares the demo's training programme (the header, 3 schedule rows, 8
indicators, then submit) through the workflow calls the form runner makes for each message
and button: every answer is read, checked against the form's facts (loaded from the
database) and saved in its own transaction. Printed per database: how many answers, ms per
answer (median and 95th percentile), SQL statements per answer, and the submit. The target:
a median answer under 50 ms, so that the chat never feels slower than Telegram itself.

SQLite on a temporary file always; PostgreSQL in a temporary database on the server of
`--postgres-url` (default: PERFBOT_TEST_POSTGRES_URL, as the tests), skipped when it cannot
be reached. Run it with `python -m bench.form_answer`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url, text

from bot.demo.goal import INDICATORS, SCHEDULE
from storage import migrate
from storage.db import Database
from tests.goal_world import HEADER_ANSWERS, NOW, TAIL_ANSWERS, build_goal_world
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome, DraftResult

TARGET_MEDIAN_MS = 50.0
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@dataclass
class Run:
    """Milliseconds and SQL statements of each answer, and of the submit."""

    answers_ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    submit_ms: float = 0.0


class Declarant:
    """Answers the goal form as a person does, timing each answer."""

    def __init__(self, db: Database, person_id: int, run: Run) -> None:
        self.db, self.person_id, self.run = db, person_id, run
        self.last: DraftResult | None = None
        self.counted = 0
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.counted += 1

    async def _call(self, call: Callable[..., Awaitable[DraftResult]], **kwargs: Any) -> float:
        """One workflow call; its milliseconds (its statements are counted as it runs)."""
        started = time.perf_counter()
        self.last = await call(self.db, person_id=self.person_id, now=NOW, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        if self.last.outcome not in (DraftOutcome.moved, DraftOutcome.submitted):
            raise RuntimeError(f"unexpected {self.last.outcome}: {self.last.problem}")
        return elapsed

    async def _answer(self, call: Callable[..., Awaitable[DraftResult]], **kwargs: Any) -> None:
        before = self.counted
        self.run.answers_ms.append(await self._call(call, **kwargs))
        self.run.statements.append(self.counted - before)

    def _shown(self) -> dict[str, int]:
        """The draft and version of the message last shown (what its buttons carry)."""
        assert self.last is not None and self.last.view is not None
        return {"draft_id": self.last.view.id, "version": self.last.view.version}

    async def say(self, answer: str) -> None:
        """Type an answer."""
        await self._answer(drafts.answer, text=answer)

    async def press(self, call: Callable[..., Awaitable[DraftResult]]) -> None:
        """A button of the message last shown."""
        await self._answer(call, **self._shown())

    async def submit(self) -> None:
        """The confirm button of the summary, timed on its own."""
        self.run.submit_ms = await self._call(drafts.submit, **self._shown())


async def declare(db: Database) -> Run:
    """The whole declaration, answer by answer, then submit."""
    world = await build_goal_world(db)
    run = Run()
    person = Declarant(db, world.staff, run)
    person.last = await drafts.start_draft(
        db, person_id=world.staff, form_name="goal_declaration", now=NOW
    )
    for _, answer in HEADER_ANSWERS:
        await person.say(answer)
    for number, row in enumerate(SCHEDULE):
        if number:
            await person.press(drafts.add_row)
        for answer in row:
            await person.say(answer)
    await person.press(drafts.finish_rows)
    for _, answer in TAIL_ANSWERS:
        await person.say(answer)
    for number, row in enumerate(INDICATORS):
        if number:
            await person.press(drafts.add_row)
        for answer in row:  # 一级, 二级, name, sign, value, unit (none for 定性)
            if answer is not None:
                await person.say(answer)
        await person.press(drafts.skip)  # no weight at declaration
    await person.press(drafts.finish_rows)
    await person.submit()
    return run


# --- databases ----------------------------------------------------------------------------


async def _postgres(url: str, statement: str) -> None:
    database = Database(url, isolation_level="AUTOCOMMIT")
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await database.dispose()


def measure(url: str) -> Run:
    """Migrate the empty database at `url`, then declare."""
    migrate.upgrade(url)

    async def go() -> Run:
        db = Database(url)
        try:
            return await declare(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def on_postgres(server_url: str) -> Run | None:
    """The declaration in a temporary database on the server; None when unreachable."""
    name = f"perfbot_bench_{secrets.token_hex(4)}"
    try:
        asyncio.run(_postgres(server_url, f'CREATE DATABASE "{name}"'))
    except OSError:
        return None
    try:
        return measure(make_url(server_url).set(database=name).render_as_string(False))
    finally:
        asyncio.run(_postgres(server_url, f'DROP DATABASE IF EXISTS "{name}"'))


def report(backend: str, run: Run | None) -> bool:
    """Print one database's figures; whether the target was met."""
    if run is None:
        print(f"  {backend:<10} not reachable, skipped")
        return True
    times = sorted(run.answers_ms)
    median = statistics.median(times)
    p95 = times[int(0.95 * (len(times) - 1))]
    print(
        f"  {backend:<10} {len(times)} answers: median {median:5.1f} ms, 95% {p95:5.1f} ms, "
        f"{statistics.median(run.statements):.0f} SQL statements each; "
        f"submit {run.submit_ms:5.1f} ms"
    )
    return median <= TARGET_MEDIAN_MS


def main(argv: Sequence[str] | None = None) -> int:
    """Run on SQLite and PostgreSQL and print the report; 1 when the target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.form_answer")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PERFBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server where a temporary database may be created",
    )
    args = parser.parse_args(argv)
    print("form answers: the goal declaration of the demo (8 indicators), answer by answer")
    with tempfile.TemporaryDirectory(prefix="perfbot-bench-") as scratch:
        sqlite = measure(f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}")
    met = report("SQLite", sqlite)
    met = report("PostgreSQL", on_postgres(args.postgres_url)) and met
    print(f"  target     median ≤ {TARGET_MEDIAN_MS:.0f} ms")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
