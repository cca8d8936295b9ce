"""The machinery: form drafts, the outbox, reminders, the calendar, deadline rules, audit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlalchemy import text as sql_text
from sqlmodel import JSON, Field, SQLModel, UniqueConstraint

from storage.models.base import created_at, long_text, ref, telegram_id, timestamp
from storage.models.enums import DayKind, DeadlineUnit, DraftStatus, OutboxStatus, values
from storage.types import check_in


class FormDraft(SQLModel, table=True):
    """A form being filled in: every answer is saved here the moment it is given."""

    __tablename__ = "form_draft"
    __table_args__ = (
        check_in("status", values(DraftStatus), "status"),
        # One active form per person: a second /new resumes or replaces, never forks.
        Index(
            "uq_form_draft_active_person",
            "person_id",
            unique=True,
            sqlite_where=sql_text("status = 'active'"),
            postgresql_where=sql_text("status = 'active'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = ref("person.id", ondelete="CASCADE")
    form: str = Field(max_length=64)  # FormSpec name
    subject_type: str | None = Field(default=None, max_length=32)  # e.g. goal_version
    subject_id: int | None = None
    data: dict = Field(default_factory=dict, sa_type=JSON)
    current_field: str | None = Field(default=None, max_length=64)
    status: str = Field(default=DraftStatus.active.value, max_length=16)
    version: int = Field(default=1)
    created_at: dt.datetime = created_at()
    updated_at: dt.datetime | None = timestamp()


class Attachment(SQLModel, table=True):
    """A file someone sent with an answer (a PDF, a Word file, a photo), kept with its item.

    While the form is open it belongs to the draft (`item_type` "form_draft"); the submit
    hands it to the record the form made (e.g. "rectification_reply"). The bytes are kept
    here, not only Telegram's file id, so the item stays complete whatever the bot token.
    """

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_item", "item_type", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    item_type: str = Field(max_length=32)
    item_id: int
    file_name: str = Field(max_length=200)
    mime_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes
    telegram_file_id: str | None = Field(default=None, max_length=200)
    uploaded_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    created_at: dt.datetime = created_at()


class OutboxMessage(SQLModel, table=True):
    """A message to deliver, written in the same transaction as the change it reports.

    The workflow names a message template and its context; the bot renders it when it
    sends, so the workflow stays free of presentation and of Telegram.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        check_in("status", values(OutboxStatus), "status"),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    chat_id: int | None = telegram_id()  # set when the person is not (yet) known
    template: str = Field(max_length=64)  # templates/messages/<template>.html.j2
    context: dict = Field(default_factory=dict, sa_type=JSON)
    buttons: list | None = Field(default=None, sa_type=JSON)  # rows of [label key, data]
    document_name: str | None = Field(default=None, max_length=200)
    document: bytes | None = None
    dedupe_key: str | None = Field(default=None, max_length=200)
    status: str = Field(default=OutboxStatus.pending.value, max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: dt.datetime = created_at()
    # Who holds the lease that pushed next_attempt_at forward (None once settled): after a
    # crash the same deliverer takes its own leases back at once.
    lease_owner: str | None = Field(default=None, max_length=100)
    last_error: str | None = long_text()
    telegram_message_id: int | None = telegram_id()
    # Set on an edit: rewrite the message that row delivered (text and buttons) instead
    # of sending a new one; it waits until that row is sent.
    edit_of_id: int | None = ref("outbox_message.id", required=False, ondelete="CASCADE")
    created_at: dt.datetime = created_at()
    sent_at: dt.datetime | None = timestamp()


class DeliveryAttempt(SQLModel, table=True):
    """Every try at delivering an outbox message, and what Telegram said."""

    __tablename__ = "delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    outbox_message_id: int = ref("outbox_message.id", ondelete="CASCADE")
    attempted_at: dt.datetime = created_at()
    outcome: str = Field(max_length=32)  # sent / retry_after / network / forbidden / bad_request
    detail: str | None = long_text()


class ReminderLog(SQLModel, table=True):
    """A reminder that was queued, under a unique key, so it is never queued twice."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)  # rule:subject:person:slot
    person_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    outbox_message_id: int | None = ref("outbox_message.id", required=False, ondelete="SET NULL")
    due_date: dt.date | None = None
    created_at: dt.datetime = created_at()


class ReminderProgress(SQLModel, table=True):
    """How far one subject's reminders went: the sweep skips it in SQL until `quiet_until`.

    Written with the reminder rows it vouches for (one transaction). `basis` fingerprints
    what else decided the plan (rules, calendar, org chart, settings): any change there and
    the row no longer counts, so the next sweep plans the subject again.
    """

    __tablename__ = "reminder_progress"

    rule_key: str = Field(primary_key=True, max_length=64)
    subject: str = Field(primary_key=True, max_length=64)
    organisation_id: int  # the project's organisation when planned: a move plans again
    slot: str | None = Field(default=None, max_length=32)  # the latest slot queued
    due_date: dt.date
    quiet_until: dt.date  # the last day on which no new reminder can be due
    basis: str = Field(max_length=40)


class CalendarOverride(SQLModel, table=True):
    """An administrator's word on one date: working day or holiday (beats chinesecalendar)."""

    __tablename__ = "calendar_override"
    __table_args__ = (check_in("kind", values(DayKind), "kind"),)

    day: dt.date = Field(primary_key=True)
    kind: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=200)
    created_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    created_at: dt.datetime = created_at()


class CalendarYear(SQLModel, table=True):
    """A year whose loaded schedule the administrator confirmed complete (official).

    Loading part of a year (one holiday) does not make the year official: until confirmed,
    deadlines in it stay provisional (weekends only, plus the days loaded).
    """

    __tablename__ = "calendar_year"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    confirmed_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    confirmed_at: dt.datetime = created_at()


class DeadlineRule(SQLModel, table=True):
    """A deadline rule as data: what is due, after which trigger, within how many days."""

    __tablename__ = "deadline_rule"
    __table_args__ = (check_in("unit", values(DeadlineUnit), "unit"),)

    key: str = Field(primary_key=True, max_length=64)
    description: str = Field(max_length=200)
    trigger: str = Field(max_length=64)
    days: int
    unit: str = Field(max_length=16)
    updated_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    updated_at: dt.datetime | None = timestamp()


class AuditEntry(SQLModel, table=True):
    """Append-only audit log; database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    # Strangers' entries are counted per person and hour (the cap on what they may write).
    __table_args__ = (Index("ix_audit_log_stranger", "telegram_user_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = created_at()
    actor_id: int | None = ref("person.id", required=False, ondelete="RESTRICT")
    telegram_user_id: int | None = telegram_id()
    action: str = Field(max_length=64)
    object_type: str | None = Field(default=None, max_length=32)
    object_id: int | None = None
    allowed: bool = Field(default=True)
    detail: dict | None = Field(default=None, sa_type=JSON)
