"""A person's form draft in the database: find it, show it, save a change to it.

One active draft per person (a unique partial index). Each change bumps `version` with
`UPDATE … WHERE version = :seen`, so a stale button, a double tap or a second bot process
changes nothing twice. A view of the draft carries the facts its form loads from the
database (the context): loaded once per transaction, and again only when an answer it is
loaded from has changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.db import Database
from storage.models import FormDraft
from storage.models.enums import DraftStatus
from workflow.forms import flow as form_flow
from workflow.forms.flow import Outcome, Step
from workflow.forms.registry import form_spec
from workflow.forms.spec import Context, Cursor, Data, FormSpec, Problem

Operation = Callable[[FormSpec, Data, Cursor, Context], Outcome]


class DraftOutcome(StrEnum):
    """What happened to the draft."""

    shown = "shown"  # nothing changed: here is where the person is
    moved = "moved"  # the change was saved: here is the next step
    refused = "refused"  # the answer was not accepted: `problem` says why
    stale = "stale"  # a button of an older state, another person's, or a closed draft
    none = "none"  # the person has no active draft
    exists = "exists"  # a new draft was not started: another one is active
    cancelled = "cancelled"
    submitted = "submitted"
    conflict = "conflict"  # changed elsewhere at the same moment: nothing was saved


@dataclass(frozen=True, slots=True)
class DraftView:
    """A draft as the person should see it now."""

    id: int
    version: int
    form: FormSpec
    data: Data
    cursor: Cursor
    context: Context
    step: Step
    subject_type: str | None = None
    subject_id: int | None = None


@dataclass(frozen=True, slots=True)
class DraftResult:
    """The outcome of a draft operation, the draft's view after it, and any problem."""

    outcome: DraftOutcome
    view: DraftView | None = None
    problem: Problem | None = None
    record: Any = None  # what the form's submit made (e.g. the project)


class Conflict(Exception):
    """The draft's version changed between reading and writing."""


async def active_draft(session: AsyncSession, person_id: int) -> FormDraft | None:
    """The person's open draft, if any."""
    query = select(FormDraft).where(
        FormDraft.person_id == person_id, FormDraft.status == DraftStatus.active.value
    )
    return (await session.execute(query)).scalars().first()


async def shown_draft(
    session: AsyncSession, person_id: int, draft_id: int | None, version: int | None
) -> FormDraft | None:
    """The person's active draft, if it is the one (and the version) the button showed."""
    draft = await active_draft(session, person_id)
    if draft is None or (draft_id is not None and draft.id != draft_id):
        return None
    if version is not None and draft.version != version:
        return None
    return draft


async def load_context(
    session: AsyncSession, form: FormSpec, person_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """The facts `form` reads for this person and these answers."""
    if form.load_context is None:
        return {}
    return await form.load_context(session, person_id, data)


async def view_of(
    session: AsyncSession,
    draft: FormDraft,
    context: Context | None = None,
    *,
    loaded_for: Mapping[str, Any] | None = None,
) -> DraftView:
    """The draft's current step.

    `context`, when given, was loaded in this transaction for the answers `loaded_for` (by
    default the draft's own); it is loaded again only if an answer it reads changed since.
    """
    form = form_spec(draft.form)
    if context is None or (loaded_for is not None and form.context_changed(loaded_for, draft.data)):
        context = await load_context(session, form, draft.person_id, draft.data)
    cursor = Cursor.parse(draft.current_field)
    return DraftView(
        id=draft.id or 0,
        version=draft.version,
        form=form,
        data=draft.data,
        cursor=cursor,
        context=context,
        step=form_flow.describe(form, draft.data, cursor, context),
        subject_type=draft.subject_type,
        subject_id=draft.subject_id,
    )


async def save(
    session: AsyncSession,
    draft: FormDraft,
    *,
    data: Data,
    cursor: Cursor,
    now: dt.datetime,
    status: DraftStatus = DraftStatus.active,
) -> None:
    """Write the change if nobody else wrote since the draft was read (else `Conflict`)."""
    statement = (
        update(FormDraft)
        .where(
            FormDraft.id == draft.id,
            FormDraft.version == draft.version,
            FormDraft.status == DraftStatus.active.value,
        )
        .values(
            data=data,
            current_field=str(cursor),
            status=status.value,
            version=draft.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if (await session.execute(statement)).rowcount != 1:
        raise Conflict
    # What was just written, set as loaded: assigning would flush a second UPDATE at commit.
    for name, value in (
        ("data", data),
        ("current_field", str(cursor)),
        ("status", status.value),
        ("version", draft.version + 1),
        ("updated_at", now),
    ):
        set_committed_value(draft, name, value)


async def change(
    db: Database,
    person_id: int,
    draft_id: int | None,
    version: int | None,
    now: dt.datetime,
    operation: Operation,
    *,
    quiet: bool = False,
) -> DraftResult:
    """Apply one operation to the active draft and save it in its own transaction.

    `quiet`: when nothing changes, say `shown` rather than `moved`.
    """
    try:
        async with db.transaction() as session:
            draft = await shown_draft(session, person_id, draft_id, version)
            if draft is None:  # none open, or not the one (or the version) the button showed
                none = draft_id is None and version is None
                return DraftResult(DraftOutcome.none if none else DraftOutcome.stale)
            form = form_spec(draft.form)
            before = draft.data
            context = await load_context(session, form, person_id, before)
            cursor = Cursor.parse(draft.current_field)
            outcome = operation(form, before, cursor, context)
            if outcome.data != before or str(outcome.cursor) != str(cursor):
                await save(session, draft, data=outcome.data, cursor=outcome.cursor, now=now)
            elif quiet:
                return DraftResult(DraftOutcome.shown, await view_of(session, draft, context))
            view = await view_of(session, draft, context, loaded_for=before)
            kind = DraftOutcome.refused if outcome.problem else DraftOutcome.moved
            return DraftResult(kind, view, outcome.problem)
    except Conflict:
        return DraftResult(DraftOutcome.conflict, problem=Problem("conflict"))
