"""A person's figures of a year: every registered stage's views, inside their scope."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from storage.db import Database
from workflow.core.access import Actor
from workflow.dashboards.registry import FigureSource, View, figure_sources
from workflow.dashboards.scope import StatsScope, stats_scope
from workflow.dashboards.sql import roomy_sorts


@dataclass(frozen=True, slots=True)
class Headline:
    """The few numbers the chat's text summary starts with."""

    projects: int
    issued: int
    in_review: int
    overdue: int
    late: int
    on_time: int


@dataclass(frozen=True, slots=True)
class Stats:
    """Every view of the year for one person."""

    year: int
    scope: StatsScope
    views: tuple[View, ...]

    def view(self, key: str) -> View | None:
        return next((view for view in self.views if view.key == key), None)

    @property
    def headline(self) -> Headline:
        by_status = dict(self.view("goals.status").rows) if self.view("goals.status") else {}
        timeliness = self.view("goals.timeliness")
        rows = timeliness.rows if timeliness else ()
        return Headline(
            projects=sum(int(count) for count in by_status.values()),  # type: ignore[call-overload]
            issued=int(by_status.get("issued", 0)),  # type: ignore[call-overload]
            in_review=int(by_status.get("in_review", 0)),  # type: ignore[call-overload]
            on_time=sum(int(row[1]) for row in rows),  # type: ignore[call-overload]
            late=sum(int(row[2]) for row in rows),  # type: ignore[call-overload]
            overdue=sum(int(row[3]) for row in rows),  # type: ignore[call-overload]
        )


async def year_stats(db: Database, *, actor: Actor, year: int, today: dt.date) -> Stats:
    """The figures `actor` may see for `year`; AccessDenied when they may see none.

    Each stage's figures are read in a session of their own, side by side: on PostgreSQL
    the queries run at once on the server's cores (SQLite takes them in turn).
    """
    async with db.sessions() as session:
        scope = await stats_scope(session, actor, year=year, today=today)
    found = await asyncio.gather(*(_figures(db, source, scope) for source in figure_sources()))
    views = [view for views in found for view in views]
    return Stats(year, scope, tuple(sorted(views, key=lambda view: view.order)))


async def _figures(db: Database, source: FigureSource, scope: StatsScope) -> list[View]:
    async with db.sessions() as session:
        await roomy_sorts(session)
        return await source(session, scope)
