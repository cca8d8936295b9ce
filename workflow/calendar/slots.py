"""Reminder slots: 7, 3 and 1 working days before the due date, on the day, then every
working day after; and until when today's slot holds (what the sweep may skip until)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workflow.calendar.workdays import OutsideLoadedYears, WorkCalendar

SLOTS_BEFORE = (7, 3, 1)
ALL_SLOTS = 10**6  # "first_left" of an item every slot applies to
QUIET_HORIZON = 62  # days looked ahead for the next slot; beyond, the item is planned again
PLAN_VERSION = "slots-7-3-1-0"  # part of the plan's fingerprint: a change of slots replans


def slot_for(left: int, first_left: int) -> str | None:
    """The latest slot reached when `left` working days remain (negative: overdue).

    `first_left` is what remained on the first day the item could be reminded: a slot that
    began before then (a "7 days before" for a 5-day review) never fires.
    """
    if left < 0:
        return f"after{-left}"
    reached = [threshold for threshold in (*SLOTS_BEFORE, 0) if threshold >= left]
    if not reached:
        return None
    threshold = min(reached)
    if threshold > first_left:
        return None
    return "due" if threshold == 0 else f"before{threshold}"


@dataclass(frozen=True, slots=True)
class SlotToday:
    """Where a deadline stands today: shared by every item with the same due date and start."""

    left: int
    slot: str | None
    quiet_until: dt.date  # the last day on which the slot stays the same


def _quiet_until(
    day: dt.date, due: dt.date, first_left: int, slot: str | None, calendar: WorkCalendar
) -> dt.date:
    """The day before the next working day whose slot differs from today's (`day` at most
    QUIET_HORIZON days ahead; `day` itself when the calendar cannot say)."""
    last = day
    try:
        for _ in range(QUIET_HORIZON):
            following = last + dt.timedelta(days=1)
            if calendar.is_working_day(following):
                left = calendar.working_days_between(following, due)
                if slot_for(left, first_left) != slot:
                    return last
            last = following
    except OutsideLoadedYears:
        return day
    return last


def slot_today(
    day: dt.date, due: dt.date, notify_from: dt.date, provisional: bool, calendar: WorkCalendar
) -> SlotToday:
    """Today's slot of a deadline, and until when it holds (today only on a guessed
    calendar: a confirmed one may move the day)."""
    left = calendar.working_days_between(day, due)
    first_left = ALL_SLOTS
    if notify_from > dt.date.min:
        first_day = calendar.next_working_day(notify_from)
        first_left = calendar.working_days_between(first_day, due)
    slot = slot_for(left, first_left)
    quiet = day if provisional else _quiet_until(day, due, first_left, slot, calendar)
    return SlotToday(left, slot, quiet)
