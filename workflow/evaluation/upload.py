"""The 自评表 as a file: what its template is filled from, and an upload applied.

The same path as the tracking form's (workflow.tracking.upload): every cell is checked as a
typed answer; refused cells are reported by place and left for the chat.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from storage.db import Database
from workflow.core.access import Actor
from workflow.evaluation.form import SELF_EVALUATION_FORM
from workflow.evaluation.start import EvaluationStart, evaluation_start, start_evaluation_form
from workflow.forms import drafts
from workflow.forms.draft_store import active_draft
from workflow.forms.drafts import Uploaded
from workflow.forms.imports import Cells
from workflow.forms.spec import META, Problem


async def template_start(
    db: Database, *, actor: Actor, evaluation_id: int
) -> EvaluationStart | Problem:
    """What the template shows: the indicators, weights, and the answers given so far."""
    async with db.sessions() as session:
        start = await evaluation_start(session, actor=actor, evaluation_id=evaluation_id)
        if isinstance(start, Problem) or actor.person_id is None:
            return start
        draft = await active_draft(session, actor.person_id)
    mine = draft is not None and draft.form == SELF_EVALUATION_FORM
    if mine and draft is not None and draft.subject_id == evaluation_id:
        return replace(start, initial={**draft.data, META: start.initial[META]})
    return start


async def import_upload(
    db: Database, *, actor: Actor, evaluation_id: int, cells: Cells, now: dt.datetime
) -> Uploaded | Problem:
    """Apply an uploaded template to the person's draft of this self-evaluation."""
    opened = await start_evaluation_form(db, actor=actor, evaluation_id=evaluation_id, now=now)
    if isinstance(opened, Problem):
        return opened
    assert actor.person_id is not None
    return await drafts.import_into(
        db,
        person_id=actor.person_id,
        opened=opened,
        form_name=SELF_EVALUATION_FORM,
        subject_id=evaluation_id,
        cells=cells,
        now=now,
    )
