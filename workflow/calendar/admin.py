"""Administering deadlines: edit a rule, set a budget year's dates, the calendar overview.

Every change passes workflow.core.access and is audited; reading the rules is
workflow.calendar.rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import select

from storage.db import Database
from storage.models import BudgetYear, DeadlineRule, DeadlineUnit
from storage.types import utcnow
from workflow.calendar.rules import DEFAULTS_BY_KEY, MAX_RULE_DAYS, Rule, load_rules
from workflow.calendar.triggers import KNOWN_TRIGGERS
from workflow.calendar.workdays import (
    CalendarImport,
    YearCalendar,
    describe_year,
    import_overrides,
    load_calendar,
    year_calendar,
)
from workflow.core import access, audit
from workflow.core.access import Action, Actor


@dataclass(frozen=True, slots=True)
class RuleUpdate:
    """The outcome of an administrator's edit."""

    ok: bool
    reason: str | None = None  # unknown_rule / bad_days / bad_unit / bad_trigger
    rule: Rule | None = None
    previous: Rule | None = None


async def update_rule(
    db: Database,
    *,
    actor: Actor,
    key: str,
    days: int,
    unit: str | None = None,
    trigger: str | None = None,
) -> RuleUpdate:
    """Change a rule's length (and unit, and what starts its clock); administrators only,
    audited."""
    async with db.transaction() as session:
        await access.authorize(session, actor, Action.MANAGE_CALENDAR, object_type="deadline_rule")
        rules = await load_rules(session)
        previous = rules.get(key)
        if previous is None:
            return RuleUpdate(ok=False, reason="unknown_rule")
        unit = unit or previous.unit
        if unit not in {member.value for member in DeadlineUnit}:
            return RuleUpdate(ok=False, reason="bad_unit", previous=previous)
        trigger = trigger or previous.trigger
        if trigger not in KNOWN_TRIGGERS:
            return RuleUpdate(ok=False, reason="bad_trigger", previous=previous)
        if not 0 <= days <= MAX_RULE_DAYS:
            return RuleUpdate(ok=False, reason="bad_days", previous=previous)
        row = await session.get(DeadlineRule, key)
        if row is None:
            row = DeadlineRule(
                key=key,
                description=previous.description,
                trigger=trigger,
                days=days,
                unit=unit,
            )
            session.add(row)
        row.days, row.unit, row.trigger = days, unit, trigger
        row.updated_by_id, row.updated_at = actor.person_id, utcnow()
        audit.record(
            session,
            action="deadline_rule.update",
            actor_id=actor.person_id,
            object_type="deadline_rule",
            detail={
                "key": key,
                "days": days,
                "unit": unit,
                "trigger": trigger,
                "previous_days": previous.days,
                "previous_unit": previous.unit,
                "previous_trigger": previous.trigger,
            },
        )
        rule = replace(previous, days=days, unit=unit, trigger=trigger, updated_at=row.updated_at)
    return RuleUpdate(ok=True, rule=rule, previous=previous)


@dataclass(frozen=True, slots=True)
class YearDates:
    """A budget year's dates as finance configured them."""

    year: int
    goal_submission_date: dt.date | None
    congress_date: dt.date | None


async def set_year_dates(
    db: Database,
    *,
    actor: Actor,
    year: int,
    goal_submission_date: dt.date | None = None,
    congress_date: dt.date | None = None,
) -> YearDates:
    """Set the year's goal submission (一上) and People's Congress dates; None keeps a date.

    The budget section or an administrator; the budget year is created when it is new.
    """
    async with db.transaction() as session:
        await access.authorize(
            session, actor, Action.SET_YEAR_DATES, object_type="budget_year", object_id=year
        )
        budget_year = await session.get(BudgetYear, year)
        if budget_year is None:
            budget_year = BudgetYear(year=year)
            session.add(budget_year)
        if goal_submission_date is not None:
            budget_year.goal_submission_date = goal_submission_date
        if congress_date is not None:
            budget_year.congress_date = congress_date
        audit.record(
            session,
            action="budget_year.set_dates",
            actor_id=actor.person_id,
            object_type="budget_year",
            object_id=year,
            detail={"goal_submission_date": goal_submission_date, "congress_date": congress_date},
        )
        return YearDates(year, budget_year.goal_submission_date, budget_year.congress_date)


@dataclass(frozen=True, slots=True)
class CalendarOverview:
    """What an administrator (or the budget section) sees in the calendar view."""

    rules: tuple[Rule, ...]
    years: tuple[YearDates, ...]
    calendars: tuple[YearCalendar, ...]
    may_edit_rules: bool
    may_set_dates: bool


async def calendar_overview(db: Database, *, actor: Actor, today: dt.date) -> CalendarOverview:
    """Rules, the configured year dates and this year's and next year's calendar status."""
    may_edit = access.decide(actor, Action.MANAGE_CALENDAR)
    may_set = access.decide(actor, Action.SET_YEAR_DATES)
    async with db.transaction() as session:
        if not (may_edit or may_set):
            await access.authorize(session, actor, Action.MANAGE_CALENDAR, object_type="calendar")
        rules = await load_rules(session)
        budget_years = await session.scalars(
            select(BudgetYear).where(BudgetYear.year >= today.year - 1).order_by(BudgetYear.year)
        )
        years = tuple(
            YearDates(row.year, row.goal_submission_date, row.congress_date) for row in budget_years
        )
        calendar = await load_calendar(session, years=[today.year, today.year + 1])
    ordered = sorted(rules.values(), key=_rule_order)
    return CalendarOverview(
        rules=tuple(ordered),
        years=years,
        calendars=(describe_year(calendar, today.year), describe_year(calendar, today.year + 1)),
        may_edit_rules=may_edit,
        may_set_dates=may_set,
    )


def _rule_order(rule: Rule) -> tuple[int, str]:
    keys = list(DEFAULTS_BY_KEY)
    return (keys.index(rule.key) if rule.key in DEFAULTS_BY_KEY else len(keys), rule.key)


async def import_calendar(
    db: Database, *, actor: Actor, text: str, note: str | None = None, complete: bool = False
) -> CalendarImport:
    """Load the official schedule (`date,kind` rows), all or nothing; administrators only.

    `complete` confirms the file is the years' whole schedule (they become official)."""
    async with db.transaction() as session:
        await access.authorize(session, actor, Action.MANAGE_CALENDAR, object_type="calendar")
        return await import_overrides(
            session, text=text, actor_id=actor.person_id, note=note, complete=complete
        )


async def show_year(db: Database, *, year: int) -> YearCalendar:
    """A year's calendar status and its exceptional days."""
    async with db.sessions() as session:
        return await year_calendar(session, year=year)
