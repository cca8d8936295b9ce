"""Files attached to a form's answer: stored the moment they arrive, handed on at submit.

A file sent to a files question is checked (`workflow.forms.files`), stored as an
Attachment owned by the draft, and its id added to the answer, all in one transaction, so
a restart keeps it like any typed answer. The form's submit hands the draft's files to the
record it makes (`claim`); whoever may see that record may fetch them (`files_of`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Attachment
from workflow.forms import files
from workflow.forms.draft_store import (
    Conflict,
    DraftOutcome,
    DraftResult,
    active_draft,
    load_context,
    save,
    view_of,
)
from workflow.forms.files import Upload
from workflow.forms.registry import form_spec
from workflow.forms.spec import Cursor, Problem

DRAFT_ITEM = "form_draft"


async def attach(db: Database, *, person_id: int, upload: Upload, now: dt.datetime) -> DraftResult:
    """Keep a file sent to the person's current files question (or say why not)."""
    try:
        async with db.transaction() as session:
            draft = await active_draft(session, person_id)
            if draft is None:
                return DraftResult(DraftOutcome.none)
            form = form_spec(draft.form)
            before = draft.data
            context = await load_context(session, form, person_id, before)
            cursor = Cursor.parse(draft.current_field)
            problem = files.room_problem(form, before, cursor, context) or files.content_problem(
                upload
            )
            if problem is not None:
                view = await view_of(session, draft, context)
                return DraftResult(DraftOutcome.refused, view, problem)
            stored = Attachment(
                item_type=DRAFT_ITEM,
                item_id=draft.id or 0,
                file_name=upload.file_name[:200],
                mime_type=upload.mime_type,
                size=len(upload.content),
                sha256=upload.sha256,
                content=upload.content,
                telegram_file_id=upload.telegram_file_id,
                uploaded_by_id=person_id,
                created_at=now,
            )
            session.add(stored)
            await session.flush()
            entry = {"id": stored.id, "name": stored.file_name, "size": stored.size}
            outcome = files.add_file(form, before, cursor, entry, context)
            await save(session, draft, data=outcome.data, cursor=outcome.cursor, now=now)
            view = await view_of(session, draft, context, loaded_for=before)
            return DraftResult(DraftOutcome.moved, view)
    except Conflict:
        return DraftResult(DraftOutcome.conflict, problem=Problem("conflict"))


async def claim(
    session: AsyncSession, *, draft_id: int, ids: Sequence[int], item_type: str, item_id: int
) -> int:
    """Hand the draft's files named in its answer to the record the submit made."""
    if not ids:
        return 0
    table = Attachment.__table__
    result = await session.execute(
        update(table)
        .where(
            table.c.item_type == DRAFT_ITEM,
            table.c.item_id == draft_id,
            table.c.id.in_(list(ids)),
        )
        .values(item_type=item_type, item_id=item_id)
    )
    return result.rowcount


def answer_ids(value: object) -> list[int]:
    """The attachment ids of a files answer ([{"id": 7, ...}, ...])."""
    if not isinstance(value, list):
        return []
    return [int(entry["id"]) for entry in value if isinstance(entry, dict) and "id" in entry]


async def files_of(session: AsyncSession, *, item_type: str, item_id: int) -> list[Attachment]:
    """The files kept with an item, in the order they were sent."""
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.item_type == item_type, Attachment.item_id == item_id)
        .order_by(Attachment.id)
    )
    return list(rows)
