"""The reminder sweep: what is due, who hears of it today, each step queued exactly once.

Slots per item and person: 7, 3 and 1 working days before the due date, on the day, then
every working day after. From the reminder time (09:00) on a working day, the sweep finds
the latest slot an item has reached; if that slot's key is not in `reminder_log` yet, one
message is queued under it. After downtime the latest slot is the only one sent, so a
three-day outage costs each item one catch-up message, not three. Before the reminder time
a sweep (a start-up at 07:30) queues nothing: today's run brings every item up to date with
today's figures, where catching up on yesterday first would send yesterday's "3 days left"
and then, at 09:00, often a second message. Overdue items escalate once per level: the
acting organisation's head from the first working day overdue, the performance section
from the third (both configurable).

Two bot processes may both sweep (no lock): keys are unique in the database, so a reminder
can never be queued twice. A sweep whose write meets keys another sweep wrote since it
looked reads them and writes the rest, so no step is lost to the race either.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.db import Database
from storage.models import OutboxMessage, ReminderLog, ReminderProgress, Role
from storage.models.enums import OutboxStatus
from storage.types import utcnow
from workflow.calendar.due_items import Directory, DueItem, collect_due_items
from workflow.calendar.workdays import OutsideLoadedYears, WorkCalendar
from workflow.core.clock import bureau_tz, local_day

SLOTS_BEFORE = (7, 3, 1)
ALL_SLOTS = 10**6  # "first_left" of an item every slot applies to
KEY_CHUNK = 500  # keys per IN (...) query, well under every database's parameter limit
OUTBOX, REMINDER_LOG = OutboxMessage.__table__, ReminderLog.__table__
PROGRESS = ReminderProgress.__table__
QUIET_HORIZON = 62  # days looked ahead for the next slot; beyond, the item is planned again
PLAN_VERSION = "slots-7-3-1-0"  # part of the plan's fingerprint: a change of slots replans
INSERT_BATCH = 1000  # rows per multi-row INSERT
YIELD_EVERY = 500  # items planned between two turns of the event loop
QUEUE_TRIES = 5  # another sweep wrote some of our keys meanwhile: read them, write the rest

REMINDER_TEMPLATE = "reminder_due"
ESCALATION_TEMPLATE = "reminder_escalation"
CALENDAR_UNKNOWN_TEMPLATE = "calendar_unknown"


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """When reminders go out and when lateness escalates (working days overdue)."""

    reminder_time: dt.time = dt.time(9, 0)
    escalate_head_after_days: int = 1
    escalate_performance_after_days: int = 3


def reminders_due(now: dt.datetime, reminder_time: dt.time) -> bool:
    """Whether today's reminders may go out at `now` (from the reminder time, local)."""
    return now.astimezone(bureau_tz()).time() >= reminder_time


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


def reminder_key(item: DueItem, person_id: int, slot: str) -> str:
    """The unique key of one reminder step for one person."""
    return f"{item.rule_key}:{item.subject}:{person_id}:{slot}"


@dataclass(frozen=True, slots=True)
class Planned:
    """A message the sweep wants to queue, under its unique key."""

    key: str
    person_id: int
    template: str
    context: dict
    due: dt.date | None = None


def _item_context(item: DueItem, directory: Directory, day: dt.date, left: int) -> dict:
    return {
        "today": day.isoformat(),
        "kind": item.rule_key,
        "stage": item.stage,
        "project": item.project_name,
        "year": item.year,
        "organisation": directory.names.get(item.organisation_id, ""),
        "department": directory.names.get(item.department_id, ""),
        "due": item.due.isoformat(),
        "left": left,
        "overdue": max(-left, 0),
        "provisional": item.deadline.provisional,
    }


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


def plan_item(
    item: DueItem,
    *,
    day: dt.date,
    calendar: WorkCalendar,
    directory: Directory,
    settings: ReminderSettings,
    where: SlotToday | None = None,
) -> list[Planned]:
    """Today's messages for one item: the owners' current slot and any escalation."""
    if where is None:
        where = slot_today(day, item.due, item.notify_from, item.deadline.provisional, calendar)
    left, slot = where.left, where.slot
    if slot is None:
        return []
    context = _item_context(item, directory, day, left)
    planned = [
        Planned(
            reminder_key(item, person, slot),
            person,
            REMINDER_TEMPLATE,
            {**context, "slot": slot},
            item.due,
        )
        for person in sorted(item.owners)
    ]
    overdue = max(-left, 0)
    told = set(item.owners)
    levels = (
        (
            "head",
            settings.escalate_head_after_days,
            directory.heads_over(item.organisation_id),
        ),
        (
            "performance",
            settings.escalate_performance_after_days,
            directory.anywhere(Role.performance),
        ),
    )
    for level, after_days, people in levels:
        if overdue < max(after_days, 1):
            continue
        for person in sorted(set(people) - told):
            planned.append(
                Planned(
                    reminder_key(item, person, f"escalate_{level}"),
                    person,
                    ESCALATION_TEMPLATE,
                    {**context, "level": level, "owners_count": len(item.owners)},
                    item.due,
                )
            )
        told |= people
    return planned


def plan_calendar_warnings(
    *, day: dt.date, calendar: WorkCalendar, directory: Directory, item_years: Iterable[int]
) -> list[Planned]:
    """Once a week, tell the administrators about each year the calendar does not know."""
    years = {day.year, *item_years}
    if day.month == 12:  # the State Council publishes next year's schedule around now
        years.add(day.year + 1)
    iso_year, iso_week, _ = day.isocalendar()
    planned = []
    for year in sorted(years):
        if calendar.is_known(year):
            continue
        for person in sorted(directory.anywhere(Role.admin)):
            planned.append(
                Planned(
                    f"calendar_unknown:{year}:{person}:{iso_year}W{iso_week:02d}",
                    person,
                    CALENDAR_UNKNOWN_TEMPLATE,
                    {"year": year},
                )
            )
    return planned


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What one sweep did."""

    day: dt.date
    working_day: bool
    before_time: bool = False  # before the reminder time: nothing is due yet today
    items: int = 0
    queued: int = 0
    already_sent: int = 0
    unknown_years: tuple[int, ...] = ()
    keys: tuple[str, ...] = field(default=())


async def _existing_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        rows = await session.scalars(select(ReminderLog.key).where(ReminderLog.key.in_(chunk)))
        found.update(rows)
    return found


async def _add_all(session: AsyncSession, planned: Sequence[Planned]) -> None:
    """The outbox messages, then their reminder_log rows, as bulk inserts in batches.

    Rows, not ORM objects: a province's first sweep queues ~100,000 reminders, and one
    multi-row INSERT per batch (ids back by RETURNING) costs what a few hundred rows did.
    """
    now = utcnow()
    connection = await session.connection()  # Core inserts: the ORM's bulk path costs per row
    for start in range(0, len(planned), INSERT_BATCH):
        batch = planned[start : start + INSERT_BATCH]
        # Ids come back with their keys (unique per batch): matching by key, not by order,
        # lets SQLite send the batch as one statement too.
        returned = await connection.execute(
            insert(OUTBOX).returning(OUTBOX.c.dedupe_key, OUTBOX.c.id),
            [
                {
                    "person_id": p.person_id,
                    "template": p.template,
                    "context": p.context,  # plain strings, numbers and booleans (_item_context)
                    "dedupe_key": p.key,
                    "status": OutboxStatus.pending.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for p in batch
            ],
        )
        message_of = {key: message_id for key, message_id in returned}
        await connection.execute(
            insert(REMINDER_LOG),
            [
                {
                    "key": p.key,
                    "person_id": p.person_id,
                    "outbox_message_id": message_of[p.key],
                    "due_date": p.due,
                    "created_at": now,
                }
                for p in batch
            ],
        )


@dataclass(frozen=True, slots=True)
class Progress:
    """One subject's reminder progress, written with its reminders (reminder_progress)."""

    rule_key: str
    subject: str
    organisation_id: int
    slot: str | None
    due: dt.date
    quiet_until: dt.date


async def _record_progress(
    connection: AsyncConnection, progress: Sequence[Progress], basis: str
) -> None:
    """Upsert the subjects' progress rows in batches (one row per subject)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    for start in range(0, len(progress), INSERT_BATCH):
        statement = dialect.insert(PROGRESS).values(
            [
                {
                    "rule_key": p.rule_key,
                    "subject": p.subject,
                    "organisation_id": p.organisation_id,
                    "slot": p.slot,
                    "due_date": p.due,
                    "quiet_until": p.quiet_until,
                    "basis": basis,
                }
                for p in progress[start : start + INSERT_BATCH]
            ]
        )
        fresh = statement.excluded
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[PROGRESS.c.rule_key, PROGRESS.c.subject],
                set_={
                    "organisation_id": fresh.organisation_id,
                    "slot": fresh.slot,
                    "due_date": fresh.due_date,
                    "quiet_until": fresh.quiet_until,
                    "basis": fresh.basis,
                },
            )
        )


async def _queue(
    db: Database,
    planned: Sequence[Planned],
    progress: Sequence[Progress] = (),
    basis: str | None = None,
) -> list[str]:
    """Queue the planned messages whose keys are still free, in one transaction; the keys
    queued. The subjects' progress is written in the same transaction: it never claims a
    reminder that was not queued (a crash loses both).

    Another sweep (a second process) may write some of the same keys between our look and
    our write: the unique keys turn our write away whole, and the next try looks again and
    writes the rest. The look is a transaction of its own, so on SQLite the write never
    holds a read lock while it waits for the other writer.
    """
    for attempt in range(1, QUEUE_TRIES + 1):
        async with db.sessions() as session:
            taken = await _existing_keys(session, [p.key for p in planned])
        fresh = [p for p in planned if p.key not in taken]
        if not fresh and (basis is None or not progress):
            return []
        try:
            async with db.transaction() as session:
                await _add_all(session, fresh)
                if basis is not None and progress:
                    await _record_progress(await session.connection(), progress, basis)
        except IntegrityError:
            if attempt == QUEUE_TRIES:
                raise
            continue
        return [p.key for p in fresh]
    return []  # not reached: the last try returns or raises


def _settings_basis(settings: ReminderSettings) -> str:
    return (
        f"{PLAN_VERSION}:{settings.escalate_head_after_days}:"
        f"{settings.escalate_performance_after_days}"
    )


async def run_sweep(
    db: Database,
    *,
    now: dt.datetime,
    settings: ReminderSettings = ReminderSettings(),
) -> SweepResult:
    """Queue every reminder due at `now` that was not queued before.

    Sources that report one subject per project leave out, in SQL, the subjects whose
    current slot was queued already (reminder_progress): a repeat sweep the same day reads
    none of them. Everything else is planned here and its keys looked up, as before.
    """
    day = local_day(now)
    if not reminders_due(now, settings.reminder_time):
        return SweepResult(day=day, working_day=False, before_time=True)
    async with db.transaction() as session:
        snapshot = await collect_due_items(session, today=day, skip_basis=_settings_basis(settings))
        calendar, directory = snapshot.calendar, snapshot.directory
        if not calendar.is_working_day(day):  # reminders go out on working days only
            return SweepResult(day=day, working_day=False, items=len(snapshot.items))
        planned: list[Planned] = []
        progress: dict[tuple[str, str], Progress] = {}
        slots: dict[tuple[dt.date, dt.date, bool], SlotToday] = {}  # few distinct deadlines
        for number, item in enumerate(snapshot.items, start=1):
            shared = (item.due, item.notify_from, item.deadline.provisional)
            where = slots.get(shared)
            if where is None:
                where = slots[shared] = slot_today(day, *shared, calendar)
            planned += plan_item(
                item,
                day=day,
                calendar=calendar,
                directory=directory,
                settings=settings,
                where=where,
            )
            progress[(item.rule_key, item.subject)] = Progress(
                item.rule_key,
                item.subject,
                item.organisation_id,
                where.slot,
                item.due,
                where.quiet_until,
            )
            if number % YIELD_EVERY == 0:
                # A province's sweep plans for seconds on the bot's event loop: let the
                # people answering forms meanwhile have their turn.
                await asyncio.sleep(0)
        warnings = plan_calendar_warnings(
            day=day,
            calendar=calendar,
            directory=directory,
            item_years={item.due.year for item in snapshot.items},
        )
        planned += warnings
    queued = (
        await _queue(db, planned, sorted(progress.values(), key=_subject_order), snapshot.basis)
        if planned or progress
        else []
    )
    return SweepResult(
        day=day,
        working_day=True,
        items=len(snapshot.items),
        queued=len(queued),
        already_sent=len(planned) - len(queued),
        unknown_years=tuple(sorted({int(w.context["year"]) for w in warnings})),
        keys=tuple(queued),
    )


def _subject_order(progress: Progress) -> tuple[str, str]:
    # One order for every sweep: two racing upserts take their row locks in the same order.
    return progress.rule_key, progress.subject
