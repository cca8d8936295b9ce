"""The few lines /stats writes above its charts, from the same views."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.dashboards import words
from workflow.dashboards.stats import Stats
from workflow.dashboards.timeliness import rate

NAMED = 3  # departments named in a line; more are counted


def summary_context(stats: Stats) -> dict[str, Any]:
    """What templates/messages/stats_summary needs."""
    headline = stats.headline
    context: dict[str, Any] = {
        "year": stats.year,
        "whole_bureau": stats.scope.whole_bureau,
        "departments": sorted(
            {stats.scope.department_name(org) for org in stats.scope.organisation_ids or ()}
        ),
        "headline": headline,
        "on_time_rate": None,
        "overdue_departments": [],
        "handling": [],
        "lagging": [],
        "share": None,
        "grades": [],
    }
    timeliness = stats.view("goals.timeliness")
    if timeliness is not None and timeliness.rows:
        context["on_time_rate"] = words.percent(
            rate(headline.on_time, (headline.on_time, headline.late, headline.overdue))
        )
        context["overdue_departments"] = [row[0] for row in timeliness.rows if row[3]][:NAMED]
    handling = stats.view("review.handling")
    if handling is not None:
        context["handling"] = [(words.label(handling, row[0]), row[2]) for row in handling.rows]
    execution = stats.view("tracking.execution")
    if execution is not None and execution.rows:
        share = Decimal(str(execution.reference))
        context["share"] = words.percent(share)
        context["lagging"] = [
            (row[0], words.percent(row[4]))
            for row in execution.rows
            if row[4] is not None and row[4] < share
        ][:NAMED]
    grades = stats.view("evaluation.grades")
    if grades is not None:
        context["grades"] = [(words.label(grades, row[0]), row[1]) for row in grades.rows]
    return context
