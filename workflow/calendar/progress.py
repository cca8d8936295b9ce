"""Reminder progress per subject (reminder_progress), written with the reminders it vouches
for: how far a subject's reminders went and the last day nothing new can be due, so the next
sweep's sources leave it out in SQL (workflow.calendar.registry.not_reminded)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ReminderProgress

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


SQLITE_UPSERT = (
    "INSERT INTO reminder_progress"
    " (rule_key, subject, organisation_id, slot, due_date, quiet_until, basis)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rule_key, subject) DO UPDATE SET"
    " organisation_id = excluded.organisation_id, slot = excluded.slot,"
    " due_date = excluded.due_date, quiet_until = excluded.quiet_until, basis = excluded.basis"
)
RAW_PROGRESS = sql_table(PROGRESS.name, *(sql_column(column.name) for column in PROGRESS.columns))


async def record_progress(
    connection: AsyncConnection, progress: Sequence[Progress], basis: str, *, batch: int
) -> None:
    """Upsert the subjects' progress rows, one statement run over a batch of rows at a time
    (executemany: compiled once). Untyped columns: the few distinct dates are converted
    once here, not by SQLAlchemy once per row."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(RAW_PROGRESS)
    fresh = statement.excluded
    upsert = statement.on_conflict_do_update(
        index_elements=["rule_key", "subject"],
        set_={
            "organisation_id": fresh.organisation_id,
            "slot": fresh.slot,
            "due_date": fresh.due_date,
            "quiet_until": fresh.quiet_until,
            "basis": fresh.basis,
        },
    )
    if dialect is postgresql:
        # RETURNING: one multi-row statement per batch, not asyncpg's row-by-row executemany.
        upsert = upsert.returning(RAW_PROGRESS.c.subject)
    as_date = PROGRESS.c.due_date.type.bind_processor(connection.dialect) or (lambda day: day)
    days = {day: as_date(day) for p in progress for day in (p.due, p.quiet_until)}
    for start in range(0, len(progress), batch):
        part = progress[start : start + batch]
        if dialect is sqlite:  # the driver's executemany, in C: no statement to build per row
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
        await connection.execute(
            upsert,
            [
                {
                    "rule_key": p.rule_key,
                    "subject": p.subject,
                    "organisation_id": p.organisation_id,
                    "slot": p.slot,
                    "due_date": days[p.due],
                    "quiet_until": days[p.quiet_until],
                    "basis": basis,
                }
                for p in part
            ],
        )
