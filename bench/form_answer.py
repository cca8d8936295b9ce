"""Form answer benchmark: what one answer of the goal declaration form costs.

A staff member declares the demo's training programme (the header, 3 schedule rows, 8
indicators, then submit) through the workflow calls the form runner makes for each message
and button: every answer is read, checked against the form's facts (loaded from the
database) and saved in its own transaction. Printed per database: how many answers, ms per
answer (median and 99th percentile), SQL statements per answer, and the submit, with the
bureau's 4 organisations and again with 2,000 more departments (a province's chart), beside
the anchors of the same run (bench.common): PTB's bare update path and one commit on the
same database, and the ratio. Targets: median ≤ 2 ms and 99th percentile ≤ 5 ms, the same
cost whatever the chart's size.

SQLite on a temporary file always; PostgreSQL in a temporary database on the server of
`--postgres-url` (default: PERFBOT_TEST_POSTGRES_URL, as the tests), skipped when it cannot
be reached. Run it with `python -m bench.form_answer`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, insert

from bench.common import (
    Anchors,
    database_commit_ms,
    measure_anchors,
    opened,
    postgres_url,
    ratio,
    sqlite_url,
)
from bot.demo.goal import INDICATORS, SCHEDULE
from storage.db import Database
from storage.models import Organisation
from tests.goal_world import HEADER_ANSWERS, NOW, TAIL_ANSWERS, build_goal_world
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome, DraftResult

TARGET_MEDIAN_MS = 2.0
TARGET_P99_MS = 5.0
# The targets as shares of one form step's ceiling (PTB's bare update plus one commit), so a
# slower disk or a loaded machine moves target and result together: 2 ms and 5 ms against
# the 0.5 ms ceiling the targets were set on.
TARGET_MEDIAN_SHARE = 0.25
TARGET_P99_SHARE = 0.10
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PROVINCE_DEPARTMENTS = 2000


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


async def _more_departments(db: Database, number: int, section: int) -> None:
    """`number` departments more, in one multi-row insert."""
    async with db.transaction() as session:
        await session.execute(
            insert(Organisation),
            [
                {"code": f"P{n:05d}", "name": f"省直部门{n}", "kind": "department"}
                | {"section_id": section, "active": True, "created_at": NOW}
                for n in range(number)
            ],
        )


async def declare(db: Database, extra_departments: int = 0) -> Run:
    """The whole declaration, answer by answer, then submit."""
    world = await build_goal_world(db)
    if extra_departments:
        await _more_departments(db, extra_departments, world.section)
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


def measure(url: str, extra_departments: int = 0) -> Run:
    """Declare on the migrated, empty database at `url`."""

    async def go() -> Run:
        async with opened(url) as db:
            return await declare(db, extra_departments)

    return asyncio.run(go())


def report(backend: str, organisations: str, run: Run, anchors: Anchors, commit: float) -> bool:
    """Print one line; whether the targets were met."""
    times = sorted(run.answers_ms)
    median = statistics.median(times)
    p99 = times[int(0.99 * (len(times) - 1))]
    ceiling = (anchors.ptb or 0.0) + commit
    print(
        f"  {backend:<10} {organisations:>5} orgs: {len(times)} answers, median {median:5.2f} ms "
        f"({ratio(median, anchors.ptb)} PTB, {ratio(median, commit)} commit, "
        f"{ceiling / median:.0%} of the ceiling), 99% {p99:5.2f} ms "
        f"({ceiling / p99:.0%}), {statistics.median(run.statements):.0f} SQL statements each; "
        f"submit {run.submit_ms:5.1f} ms"
    )
    absolute = median <= TARGET_MEDIAN_MS and p99 <= TARGET_P99_MS
    relative = ceiling / median >= TARGET_MEDIAN_SHARE and ceiling / p99 >= TARGET_P99_SHARE
    return absolute or relative


def main(argv: Sequence[str] | None = None) -> int:
    """Run on SQLite and PostgreSQL with 4 and 2,004 organisations; 1 when a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.form_answer")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PERFBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server where a temporary database may be created",
    )
    args = parser.parse_args(argv)
    print("form answers: the goal declaration of the demo (8 indicators), answer by answer")
    anchors = measure_anchors()
    print(anchors.line())
    met = True
    for backend in ("SQLite", "PostgreSQL"):
        for extra in (0, PROVINCE_DEPARTMENTS):
            with sqlite_url() if backend == "SQLite" else postgres_url(args.postgres_url) as url:
                if url is None:
                    print(f"  {backend:<10} not reachable, skipped")
                    break
                commit = database_commit_ms(url)
                run = measure(url, extra)
                met = report(backend, f"{4 + extra:,}", run, anchors, commit) and met
    print(
        f"  targets    median ≤ {TARGET_MEDIAN_MS:.0f} ms, 99% ≤ {TARGET_P99_MS:.0f} ms, or at "
        f"least {TARGET_MEDIAN_SHARE:.0%} and {TARGET_P99_SHARE:.0%} of the ceiling (PTB + commit)"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
