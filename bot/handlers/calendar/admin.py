"""/calendar, /setrule, /yeardates: deadline rules, the year's dates and the working calendar."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import services
from bot.identity import checked_actor, current_actor, tell_access_denied
from bot.ui.render import environment, render
from bot.ui.replies import reply_parts
from bot.ui.vocabulary import typed_units
from storage.types import utcnow
from workflow.calendar.admin import calendar_overview, set_year_dates, update_rule
from workflow.calendar.rules import DEFAULTS_BY_KEY, MAX_RULE_DAYS
from workflow.calendar.triggers import KNOWN_TRIGGERS
from workflow.core import numbers
from workflow.core.access import Action
from workflow.core.clock import local_day
from workflow.forms.parsers import ParseError, parse_date, parse_year

KEEP = "-"  # in /yeardates: leave this date as it is
_NAME = '{% import "_deadlines.html.j2" as d %}{{ d.kind_label(key) }}'
_TRIGGER = '{% import "_deadlines.html.j2" as d %}{{ d.trigger_label(key) }}'


@lru_cache(maxsize=1)
def rule_keys() -> dict[str, str]:
    """Rule keys by the Chinese name /calendar shows (with or without 绩效目标), and by key."""
    keys: dict[str, str] = {}
    for key in DEFAULTS_BY_KEY:
        name = environment().from_string(_NAME).render(key=key)
        keys |= {key: key, name: key, name.removeprefix("绩效目标"): key}
    return keys


@lru_cache(maxsize=1)
def trigger_keys() -> dict[str, str]:
    """Triggers by their Chinese name (also without its bracketed note) and by themselves."""
    keys: dict[str, str] = {}
    for trigger in KNOWN_TRIGGERS:
        name = environment().from_string(_TRIGGER).render(key=trigger)
        keys |= {trigger: trigger, name: trigger, name.split("（")[0]: trigger}
    return keys


async def calendar(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the deadline rules, the budget years' dates and the calendar's status."""
    actor = await current_actor(update, context)
    if actor is None:
        await tell_access_denied(update)
        return
    shared = services.get(context)
    overview = await calendar_overview(shared.db, actor=actor, today=local_day(utcnow()))
    text = render(
        "calendar_admin",
        rules=overview.rules,
        years=overview.years,
        calendars=overview.calendars,
        may_edit_rules=overview.may_edit_rules,
        may_set_dates=overview.may_set_dates,
    )
    await reply_parts(update.effective_message, text)


def _rule_arguments(args: list[str]) -> tuple[str, int, str | None, str | None] | None:
    """`key days [unit] [trigger]` from /setrule, or None when it does not read as such.

    A word after the number that is not a unit is taken as the trigger, which the workflow
    then checks (so a misspelt unit gets the list of triggers and units). The rule, the unit
    and the trigger may each be typed as /calendar names them in Chinese, or as the code.
    """
    count = numbers.whole_number(args[1], high=10_000) if len(args) in (2, 3, 4) else None
    if count is None:
        return None
    units_typed = typed_units()
    words = [word.lower() if word.isascii() else word for word in args[2:]]
    units = [units_typed[word] for word in words if word in units_typed]
    others = [trigger_keys().get(word, word) for word in words if word not in units_typed]
    if len(units) > 1 or len(others) > 1:
        return None
    key = rule_keys().get(args[0], args[0])
    return key, count, next(iter(units), None), next(iter(others), None)


async def set_rule(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Change a deadline rule: /setrule <key> <number> [unit] [trigger]."""
    actor = await checked_actor(
        update, context, Action.MANAGE_CALENDAR, object_type="deadline_rule"
    )
    db = services.get(context).db
    parsed = _rule_arguments(list(context.args or []))
    if parsed is None:
        await update.effective_message.reply_text(render("rule_usage", reason=None))
        return
    key, days, unit, trigger = parsed
    result = await update_rule(db, actor=actor, key=key, days=days, unit=unit, trigger=trigger)
    if not result.ok:
        text = render(
            "rule_usage",
            reason=result.reason,
            max_days=MAX_RULE_DAYS,
            triggers=sorted(KNOWN_TRIGGERS),
        )
    else:
        text = render("rule_updated", rule=result.rule, previous=result.previous)
    await update.effective_message.reply_text(text)


def _date_or_keep(text: str) -> dt.date | None:
    return None if text == KEEP else parse_date(text)


async def year_dates(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set a budget year's dates: /yeardates <year> <goal submission> [<congress>]."""
    actor = await checked_actor(update, context, Action.SET_YEAR_DATES, object_type="budget_year")
    db = services.get(context).db
    args = list(context.args or [])
    try:
        if len(args) not in (2, 3):
            raise ParseError("arguments")
        year = parse_year(args[0])
        submission = _date_or_keep(args[1])
        congress = _date_or_keep(args[2]) if len(args) == 3 else None
    except ParseError:
        await update.effective_message.reply_text(render("year_dates_usage"))
        return
    dates = await set_year_dates(
        db,
        actor=actor,
        year=year,
        goal_submission_date=submission,
        congress_date=congress,
    )
    await update.effective_message.reply_text(
        render(
            "year_dates_set",
            year=dates.year,
            goal_submission_date=dates.goal_submission_date,
            congress_date=dates.congress_date,
        )
    )


def build_handlers() -> list[BaseHandler]:
    """The handlers of this feature."""
    return [
        CommandHandler("calendar", calendar),
        CommandHandler("setrule", set_rule),
        CommandHandler("yeardates", year_dates),
    ]
