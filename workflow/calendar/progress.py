"""Reminder progress per subject (reminder_progress), written with the reminders it vouches
for: how far a subject's reminders went and the last day nothing new can be due, so the next
sweep's sources leave it out in SQL (workflow.calendar.registry.not_reminded)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ReminderProgress
from storage.types import bind_converter

PROGRESS = ReminderProgress.__table__


@dataclass(frozen=True, slots=True)
class Progress:
    """One subject's reminder progress, written with its reminders (reminder_progress)."""

    rule_key: str
    subject: str
    organisation_id: int
    slot: str | None
    due: dt.date
    quiet_until: dt.date


SET_FRESH = (
    " ON CONFLICT (rule_key, subject) DO UPDATE SET"
    " organisation_id = excluded.organisation_id, slot = excluded.slot,"
    " due_date = excluded.due_date, quiet_until = excluded.quiet_until, basis = excluded.basis"
)
# Written for each driver: SQLite's executemany runs in C; PostgreSQL takes a batch as a few
# arrays (unnest), one small statement prepared once.
SQLITE_UPSERT = (
    "INSERT INTO reminder_progress"
    " (rule_key, subject, organisation_id, slot, due_date, quiet_until, basis)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)" + SET_FRESH
)
POSTGRES_UPSERT = (
    "INSERT INTO reminder_progress"
    " (rule_key, subject, organisation_id, slot, due_date, quiet_until, basis)"
    " SELECT rule_key, subject, organisation_id, slot, due_date, quiet_until, $7"
    " FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::date[], $6::date[])"
    " AS row (rule_key, subject, organisation_id, slot, due_date, quiet_until)" + SET_FRESH
)


async def record_progress(
    connection: AsyncConnection, progress: Sequence[Progress], basis: str, *, batch: int
) -> None:
    """Upsert the subjects' progress rows in batches (one row per subject, in one order)."""
    as_date = bind_converter(PROGRESS.c.due_date, connection.dialect)
    days = {day: as_date(day) for p in progress for day in (p.due, p.quiet_until)}
    on_sqlite = connection.dialect.name == "sqlite"
    for start in range(0, len(progress), batch):
        part = progress[start : start + batch]
        if on_sqlite:
            await connection.exec_driver_sql(
                SQLITE_UPSERT,
                [
                    (
                        p.rule_key,
                        p.subject,
                        p.organisation_id,
                        p.slot,
                        days[p.due],
                        days[p.quiet_until],
                        basis,
                    )
                    for p in part
                ],
            )
            continue
        await connection.exec_driver_sql(
            POSTGRES_UPSERT,
            (
                [p.rule_key for p in part],
                [p.subject for p in part],
                [p.organisation_id for p in part],
                [p.slot for p in part],
                [days[p.due] for p in part],
                [days[p.quiet_until] for p in part],
                basis,
            ),
        )
