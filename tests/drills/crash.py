"""The crash drill: kill -9 the bot at chosen moments of a form and count what was kept.

Kill points, in a cycle:
- `acknowledged`: the answer's write is held back (the database is locked from here) and
  the bot is killed as soon as Telegram is told the update arrived (or after a grace
  period if it never is) — the moment that lost answers before the update inbox;
- `replied`: killed the instant the bot's reply arrives (the answer applied, the update
  perhaps not yet marked finished) — the moment where a question may be shown twice.
After each kill the bot is started again and must show the next question; the draft must
hold every answer once, under its own question.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from sandbox.client import SandboxUser
from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import FormDraft

# (answer typed, draft field it fills, a fragment of the question that follows)
ANSWERS = [
    ("职业技能提升培训{n}", "name", "项目负责人"),
    ("王芳", "person_in_charge", "联系电话"),
    ("0519-87654321", "phone", "开始日期"),
    ("2026-01-01", "start_date", "结束日期"),
    ("2026-12-31", "end_date", "资金总额"),
]
KILL_POINTS = ("acknowledged", "replied")
RESUMED = "系统刚刚重新启动"
WAIT = 15.0


@dataclass
class CrashTally:
    """What the drill counted."""

    kills: int = 0
    answers: int = 0
    lost: int = 0
    applied_twice: int = 0
    misplaced: int = 0
    shown_twice: int = 0  # the documented duplicate: a question shown again after a restart
    problems: list[str] = field(default_factory=list)

    def line(self, backend: str) -> str:
        """The figures as the README reports them."""
        return (
            f"crash drill ({backend}): {self.kills} kill -9, {self.answers} answers, "
            f"{self.lost} lost, {self.applied_twice} applied twice, {self.misplaced} misplaced, "
            f"{self.shown_twice} questions shown again after a restart"
        )


@contextlib.asynccontextmanager
async def writes_held(db: Database) -> AsyncIterator[None]:
    """Hold the bot's form writes back: SQLite locked whole, PostgreSQL the drafts table."""
    if db.dialect == "sqlite":
        connection = sqlite3.connect(make_url(db.url).database, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            connection.rollback()
            connection.close()
        return
    async with db.engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(text("LOCK TABLE form_draft IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            await transaction.rollback()


async def acknowledged(sandbox: BotApiSandbox, update_id: int, grace: float) -> bool:
    """Wait until a getUpdates call confirms `update_id` (True), or the grace runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while loop.time() < deadline:
        for call in sandbox.calls_to("getUpdates"):
            if int(call.params.get("offset") or 0) > update_id:
                return True
        await asyncio.sleep(0.01)
    return False


async def draft_data(db: Database) -> dict[str, Any]:
    """The active draft's answers."""
    async with db.sessions() as session:
        draft = await session.scalar(select(FormDraft).where(FormDraft.status == "active"))
    return dict(draft.data) if draft is not None else {}


async def open_goal_form(user: SandboxUser) -> None:
    """/new, the year, 新增: the form waits for the project's name."""
    user.skip_pending()
    await user.send_text("/new")
    question = await user.wait_for_message(timeout=WAIT, include_edits=False)
    user.skip_pending()
    await user.send_text(str(_first_year(question)))
    attribute = await user.wait_for_message(timeout=WAIT, include_edits=False)
    user.skip_pending()
    await user.press(attribute, "新增")
    named = await user.wait_for_message(lambda m: "项目名称" in m.get("text", ""), timeout=WAIT)
    assert named is not None


def _first_year(message: dict[str, Any]) -> int:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    labels = [button["text"] for row in rows for button in row]
    return int(next(label for label in labels if label.isdigit()))


async def run_crash_drill(
    sandbox: BotApiSandbox, bot: BotProcess, db: Database, user: SandboxUser, *, kills: int
) -> CrashTally:
    """`kills` crash cycles over the form's first questions (a new form every 5 answers)."""
    tally = CrashTally()
    expected: dict[str, str] = {}
    for cycle in range(kills):
        step = cycle % len(ANSWERS)
        if step == 0:
            if cycle:
                user.skip_pending()
                await user.send_text("/cancel")
                confirm = await user.wait_for_message(timeout=WAIT, include_edits=False)
                user.skip_pending()
                await user.press(confirm, "确定取消")
                await user.wait_for_message(timeout=WAIT, include_edits=False)
            await open_goal_form(user)
            expected = {}
        template, key, following = ANSWERS[step]
        answer = template.format(n=cycle)
        point = KILL_POINTS[cycle % len(KILL_POINTS)]
        user.skip_pending()
        if point == "acknowledged":
            async with writes_held(db):
                sent = await user.send_text(answer)
                update_id = sandbox.state.updates.next_id - 1
                await acknowledged(sandbox, update_id, grace=1.5)
                await bot.kill()
        else:
            sent = await user.send_text(answer)
            await user.wait_for_message(timeout=WAIT, include_edits=False)
            await bot.kill()
        assert sent
        tally.kills += 1
        tally.answers += 1
        await bot.start()
        try:
            await user.wait_for_message(
                lambda m, f=following: f in m.get("text", ""), timeout=WAIT, include_edits=False
            )
        except TimeoutError:
            tally.problems.append(f"cycle {cycle}: {following} never shown")
        await asyncio.sleep(0.3)
        again = [m for m in user.bot_messages if RESUMED in m.get("text", "")]
        tally.shown_twice = len(again)
        expected[key] = answer
        data = await draft_data(db)
        for field_key, value in expected.items():
            stored = data.get(field_key)
            if stored is None:
                tally.lost += 1
                tally.problems.append(f"cycle {cycle}: {field_key} lost")
            elif str(stored) != value and not str(stored).startswith(value):
                tally.misplaced += 1
                tally.problems.append(f"cycle {cycle}: {field_key}={stored!r}, typed {value!r}")
        if step + 1 < len(ANSWERS):
            # An answer applied twice would have filled the next question with it.
            next_key = ANSWERS[step + 1][1]
            if data.get(next_key) is not None:
                tally.applied_twice += 1
                tally.problems.append(f"cycle {cycle}: {next_key} filled by a replay")
    return tally
