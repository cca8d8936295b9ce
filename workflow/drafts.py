"""Form drafts in the database: every answer is saved, in its own transaction, when given.

One active draft per person (a unique partial index). Each change bumps `version` with
`UPDATE … WHERE version = :seen`, so a stale button, a double tap or a second bot process
changes nothing twice. The FormSpec named by the draft decides what an answer means
(`workflow.form_flow`); this module loads, checks, saves and describes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import FormDraft
from storage.models.enums import DraftStatus
from workflow import form_flow, form_rows, form_summary
from workflow.form_flow import Outcome, Step
from workflow.form_registry import form_spec
from workflow.forms import Context, Cursor, Data, FormSpec, Problem, SubmitRefused

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


class _Conflict(Exception):
    """The draft's version changed between reading and writing."""


async def _active(session: AsyncSession, person_id: int) -> FormDraft | None:
    query = select(FormDraft).where(
        FormDraft.person_id == person_id, FormDraft.status == DraftStatus.active.value
    )
    return (await session.execute(query)).scalars().first()


async def _context(
    session: AsyncSession, form: FormSpec, person_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    if form.load_context is None:
        return {}
    return await form.load_context(session, person_id, data)


async def _view(session: AsyncSession, draft: FormDraft) -> DraftView:
    """The draft's current step, with a fresh context."""
    form = form_spec(draft.form)
    context = await _context(session, form, draft.person_id, draft.data)
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


async def _save(
    session: AsyncSession,
    draft: FormDraft,
    *,
    data: Data,
    cursor: Cursor,
    now: dt.datetime,
    status: DraftStatus = DraftStatus.active,
) -> None:
    """Write the change if nobody else wrote since the draft was read."""
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
        raise _Conflict
    draft.data, draft.current_field = data, str(cursor)
    draft.status, draft.version = status.value, draft.version + 1


async def _load(
    session: AsyncSession, person_id: int, draft_id: int | None, version: int | None
) -> FormDraft | None:
    """The person's active draft, if it is the one (and the version) the button showed."""
    draft = await _active(session, person_id)
    if draft is None or (draft_id is not None and draft.id != draft_id):
        return None
    if version is not None and draft.version != version:
        return None
    return draft


async def start_draft(
    db: Database,
    *,
    person_id: int,
    form_name: str,
    now: dt.datetime,
    subject_type: str | None = None,
    subject_id: int | None = None,
    initial: Data | None = None,
    replace: bool = False,
) -> DraftResult:
    """Open a draft of `form_name` at its first question (or say one is already open)."""
    form = form_spec(form_name)
    try:
        async with db.transaction() as session:
            existing = await _active(session, person_id)
            if existing is not None and not replace:
                return DraftResult(DraftOutcome.exists, await _view(session, existing))
            if existing is not None:
                await _save(
                    session,
                    existing,
                    data=existing.data,
                    cursor=Cursor.parse(existing.current_field),
                    now=now,
                    status=DraftStatus.cancelled,
                )
                await session.flush()
            context = await _context(session, form, person_id, initial or {})
            if initial is None:
                begun = form_flow.start(form, context)
            else:
                data, cursor = form_flow.next_cursor(form, dict(initial), context)
                begun = Outcome(data, cursor)
            draft = FormDraft(
                person_id=person_id,
                form=form.name,
                subject_type=subject_type,
                subject_id=subject_id,
                data=begun.data,
                current_field=str(begun.cursor),
                created_at=now,
                updated_at=now,
            )
            session.add(draft)
            await session.flush()
            return DraftResult(DraftOutcome.moved, await _view(session, draft))
    except (IntegrityError, _Conflict):
        # Two starts at the same moment: the unique index let exactly one through.
        return await current_draft(db, person_id=person_id, outcome=DraftOutcome.exists)


async def current_draft(
    db: Database, *, person_id: int, outcome: DraftOutcome = DraftOutcome.shown
) -> DraftResult:
    """The person's active draft where they stopped (for /resume and plain messages)."""
    async with db.transaction() as session:
        draft = await _active(session, person_id)
        if draft is None:
            return DraftResult(DraftOutcome.none)
        return DraftResult(outcome, await _view(session, draft))


async def resume(db: Database, *, person_id: int, now: dt.datetime) -> DraftResult:
    """Continue where the person stopped; a question that no longer applies is replaced."""
    return await _change(db, person_id, None, None, now, form_flow.resume, quiet=True)


async def _change(
    db: Database,
    person_id: int,
    draft_id: int | None,
    version: int | None,
    now: dt.datetime,
    operation: Operation,
    *,
    quiet: bool = False,
) -> DraftResult:
    """Apply one operation to the active draft and save it in its own transaction."""
    try:
        async with db.transaction() as session:
            draft = await _load(session, person_id, draft_id, version)
            if draft is None:
                none = draft_id is None and await _active(session, person_id) is None
                return DraftResult(DraftOutcome.none if none else DraftOutcome.stale)
            form = form_spec(draft.form)
            context = await _context(session, form, person_id, draft.data)
            cursor = Cursor.parse(draft.current_field)
            outcome = operation(form, draft.data, cursor, context)
            if outcome.data != draft.data or str(outcome.cursor) != str(cursor):
                await _save(session, draft, data=outcome.data, cursor=outcome.cursor, now=now)
            elif quiet:
                return DraftResult(DraftOutcome.shown, await _view(session, draft))
            kind = DraftOutcome.refused if outcome.problem else DraftOutcome.moved
            return DraftResult(kind, await _view(session, draft), outcome.problem)
    except _Conflict:
        return DraftResult(DraftOutcome.conflict, problem=Problem("conflict"))


async def answer(db: Database, *, person_id: int, text: str, now: dt.datetime) -> DraftResult:
    """A typed answer to the current question of the person's active draft."""

    def operation(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
        return form_flow.answer_text(form, data, cursor, text, context)

    return await _change(db, person_id, None, None, now, operation)


async def choose(
    db: Database, *, person_id: int, draft_id: int, version: int, index: int, now: dt.datetime
) -> DraftResult:
    """A choice button of the current question."""

    def operation(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
        return form_flow.choose(form, data, cursor, index, context)

    return await _change(db, person_id, draft_id, version, now, operation)


async def keep(
    db: Database, *, person_id: int, draft_id: int, version: int, now: dt.datetime
) -> DraftResult:
    """Keep the shown answer of the current question and go on."""
    return await _change(db, person_id, draft_id, version, now, form_flow.keep)


async def back(
    db: Database,
    *,
    person_id: int,
    now: dt.datetime,
    draft_id: int | None = None,
    version: int | None = None,
) -> DraftResult:
    """The previous question."""
    return await _change(db, person_id, draft_id, version, now, form_flow.back)


async def skip(
    db: Database,
    *,
    person_id: int,
    now: dt.datetime,
    draft_id: int | None = None,
    version: int | None = None,
) -> DraftResult:
    """Leave the current optional question empty."""
    return await _change(db, person_id, draft_id, version, now, form_flow.skip)


async def edit_field(
    db: Database,
    *,
    person_id: int,
    number: int,
    now: dt.datetime,
    draft_id: int | None = None,
    version: int | None = None,
) -> DraftResult:
    """From the summary: answer entry `number` again."""

    def operation(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
        return form_flow.edit_entry(form, data, cursor, number, context)

    return await _change(db, person_id, draft_id, version, now, operation)


async def add_row(
    db: Database, *, person_id: int, draft_id: int, version: int, now: dt.datetime
) -> DraftResult:
    """Sub-form menu: add another row."""
    return await _change(db, person_id, draft_id, version, now, form_rows.add_row)


async def finish_rows(
    db: Database, *, person_id: int, draft_id: int, version: int, now: dt.datetime
) -> DraftResult:
    """Sub-form menu: done."""
    return await _change(db, person_id, draft_id, version, now, form_rows.finish_rows)


async def edit_row_field(
    db: Database,
    *,
    person_id: int,
    draft_id: int,
    version: int,
    index: int,
    field: str,
    now: dt.datetime,
) -> DraftResult:
    """Sub-form menu: answer one question of row `index` again."""

    def operation(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
        return form_rows.edit_row_field(form, data, cursor, index, field, context)

    return await _change(db, person_id, draft_id, version, now, operation)


async def delete_row(
    db: Database, *, person_id: int, draft_id: int, version: int, index: int, now: dt.datetime
) -> DraftResult:
    """Sub-form menu: delete row `index`."""

    def operation(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
        return form_rows.delete_row(form, data, cursor, index, context)

    return await _change(db, person_id, draft_id, version, now, operation)


async def cancel(
    db: Database,
    *,
    person_id: int,
    now: dt.datetime,
    draft_id: int | None = None,
    version: int | None = None,
) -> DraftResult:
    """Discard the active draft (the runner asks for confirmation first)."""
    try:
        async with db.transaction() as session:
            draft = await _load(session, person_id, draft_id, version)
            if draft is None:
                return DraftResult(DraftOutcome.stale if draft_id else DraftOutcome.none)
            view = await _view(session, draft)
            cursor = Cursor.parse(draft.current_field)
            await _save(
                session,
                draft,
                data=draft.data,
                cursor=cursor,
                now=now,
                status=DraftStatus.cancelled,
            )
            return DraftResult(DraftOutcome.cancelled, view)
    except _Conflict:
        return DraftResult(DraftOutcome.conflict, problem=Problem("conflict"))


async def submit(
    db: Database, *, person_id: int, draft_id: int, version: int, now: dt.datetime
) -> DraftResult:
    """Confirm at the summary: check everything, make the records, close the draft.

    All of it happens in one transaction; when the form's submit refuses, everything it
    wrote is rolled back and only the cursor moves to the answer that needs fixing.
    """
    try:
        async with db.transaction() as session:
            draft = await _load(session, person_id, draft_id, version)
            if draft is None:
                return DraftResult(DraftOutcome.stale)
            form = form_spec(draft.form)
            context = await _context(session, form, person_id, draft.data)
            cursor = Cursor.parse(draft.current_field)
            checked = form_summary.confirm_check(form, draft.data, cursor, context)
            if checked.problem is not None:
                await _save(session, draft, data=checked.data, cursor=checked.cursor, now=now)
                return DraftResult(
                    DraftOutcome.refused, await _view(session, draft), checked.problem
                )
            record = None
            if form.submit is not None:
                record = await form.submit(
                    session,
                    person_id=person_id,
                    draft=draft,
                    answers=form.answers(draft.data, context),
                    context=context,
                    now=now,
                )
            view = await _view(session, draft)
            await _save(
                session,
                draft,
                data=draft.data,
                cursor=cursor,
                now=now,
                status=DraftStatus.submitted,
            )
            return DraftResult(DraftOutcome.submitted, view, record=record)
    except SubmitRefused as refusal:
        return await _refused_at(db, person_id, draft_id, version, refusal.problem, now)
    except _Conflict:
        return DraftResult(DraftOutcome.conflict, problem=Problem("conflict"))
    except IntegrityError:
        # Someone made the same record at the same moment (e.g. the same project name).
        return DraftResult(DraftOutcome.conflict, problem=Problem("submit_conflict"))


async def _refused_at(
    db: Database, person_id: int, draft_id: int, version: int, problem: Problem, now: dt.datetime
) -> DraftResult:
    """After a refused submit: send the person to the answer the problem names."""

    def operation(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
        return form_summary.refuse_at(form, data, problem, context)

    result = await _change(db, person_id, draft_id, version, now, operation)
    if result.outcome is DraftOutcome.moved:  # the move itself succeeded; the submit did not
        return DraftResult(DraftOutcome.refused, result.view, problem)
    return DraftResult(result.outcome, result.view, result.problem or problem)
