"""What can start a deadline's clock: every trigger's name and how its date is computed.

A deadline rule (workflow.calendar.rules) names one trigger; a due subject (workflow.calendar
.registry) carries the dates of the events that happened to it, keyed by these names. The
sweep starts the clock on the subject's date for the rule's trigger, so an administrator who
points a rule at another trigger moves the deadline without a code change. A rule may only
name a trigger listed in KNOWN_TRIGGERS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from workflow.core.clock import local_day

GOAL_SUBMISSION_DATE = "goal_submission_date"  # the first submission (一上), set by finance
Q3_END = "q3_end"  # 09-30 of the budget year
YEAR_END = "year_end"  # 12-31 of the budget year
STAGE_ENTERED = "stage_entered"  # a goal version arrived at a review stage
TRACKING_SUBMITTED = "tracking_submitted"  # a department submitted its tracking form
RECTIFICATION_ISSUED = "rectification_issued"  # finance issued a rectification request
EVALUATION_REPORT = "evaluation_report"  # finance's evaluation report reached the department

KNOWN_TRIGGERS: frozenset[str] = frozenset(
    {
        GOAL_SUBMISSION_DATE,
        Q3_END,
        YEAR_END,
        STAGE_ENTERED,
        TRACKING_SUBMITTED,
        RECTIFICATION_ISSUED,
        EVALUATION_REPORT,
    }
)


def q3_end(year: int) -> dt.date:
    """The last day of the budget year's third quarter."""
    return dt.date(year, 9, 30)


def year_end(year: int) -> dt.date:
    """The last day of the budget year."""
    return dt.date(year, 12, 31)


@lru_cache(maxsize=64)
def budget_year_events(year: int) -> Mapping[str, dt.date]:
    """The dates every project of `year` has, whatever happened to it (one read-only
    mapping per year, shared by a sweep's 100,000 projects)."""
    return MappingProxyType({Q3_END: q3_end(year), YEAR_END: year_end(year)})


def goal_submission_date(configured: dt.date) -> dict[str, dt.date]:
    """The first submission date (一上) finance set on the budget year."""
    return {GOAL_SUBMISSION_DATE: configured}


def stage_entered(moment: dt.datetime) -> dict[str, dt.date]:
    """The bureau-local day a goal version arrived at its review stage."""
    return {STAGE_ENTERED: local_day(moment)}


def tracking_submitted(moment: dt.datetime) -> dict[str, dt.date]:
    """The bureau-local day a tracking form was submitted."""
    return {TRACKING_SUBMITTED: local_day(moment)}


def rectification_issued(moment: dt.datetime) -> dict[str, dt.date]:
    """The bureau-local day a rectification request was issued."""
    return {RECTIFICATION_ISSUED: local_day(moment)}


def evaluation_report(moment: dt.datetime) -> dict[str, dt.date]:
    """The bureau-local day finance's evaluation (or spot-check) report reached the department.

    The report travels with the rectification request finance issues on it, so the
    request's issue moment is the report's arrival.
    """
    return {EVALUATION_REPORT: local_day(moment)}


def merged(*events: Mapping[str, dt.date]) -> dict[str, dt.date]:
    """Several events of one subject as one mapping."""
    combined: dict[str, dt.date] = {}
    for mapping in events:
        combined.update(mapping)
    return combined
