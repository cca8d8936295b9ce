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
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import OutboxMessage, ReminderLog, Role
from storage.models.enums import OutboxStatus
from storage.types import bind_converter, utcnow
from workflow.calendar.due_items import Directory, DueItem, collect_due_items
from workflow.calendar.progress import Progress, record_progress
from workflow.calendar.slots import PLAN_VERSION, SlotToday, slot_today
from workflow.calendar.workdays import WorkCalendar
from workflow.core.clock import bureau_tz, local_day

KEY_CHUNK = 2000  # keys per IN (...) query, well under every database's parameter limit
OUTBOX, REMINDER_LOG = OutboxMessage.__table__, ReminderLog.__table__
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


@lru_cache(maxsize=256)
def _iso(day: dt.date) -> str:
    # A province's items share a few days: each is written out once.
    return day.isoformat()


def _item_context(item: DueItem, directory: Directory, day: dt.date, left: int) -> dict:
    return {
        "today": _iso(day),
        "kind": item.rule_key,
        "stage": item.stage,
        "project": item.project_name,
        "year": item.year,
        "organisation": directory.names.get(item.organisation_id, ""),
        "department": directory.names.get(item.department_id, ""),
        "due": _iso(item.due),
        "left": left,
        "overdue": max(-left, 0),
        "provisional": item.deadline.provisional,
    }


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
    if overdue < 1:  # escalation starts on the first working day overdue at the earliest
        return planned
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


# SQLite: statements written out for its driver, which runs them in C. SQLAlchemy's own
# multi-row INSERT costs ~15 µs a row to build; these cost what the database does.
SQLITE_OUTBOX_COLUMNS = (
    "person_id, template, context, dedupe_key, status, attempts, next_attempt_at, created_at"
)
SQLITE_LOG = (
    "INSERT INTO reminder_log (key, person_id, outbox_message_id, due_date, created_at)"
    " VALUES (?, ?, ?, ?, ?)"
)


@lru_cache(maxsize=8)
def _sqlite_outbox(rows: int) -> str:
    """One INSERT of `rows` outbox messages, their ids back by key (8 parameters a row)."""
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * rows)
    return (
        f"INSERT INTO outbox_message ({SQLITE_OUTBOX_COLUMNS}) VALUES {values}"
        " RETURNING dedupe_key, id"
    )


# PostgreSQL: a batch as a few arrays (unnest), so the statement has 6 parameters whatever
# the batch's size: prepared once, no 8,000-parameter statement parsed per batch.
POSTGRES_OUTBOX = (
    "INSERT INTO outbox_message (person_id, template, context, dedupe_key, status, attempts,"
    " next_attempt_at, created_at)"
    " SELECT person_id, template, context::json, dedupe_key, $5, 0, $6, $6"
    " FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])"
    " AS row (person_id, template, context, dedupe_key)"
    " RETURNING dedupe_key, id"
)
POSTGRES_LOG = (
    "INSERT INTO reminder_log (key, person_id, outbox_message_id, due_date, created_at)"
    " SELECT key, person_id, message_id, due_date, $5"
    " FROM unnest($1::text[], $2::int[], $3::int[], $4::date[])"
    " AS row (key, person_id, message_id, due_date)"
)


async def _add_all(session: AsyncSession, planned: Sequence[Planned]) -> None:
    """The outbox messages, then their reminder_log rows, as bulk inserts in batches.

    Rows, not ORM objects: a province's first sweep queues ~100,000 reminders. Each batch
    is one INSERT of the messages (ids back by RETURNING, matched by key) and one of their
    log rows, written for each database's driver: SQLAlchemy building a multi-row statement
    costs more per row than the database's work.
    """
    connection = await session.connection()
    dialect = connection.dialect
    now = bind_converter(OUTBOX.c.created_at, dialect)(utcnow())
    context_of = bind_converter(OUTBOX.c.context, dialect)
    date_of = bind_converter(REMINDER_LOG.c.due_date, dialect)
    dates = {due: date_of(due) for due in {p.due for p in planned}}
    pending = OutboxStatus.pending.value
    on_sqlite = dialect.name == "sqlite"
    for start in range(0, len(planned), INSERT_BATCH):
        batch = planned[start : start + INSERT_BATCH]
        if on_sqlite:
            returned = await connection.exec_driver_sql(
                _sqlite_outbox(len(batch)),
                tuple(
                    value
                    for p in batch
                    for value in (
                        p.person_id,
                        p.template,
                        context_of(p.context),
                        p.key,
                        pending,
                        0,
                        now,
                        now,
                    )
                ),
            )
        else:
            returned = await connection.exec_driver_sql(
                POSTGRES_OUTBOX,
                (
                    [p.person_id for p in batch],
                    [p.template for p in batch],
                    [context_of(p.context) for p in batch],
                    [p.key for p in batch],
                    pending,
                    now,
                ),
            )
        message_of = dict(returned.all())
        if on_sqlite:
            await connection.exec_driver_sql(
                SQLITE_LOG,
                [(p.key, p.person_id, message_of[p.key], dates[p.due], now) for p in batch],
            )
        else:
            await connection.exec_driver_sql(
                POSTGRES_LOG,
                (
                    [p.key for p in batch],
                    [p.person_id for p in batch],
                    [message_of[p.key] for p in batch],
                    [dates[p.due] for p in batch],
                    now,
                ),
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
                    await record_progress(
                        await session.connection(), progress, basis, batch=INSERT_BATCH
                    )
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
