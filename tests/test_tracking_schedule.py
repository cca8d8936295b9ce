"""The Q3 tracking period opens by itself the day after the rule's trigger, once."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.db import Database
from tests.review_world import YEAR, World, build_world
from tests.tracking_world import issued_project
from workflow.calendar.admin import update_rule
from workflow.core.access import TERMINAL
from workflow.tracking.schedule import open_due_periods


def at(day: dt.date) -> dt.datetime:
    """08:00 in Shanghai on `day`."""
    return dt.datetime(day.year, day.month, day.day, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    world = await build_world(database)
    await issued_project(world, name="教师培训项目", amount="120.5")
    return world


async def test_nothing_opens_on_the_last_day_of_q3_and_everything_once_after(
    world: World,
) -> None:
    assert await open_due_periods(world.db, now=at(dt.date(YEAR, 9, 30))) == {}
    first = await open_due_periods(world.db, now=at(dt.date(YEAR, 10, 1)))
    assert [len(result.opened) for result in first.values()] == [1]
    again = await open_due_periods(world.db, now=at(dt.date(YEAR, 10, 8)))  # after downtime
    assert [(len(r.opened), r.existing) for r in again.values()] == [(0, 1)]
    assert await open_due_periods(world.db, now=at(dt.date(YEAR + 1, 1, 2))) == {}


async def test_the_rules_trigger_decides_when_the_period_opens(world: World) -> None:
    changed = await update_rule(
        world.db, actor=TERMINAL, key="tracking", days=15, trigger="year_end"
    )
    assert changed.ok
    assert await open_due_periods(world.db, now=at(dt.date(YEAR, 10, 1))) == {}
