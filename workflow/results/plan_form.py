"""The department's rectification plan on finance's evaluation report: an overview, one row
per problem (measures, responsible person, completion date), and files.

It answers the request the report opened, through the same exactly-once path as a written
reply (`workflow.tracking.rectification.submit_reply`); finance then accepts it or asks again.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from storage.db import Database
from workflow.core.access import Actor
from workflow.core.clock import local_day
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult
from workflow.forms.parsers import parse_date, parse_text
from workflow.forms.spec import META, Answers, FieldSpec, FormSpec, Kind, Problem, SubFormSpec
from workflow.review.forms import LONG_TEXT, meta_context
from workflow.tracking import rectification
from workflow.tracking.rectification_forms import CONTENT, FILES

PLAN_FORM = "rectification_plan"


def not_before_today(value: dt.date, answers: Answers) -> Problem | None:
    """A completion date is today or later."""
    root = answers.parent or answers
    today = dt.date.fromisoformat(str((root.context or {}).get("today")))
    return Problem("plan_date_past") if value < today else None


ROWS = SubFormSpec(
    "plan",
    fields=(
        FieldSpec("problem", Kind.text, partial(parse_text, limit=500)),
        FieldSpec("measures", Kind.text, LONG_TEXT),
        FieldSpec("responsible", Kind.text, partial(parse_text, limit=50)),
        FieldSpec("completion", Kind.date, parse_date, validators=(not_before_today,)),
    ),
    min_items=1,
    max_items=20,
)


async def _submit(session: Any, **kwargs: Any) -> Any:
    keep = {key: kwargs[key] for key in ("person_id", "draft", "answers", "now")}
    return await rectification.submit_reply(session, **keep)


FORM = FormSpec(
    PLAN_FORM, entries=(CONTENT, ROWS, FILES), load_context=meta_context, submit=_submit
)


async def start_plan(
    db: Database, *, actor: Actor, request_id: int, now: dt.datetime
) -> DraftResult | Problem:
    """✍️ 报送整改方案 pressed: the department answers the request the report opened."""
    meta = await rectification.reply_context(db, actor=actor, request_id=request_id)
    if isinstance(meta, Problem):
        return meta
    assert actor.person_id is not None
    return await drafts.start_draft(
        db,
        person_id=actor.person_id,
        form_name=PLAN_FORM,
        now=now,
        subject_type="rectification_request",
        subject_id=request_id,
        initial={META: {**meta, "today": local_day(now).isoformat()}},
    )
