"""/stats figures in SQL, on both databases, scoped by the access policy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storage.db import Database
from tests.dashboard_world import TODAY, build_dashboard_world
from tests.review_world import YEAR
from workflow.core.access import AccessDenied
from workflow.dashboards.stats import Stats, year_stats


async def stats_for(db: Database, actor) -> Stats:
    return await year_stats(db, actor=actor, year=YEAR, today=TODAY)


def rows(stats: Stats, key: str) -> list[tuple]:
    view = stats.view(key)
    assert view is not None, key
    return list(view.rows)


async def test_the_bureau_sees_every_department(database: Database) -> None:
    built = await build_dashboard_world(database)
    stats = await stats_for(database, built.world["perf"])
    assert stats.scope.whole_bureau
    assert rows(stats, "goals.status") == [("draft", 2), ("in_review", 2), ("approved", 1)]
    # Most overdue first, then the worst rate; the unit's project counts for 市教育局.
    assert rows(stats, "goals.timeliness") == [
        ("市文旅局", 0, 0, 1, Decimal(0)),
        ("市教育局", 1, 1, 1, Decimal(1) / 3),
        ("市卫健委", 1, 0, 0, Decimal(1)),
    ]
    assert rows(stats, "review.handling") == [
        ("head", 3, Decimal("2.0"), Decimal("6.0")),
        ("business", 1, Decimal("4.0"), Decimal("4.0")),
        ("performance", 1, Decimal("1.0"), Decimal("1.0")),
        ("budget", 1, Decimal("1.0"), Decimal("1.0")),
    ]
    waiting = stats.view("review.waiting")
    assert waiting is not None
    goal_column = [c.key for c in waiting.columns].index("kind.goal_version")
    assert [(row[0], row[goal_column]) for row in waiting.rows] == [("business", 2)]
    assert rows(stats, "tracking.execution") == [
        ("市教育局", 1, Decimal("100"), Decimal("50"), Decimal("0.5")),
        ("市卫健委", 1, Decimal("200"), Decimal("180"), Decimal("0.9")),
    ]
    assert rows(stats, "tracking.lights") == [("green", 1), ("red", 1)]
    assert rows(stats, "evaluation.grades") == [("优", 1, 0), ("良", 1, 1)]
    assert rows(stats, "evaluation.scores") == [("band_80", 1), ("band_90", 1)]
    headline = stats.headline
    assert (headline.projects, headline.overdue, headline.on_time, headline.late) == (5, 2, 2, 1)


async def test_a_head_sees_only_their_department(database: Database) -> None:
    built = await build_dashboard_world(database)
    stats = await stats_for(database, built.world["edu_head"])
    assert not stats.scope.whole_bureau
    assert rows(stats, "goals.timeliness") == [("市教育局", 1, 1, 1, Decimal(1) / 3)]
    assert rows(stats, "goals.status") == [("draft", 1), ("in_review", 1), ("approved", 1)]
    assert rows(stats, "review.handling")[0] == ("head", 2, Decimal("2.0"), Decimal("6.0"))
    assert [row[0] for row in rows(stats, "tracking.execution")] == ["市教育局"]
    assert rows(stats, "evaluation.grades") == [("良", 1, 0)]


async def test_a_business_section_sees_its_departments(database: Database) -> None:
    built = await build_dashboard_world(database)
    stats = await stats_for(database, built.world["biz1"])
    assert [row[0] for row in rows(stats, "goals.timeliness")] == ["市文旅局", "市教育局"]
    other = await stats_for(database, built.world["biz2"])
    assert [row[0] for row in rows(other, "goals.timeliness")] == ["市卫健委"]


@pytest.mark.parametrize("who", ["edu_staff", "expert", "admin"])
async def test_others_are_refused(database: Database, who: str) -> None:
    built = await build_dashboard_world(database)
    with pytest.raises(AccessDenied):
        await stats_for(database, built.world[who])
