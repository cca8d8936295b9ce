"""The 绩效跟踪表 as a file: what its template is filled from, and an upload applied.

The bot writes the template (.xlsx) from `template_start` and reads an uploaded one into
cells; here an upload becomes answers of the person's tracking draft (opened for it when
none is), each cell checked exactly as a typed answer. What was refused is reported by
cell and stays unanswered, so the draft continues in the chat where something is missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from storage.db import Database
from workflow.core.access import Actor
from workflow.forms import drafts
from workflow.forms.draft_store import active_draft
from workflow.forms.drafts import Uploaded
from workflow.forms.imports import Cells
from workflow.forms.spec import META, Problem
from workflow.tracking.form import (
    TRACKING_FORM,
    TrackingStart,
    start_tracking_form,
    tracking_start,
)


async def template_start(
    db: Database, *, actor: Actor, report_id: int, yellow_points: Decimal
) -> TrackingStart | Problem:
    """What the template shows: the targets, and the answers given so far (the person's
    open draft of this report, else a returned report's previous answers)."""
    async with db.sessions() as session:
        start = await tracking_start(
            session, actor=actor, report_id=report_id, yellow_points=yellow_points
        )
        if isinstance(start, Problem) or actor.person_id is None:
            return start
        draft = await active_draft(session, actor.person_id)
    if draft is not None and draft.form == TRACKING_FORM and draft.subject_id == report_id:
        return replace(start, initial={**draft.data, META: start.initial[META]})
    return start


async def import_upload(
    db: Database,
    *,
    actor: Actor,
    report_id: int,
    cells: Cells,
    yellow_points: Decimal,
    now: dt.datetime,
) -> Uploaded | Problem:
    """Apply an uploaded template to the person's draft of this report (opened if need be)."""
    opened = await start_tracking_form(
        db, actor=actor, report_id=report_id, yellow_points=yellow_points, now=now
    )
    if isinstance(opened, Problem):
        return opened
    assert actor.person_id is not None
    return await drafts.import_into(
        db,
        person_id=actor.person_id,
        opened=opened,
        form_name=TRACKING_FORM,
        subject_id=report_id,
        cells=cells,
        now=now,
    )
