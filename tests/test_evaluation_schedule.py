"""The self-evaluation period opens by itself the day after the year ends, once; the daily job
opens tracking and self-evaluation alike; `perfbot cycle open evaluation` from the terminal."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select
from telegram.ext import Application, CallbackContext

from bot import cycle_job, services
from bot.config import Settings
from storage.db import Database
from storage.models import SelfEvaluation, TrackingReport
from tests.conftest import run_blocking
from tests.review_world import YEAR, World, build_world
from tests.tracking_world import issued_project
from workflow.calendar.admin import update_rule
from workflow.core.access import TERMINAL
from workflow.evaluation.schedule import open_due_periods, opening_day


def at(day: dt.date) -> dt.datetime:
    """08:00 in Shanghai on `day`."""
    return dt.datetime(day.year, day.month, day.day, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    world = await build_world(database)
    await issued_project(world, name="教师培训项目", amount="120.5")
    return world


async def count(db: Database, table: type) -> int:
    async with db.sessions() as session:
        return await session.scalar(select(func.count()).select_from(table)) or 0


async def test_nothing_opens_on_the_last_day_of_the_year_and_everything_once_after(
    world: World,
) -> None:
    assert opening_day(YEAR, "year_end") == dt.date(YEAR + 1, 1, 1)
    assert await open_due_periods(world.db, now=at(dt.date(YEAR, 10, 1))) == {}
    # 23:30 on 12-31 in Shanghai is still the budget year: not yet.
    late = dt.datetime(YEAR, 12, 31, 15, 30, tzinfo=dt.UTC)
    assert await open_due_periods(world.db, now=late) == {}
    assert await count(world.db, SelfEvaluation) == 0
    first = await open_due_periods(world.db, now=at(dt.date(YEAR + 1, 1, 1)))
    assert list(first) == [YEAR] and len(first[YEAR].opened) == 1
    again = await open_due_periods(world.db, now=at(dt.date(YEAR + 1, 2, 8)))  # after downtime
    assert [(len(r.opened), r.existing) for r in again.values()] == [(0, 1)]
    assert await count(world.db, SelfEvaluation) == 1
    assert await open_due_periods(world.db, now=at(dt.date(YEAR + 2, 1, 1))) == {}


async def test_a_bot_down_at_new_year_catches_up_until_the_following_year_ends(
    world: World,
) -> None:
    caught = await open_due_periods(world.db, now=at(dt.date(YEAR + 1, 12, 31)))
    assert [len(r.opened) for r in caught.values()] == [1]


async def test_the_rules_trigger_decides_when_the_period_opens(world: World) -> None:
    changed = await update_rule(
        world.db, actor=TERMINAL, key="self_evaluation", days=3, unit="months", trigger="q3_end"
    )
    assert changed.ok
    assert await open_due_periods(world.db, now=at(dt.date(YEAR, 9, 30))) == {}
    opened = await open_due_periods(world.db, now=at(dt.date(YEAR, 10, 1)))
    assert [len(r.opened) for r in opened.values()] == [1]


async def test_the_daily_job_opens_each_stage_in_its_own_period(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    application = Application.builder().token("123:TEST").build()
    services.install(application, services.Services(settings=Settings(_env_file=None), db=world.db))
    context = CallbackContext(application)
    with time_machine.travel(at(dt.date(YEAR, 10, 2)), tick=False):
        await cycle_job.open_periods(context)
    assert (await count(world.db, TrackingReport), await count(world.db, SelfEvaluation)) == (1, 0)

    async def broken(db: Database, *, now: dt.datetime) -> dict:
        raise RuntimeError("tracking is down")

    # One stage failing does not keep the other closed.
    monkeypatch.setattr(cycle_job, "STAGES", (("broken", broken), *cycle_job.STAGES[1:]))
    with time_machine.travel(at(dt.date(YEAR + 1, 1, 1)), tick=False):
        await cycle_job.open_periods(context)
        await cycle_job.open_periods(context)
    assert (await count(world.db, TrackingReport), await count(world.db, SelfEvaluation)) == (1, 1)


def test_the_command_line_opens_the_self_evaluation_once(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from bot.__main__ import main

    path = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"

    async def prepare() -> None:
        db = Database(url)
        try:
            world = await build_world(db)
            await issued_project(world, name="教师培训项目")
            await issued_project(world, name="校舍维修", org="SCHOOL", staff="school_staff")
        finally:
            await db.dispose()

    run_blocking(prepare())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    assert main(["cycle", "open", "evaluation", "--year", str(YEAR)]) == 0
    assert f"{YEAR} 年度绩效自评价：新开启 2 个，已存在 0 个。" in capsys.readouterr().out
    assert main(["cycle", "open", "evaluation", "--year", str(YEAR)]) == 0
    assert "新开启 0 个，已存在 2 个" in capsys.readouterr().out
