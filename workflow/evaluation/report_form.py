"""The department report's narrative form: 一、基本概况 二、绩效目标及调整情况 三、管理措施及
组织实施 六、下一步改进意见, four texts (the other parts are generated: workflow.evaluation.report).

/evalreport opens it for the department's staff and head; writing again starts from the texts
last submitted, so the person lands on the summary and changes only what they want. Every
submit is kept (see workflow.evaluation.report for why the draft is the storage).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import FormDraft
from workflow.core import audit
from workflow.core.access import AccessDenied, Action, Actor
from workflow.evaluation.report import (
    NARRATIVE,
    REPORT_FORM,
    SUBJECT,
    authorized_department,
    narrative,
)
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult
from workflow.forms.parsers import parse_text
from workflow.forms.spec import META, Answers, FieldSpec, FormSpec, Kind
from workflow.people.persons import load_actor
from workflow.review.forms import meta_context

PART_LIMIT = 3000  # characters of one part: a page or so of the report


async def _submit(
    session: AsyncSession, *, person_id: int, draft: FormDraft, answers: Answers, **_: Any
) -> dict[str, Any]:
    """Check the writer may still write the department's report; the texts stay in the draft."""
    actor = await load_actor(session, person_id=person_id)
    if actor is None:  # every role was taken away while the form was open
        raise AccessDenied(Action.FILL_SELF_EVALUATION)
    meta = dict(draft.data.get(META) or {})
    department = await authorized_department(
        session, actor, draft.subject_id or 0, Action.FILL_SELF_EVALUATION
    )
    audit.record(
        session,
        action="department_report_written",
        actor_id=actor.person_id,
        object_type=SUBJECT,
        object_id=department.id,
        detail={"year": meta.get("year"), "parts": [k for k in NARRATIVE if answers.get(k)]},
    )
    return {"department": department.name, "department_id": department.id, "year": meta["year"]}


FORM = FormSpec(
    REPORT_FORM,
    entries=tuple(
        FieldSpec(name, Kind.text, partial(parse_text, limit=PART_LIMIT)) for name in NARRATIVE
    ),
    load_context=meta_context,
    submit=_submit,
)


async def start_report_form(
    db: Database, *, actor: Actor, department_id: int, year: int, now: dt.datetime
) -> DraftResult:
    """✍️ 填写报告 pressed: the department's narrative, from the texts last submitted if any."""
    assert actor.person_id is not None
    async with db.sessions() as session:
        department = await authorized_department(
            session, actor, department_id, Action.FILL_SELF_EVALUATION
        )
        written = await narrative(session, department_id, year)
    initial: dict[str, Any] = {META: {"year": year, "department": department.name}}
    if written is not None:
        initial.update({key: text for key, text in written.texts.items() if text})
    return await drafts.start_draft(
        db,
        person_id=actor.person_id,
        form_name=REPORT_FORM,
        now=now,
        subject_type=SUBJECT,
        subject_id=department_id,
        initial=initial,
    )
