"""The notice's deadlines as data: each rule says what is due, after what, within how long.

The defaults below are the notice's (DOMAIN §2, §6). They are written to the `deadline_rule`
table by `ensure_default_rules` at start-up, which only inserts missing rules: an
administrator's edits survive restarts, and a rule added in a later release reaches existing
databases without a migration. `load_rules` reads the table and falls back to the defaults,
so a deadline is computable even before the first start-up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import DeadlineRule, DeadlineUnit, ReviewStage
from workflow.calendar.triggers import (
    EVALUATION_REPORT,
    GOAL_SUBMISSION_DATE,
    Q3_END,
    RECTIFICATION_ISSUED,
    STAGE_ENTERED,
    TRACKING_SUBMITTED,
    YEAR_END,
)
from workflow.calendar.workdays import Deadline, WorkCalendar

GOAL_DECLARATION = "goal_declaration"
TRACKING = "tracking"
TRACKING_REVIEW = "tracking_review"
RECTIFICATION_REPLY = "rectification_reply"
SELF_EVALUATION = "self_evaluation"
RECTIFICATION_PLAN = "rectification_plan"
REVIEW_PREFIX = "review."
REVIEWED_STAGES = (
    ReviewStage.head,
    ReviewStage.supervisor,
    ReviewStage.lead,
    ReviewStage.business,
    ReviewStage.performance,
    ReviewStage.expert,
    ReviewStage.budget,
)
DEFAULT_REVIEW_WORKING_DAYS = 5
MAX_RULE_DAYS = 366


def review_rule_key(stage: str) -> str:
    """The rule limiting how long a goal version may wait at review `stage`."""
    return f"{REVIEW_PREFIX}{stage}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One deadline rule: `days` in `unit` after the `trigger` date (workflow.calendar.triggers)."""

    key: str
    trigger: str
    days: int
    unit: str
    description: str
    updated_at: dt.datetime | None = None

    def deadline(self, start: dt.date, calendar: WorkCalendar) -> Deadline:
        """The due date for a clock that started on `start`."""
        if self.unit == DeadlineUnit.working_days.value:
            return calendar.add_working_days(start, self.days)
        if self.unit == DeadlineUnit.months.value:
            return calendar.months_deadline(start, self.days)
        return calendar.calendar_deadline(start, self.days)


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        GOAL_DECLARATION,
        GOAL_SUBMISSION_DATE,
        0,
        DeadlineUnit.calendar_days.value,
        "goal declaration with the department budget's first submission",
    ),
    Rule(
        TRACKING,
        Q3_END,
        15,
        DeadlineUnit.calendar_days.value,
        "tracking form within 15 days after Q3 ends",
    ),
    Rule(
        TRACKING_REVIEW,
        TRACKING_SUBMITTED,
        7,
        DeadlineUnit.working_days.value,
        "finance reviews a tracking form within 7 working days",
    ),
    Rule(
        RECTIFICATION_REPLY,
        RECTIFICATION_ISSUED,
        7,
        DeadlineUnit.working_days.value,
        "written answer to rectification suggestions within 7 working days",
    ),
    Rule(
        SELF_EVALUATION,
        YEAR_END,
        3,
        DeadlineUnit.months.value,
        "self-evaluation within 3 months after the year ends",
    ),
    Rule(
        RECTIFICATION_PLAN,
        EVALUATION_REPORT,
        30,
        DeadlineUnit.calendar_days.value,
        "rectification plan within 30 days after an evaluation or spot-check report",
    ),
    *(
        Rule(
            review_rule_key(stage.value),
            STAGE_ENTERED,
            DEFAULT_REVIEW_WORKING_DAYS,
            DeadlineUnit.working_days.value,
            f"reviewer's limit at the {stage.value} stage",
        )
        for stage in REVIEWED_STAGES
    ),
)
DEFAULTS_BY_KEY: Mapping[str, Rule] = {rule.key: rule for rule in DEFAULT_RULES}


def _from_row(row: DeadlineRule) -> Rule:
    return Rule(row.key, row.trigger, row.days, row.unit, row.description, row.updated_at)


async def load_rules(session: AsyncSession) -> dict[str, Rule]:
    """Every rule: the table's, with the defaults for any not stored yet."""
    rules = dict(DEFAULTS_BY_KEY)
    for row in await session.scalars(select(DeadlineRule)):
        rules[row.key] = _from_row(row)
    return rules


async def ensure_default_rules(db: Database) -> list[str]:
    """Insert the rules the table lacks; never touches existing (maybe edited) ones."""
    try:
        async with db.transaction() as session:
            stored = set(await session.scalars(select(DeadlineRule.key)))
            missing = [rule for rule in DEFAULT_RULES if rule.key not in stored]
            session.add_all(
                DeadlineRule(
                    key=r.key,
                    description=r.description,
                    trigger=r.trigger,
                    days=r.days,
                    unit=r.unit,
                )
                for r in missing
            )
    except IntegrityError:  # another process seeded them a moment ago: nothing left to do
        return []
    return [rule.key for rule in missing]
