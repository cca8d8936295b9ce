"""不定期跟踪 from a project's card: the due date and the reason, then the task is opened.

The performance section presses 🔍 on an issued project's card; the press is checked
(who, and whether the project can be tracked now) before the two questions are asked, and
again in the submitting transaction, which opens the task exactly as `/adhoc` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import partial
from typing import Any

from storage.db import Database
from storage.models import FormDraft
from workflow.core.access import AccessDenied, Action, Actor
from workflow.core.clock import local_day
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult
from workflow.forms.parsers import parse_date, parse_text
from workflow.forms.spec import META, Answers, FieldSpec, FormSpec, Kind, Problem, SubmitRefused
from workflow.people.persons import load_actor
from workflow.tracking.opening import AdHoc, AdHocOutcome, ad_hoc_check, open_ad_hoc_in_session

AD_HOC_FORM = "ad_hoc_tracking"
REASON_LIMIT = 500


def not_past(value: dt.date, answers: Answers) -> Problem | None:
    """The due date is today or later (the day the form was opened, in the bureau's zone)."""
    today = dt.date.fromisoformat(str((answers.context or {}).get("today")))
    return Problem("adhoc_past_due") if value < today else None


async def submit_ad_hoc(
    session: Any, *, person_id: int, draft: FormDraft, answers: Answers, now: dt.datetime, **_: Any
) -> AdHoc:
    """Open the task for the project the card showed, once."""
    actor = await load_actor(session, person_id=person_id)
    if actor is None:
        raise AccessDenied(Action.TRACK_AD_HOC)
    result = await open_ad_hoc_in_session(
        session,
        actor=actor,
        project_id=draft.subject_id or 0,
        due_date=answers.get("due_date"),
        reason=answers.get("reason"),
        now=now,
    )
    if result.outcome is not AdHocOutcome.opened:
        outcome = result.outcome.value
        raise SubmitRefused(Problem(f"adhoc_{outcome}", {"project": result.project or ""}))
    return result


async def ad_hoc_context(_session: Any, _person_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    return dict(data.get(META) or {})


FORM = FormSpec(
    AD_HOC_FORM,
    entries=(
        FieldSpec("due_date", Kind.date, parse_date, validators=(not_past,)),
        FieldSpec("reason", Kind.text, partial(parse_text, limit=REASON_LIMIT)),
    ),
    load_context=ad_hoc_context,
    context_reads=(),
    submit=submit_ad_hoc,
)


async def start_ad_hoc(
    db: Database, *, actor: Actor, project_id: int, now: dt.datetime
) -> DraftResult | Problem:
    """🔍 pressed on a card: may this project be tracked now? Then ask due date and reason."""
    check = await ad_hoc_check(db, actor=actor, project_id=project_id, now=now)
    if check.outcome is not AdHocOutcome.opened:
        return Problem(f"adhoc_{check.outcome.value}", {"project": check.project or ""})
    assert actor.person_id is not None
    return await drafts.start_draft(
        db,
        person_id=actor.person_id,
        form_name=AD_HOC_FORM,
        now=now,
        subject_type="project",
        subject_id=project_id,
        initial={META: {"project": check.project, "today": local_day(now).isoformat()}},
    )
