"""Form drafts: every answer is saved, in its own transaction, when given.

The use cases of the form runner: open a draft, show it, answer, press a button of it,
cancel it, submit it. The FormSpec named by the draft decides what an answer means
(`workflow.forms.flow`, `form_rows`, `form_summary`); `workflow.forms.draft_store` finds, shows and
saves the draft (one active per person, each change guarded by its version).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import FormDraft
from storage.models.enums import DraftStatus
from workflow.forms import flow as form_flow
from workflow.forms import imports as form_imports
from workflow.forms import picks as form_picks
from workflow.forms import rows as form_rows
from workflow.forms import summary as form_summary
from workflow.forms.draft_store import (
    Conflict,
    DraftOutcome,
    DraftResult,
    active_draft,
    change,
    load_context,
    save,
    shown_draft,
    view_of,
)
from workflow.forms.flow import Outcome
from workflow.forms.imports import CellProblem, Cells, Imported
from workflow.forms.registry import form_spec
from workflow.forms.spec import Context, Cursor, Data, FormSpec, Problem, SubmitRefused


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
            existing = await active_draft(session, person_id)
            if existing is not None and not replace:
                return DraftResult(DraftOutcome.exists, await view_of(session, existing))
            if existing is not None:
                await save(
                    session,
                    existing,
                    data=existing.data,
                    cursor=Cursor.parse(existing.current_field),
                    now=now,
                    status=DraftStatus.cancelled,
                )
                await session.flush()
            prefilled = initial or {}
            context = await load_context(session, form, person_id, prefilled)
            begun = form_flow.start(form, context, initial)
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
            view = await view_of(session, draft, context, loaded_for=prefilled)
            return DraftResult(DraftOutcome.moved, view)
    except (IntegrityError, Conflict):
        # Two starts at the same moment: the unique index let exactly one through.
        return await current_draft(db, person_id=person_id, outcome=DraftOutcome.exists)


async def current_draft(
    db: Database, *, person_id: int, outcome: DraftOutcome = DraftOutcome.shown
) -> DraftResult:
    """The person's active draft where they stopped (for /resume and plain messages)."""
    async with db.transaction() as session:
        draft = await active_draft(session, person_id)
        if draft is None:
            return DraftResult(DraftOutcome.none)
        return DraftResult(outcome, await view_of(session, draft))


async def resume(db: Database, *, person_id: int, now: dt.datetime) -> DraftResult:
    """Continue where the person stopped; a question that no longer applies is replaced."""
    return await change(db, person_id, None, None, now, form_flow.resume, quiet=True)


async def answer(db: Database, *, person_id: int, text: str, now: dt.datetime) -> DraftResult:
    """A typed answer to the current question of the person's active draft."""

    def operation(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
        return form_flow.answer_text(form, data, cursor, text, context)

    return await change(db, person_id, None, None, now, operation)


async def choose(
    db: Database, *, person_id: int, draft_id: int, version: int, index: int, now: dt.datetime
) -> DraftResult:
    """A choice button of the current question."""

    def operation(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
        return form_flow.choose(form, data, cursor, index, context)

    return await change(db, person_id, draft_id, version, now, operation)


async def keep(
    db: Database, *, person_id: int, draft_id: int, version: int, now: dt.datetime
) -> DraftResult:
    """Keep the shown answer of the current question and go on."""
    return await change(db, person_id, draft_id, version, now, form_flow.keep)


async def back(
    db: Database,
    *,
    person_id: int,
    now: dt.datetime,
    draft_id: int | None = None,
    version: int | None = None,
) -> DraftResult:
    """The previous question."""
    return await change(db, person_id, draft_id, version, now, form_flow.back)


async def skip(
    db: Database,
    *,
    person_id: int,
    now: dt.datetime,
    draft_id: int | None = None,
    version: int | None = None,
) -> DraftResult:
    """Leave the current optional question empty."""
    return await change(db, person_id, draft_id, version, now, form_flow.skip)


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

    return await change(db, person_id, draft_id, version, now, operation)


async def toggle_choice(
    db: Database, *, person_id: int, draft_id: int, version: int, index: int, now: dt.datetime
) -> DraftResult:
    """Multi-select: tick or untick choice `index` (kept in the draft until "done")."""

    def operation(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
        return form_picks.toggle(form, data, cursor, index, context)

    return await change(db, person_id, draft_id, version, now, operation)


async def confirm_choices(
    db: Database, *, person_id: int, draft_id: int, version: int, now: dt.datetime
) -> DraftResult:
    """Multi-select: "done", the ticked choices become the answer."""
    return await change(db, person_id, draft_id, version, now, form_picks.confirm)


async def add_row(
    db: Database, *, person_id: int, draft_id: int, version: int, now: dt.datetime
) -> DraftResult:
    """Sub-form menu: add another row."""
    return await change(db, person_id, draft_id, version, now, form_rows.add_row)


async def finish_rows(
    db: Database, *, person_id: int, draft_id: int, version: int, now: dt.datetime
) -> DraftResult:
    """Sub-form menu: done."""
    return await change(db, person_id, draft_id, version, now, form_rows.finish_rows)


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

    return await change(db, person_id, draft_id, version, now, operation)


async def delete_row(
    db: Database, *, person_id: int, draft_id: int, version: int, index: int, now: dt.datetime
) -> DraftResult:
    """Sub-form menu: delete row `index`."""

    def operation(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
        return form_rows.delete_row(form, data, cursor, index, context)

    return await change(db, person_id, draft_id, version, now, operation)


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
            draft = await shown_draft(session, person_id, draft_id, version)
            if draft is None:
                return DraftResult(DraftOutcome.stale if draft_id else DraftOutcome.none)
            view = await view_of(session, draft)
            cursor = Cursor.parse(draft.current_field)
            await save(
                session,
                draft,
                data=draft.data,
                cursor=cursor,
                now=now,
                status=DraftStatus.cancelled,
            )
            return DraftResult(DraftOutcome.cancelled, view)
    except Conflict:
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
            draft = await shown_draft(session, person_id, draft_id, version)
            if draft is None:
                return DraftResult(DraftOutcome.stale)
            form = form_spec(draft.form)
            context = await load_context(session, form, person_id, draft.data)
            cursor = Cursor.parse(draft.current_field)
            checked = form_summary.confirm_check(form, draft.data, cursor, context)
            submitted = checked.data  # computed values brought up to date
            if checked.problem is not None:
                before = draft.data
                await save(session, draft, data=checked.data, cursor=checked.cursor, now=now)
                view = await view_of(session, draft, context, loaded_for=before)
                return DraftResult(DraftOutcome.refused, view, checked.problem)
            record = None
            if form.submit is not None:
                record = await form.submit(
                    session,
                    person_id=person_id,
                    draft=draft,
                    answers=form.answers(submitted, context),
                    context=context,
                    now=now,
                )
            view = await view_of(session, draft, context)
            await save(
                session,
                draft,
                data=submitted,
                cursor=cursor,
                now=now,
                status=DraftStatus.submitted,
            )
            return DraftResult(DraftOutcome.submitted, view, record=record)
    except SubmitRefused as refusal:
        return await _refused_at(db, person_id, draft_id, version, refusal.problem, now)
    except Conflict:
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

    result = await change(db, person_id, draft_id, version, now, operation)
    if result.outcome is DraftOutcome.moved:  # the move itself succeeded; the submit did not
        return DraftResult(DraftOutcome.refused, result.view, problem)
    return DraftResult(result.outcome, result.view, result.problem or problem)


async def import_cells(
    db: Database, *, person_id: int, draft_id: int, cells: Cells, now: dt.datetime
) -> tuple[DraftResult, tuple[CellProblem, ...]]:
    """A filled-in template applied to the person's draft, saved in one transaction."""
    found: list[Imported] = []

    def operation(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
        imported = form_imports.import_cells(form, data, cells, context)
        found.append(imported)
        return Outcome(imported.data, imported.cursor)

    result = await change(db, person_id, draft_id, None, now, operation)
    return result, found[-1].problems if found else ()


@dataclass(frozen=True, slots=True)
class Uploaded:
    """The draft after an uploaded template, and the cells that were refused."""

    result: DraftResult
    problems: tuple[CellProblem, ...] = ()


async def import_into(
    db: Database,
    *,
    person_id: int,
    opened: DraftResult,
    form_name: str,
    subject_id: int,
    cells: Cells,
    now: dt.datetime,
) -> Uploaded:
    """An upload applied to the draft just opened (or found open) for its item; when the
    open draft is another form's or another item's, nothing changes (finish that first)."""
    view = opened.view
    if view is None:
        return Uploaded(opened)
    other = view.form.name != form_name or view.subject_id != subject_id
    if opened.outcome is DraftOutcome.exists and other:
        return Uploaded(opened)
    result, problems = await import_cells(
        db, person_id=person_id, draft_id=view.id, cells=cells, now=now
    )
    return Uploaded(result, problems)
