"""A confirmed tracking draft becomes the report's records and enters its review route.

In the submitting transaction: the report's figures and light, one progress row per
indicator (replacing those of an earlier, returned submission), then
`workflow.review.chain.enter` (department head 审定 → performance section), which writes the
timeline step and the reviewers' cards. A report that moved on meanwhile (a colleague
submitted first, finance took it back) refuses the draft politely instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FormDraft, TrackingProgress, TrackingReport
from workflow.core.access import AccessDenied, Action
from workflow.forms.spec import META, ROW_KEY, Answers, FormSpec, Problem, SubmitRefused
from workflow.people.persons import load_actor
from workflow.review import chain as review
from workflow.review import edit_lock
from workflow.tracking.review_kind import TRACKING
from workflow.tracking.tasks import FILLABLE, authorized_report


@dataclass(frozen=True, slots=True)
class TrackingSubmitted:
    """What the submitter is shown: the project, the lights and where the report waits."""

    report_id: int
    project: str
    rate: Decimal | None
    light: str | None
    red_or_yellow: int  # indicators not on green
    stage: str | None


async def submit_report(
    session: AsyncSession,
    *,
    person_id: int,
    draft: FormDraft,
    answers: Answers,
    form: FormSpec,
    now: dt.datetime,
) -> TrackingSubmitted:
    """Write the report and its progress rows; refuse when it is no longer this draft's."""
    actor = await load_actor(session, person_id=person_id)
    if actor is None:
        raise AccessDenied(Action.FILL_TRACKING)
    meta = dict(draft.data.get(META) or {})
    report = await authorized_report(session, actor, draft.subject_id or 0, Action.FILL_TRACKING)
    if report.status not in FILLABLE or report.version != meta.get("report_version"):
        raise SubmitRefused(Problem("tracking_moved_on"))
    _write_figures(report, answers)
    await session.execute(
        delete(TrackingProgress).where(TrackingProgress.tracking_report_id == report.id)
    )
    not_green = 0
    for row in form.rows(_indicators(form), draft.data, answers.context):
        session.add(_progress(report, row))
        not_green += row.get("light") in ("yellow", "red")
    await session.flush()
    entered = await review.enter(session, actor=actor, kind=TRACKING, item_id=report.id, now=now)
    if not entered.ok:  # a colleague holding the edit is named; the draft stays
        raise SubmitRefused(edit_lock.held_problem(entered) or Problem("tracking_moved_on"))
    project_name = entered.project_name or ""
    return TrackingSubmitted(
        report_id=report.id or 0,
        project=project_name,
        rate=answers.get("rate"),
        light=answers.get("light"),
        red_or_yellow=not_green,
        stage=entered.next_stage,
    )


def _indicators(form: FormSpec):
    return next(entry for entry in form.entries if getattr(entry, "fixed", False))


def _write_figures(report: TrackingReport, answers: Answers) -> None:
    report.budget_full_year = answers.get("budget_full_year")
    report.executed_to_date = answers.get("executed")
    report.expected_full_year = answers.get("expected_full_year")
    report.light = answers.get("light")
    report.light_reason = answers.get("light_reason")


def _progress(report: TrackingReport, row: Answers) -> TrackingProgress:
    causes = row.get("causes") or []
    return TrackingProgress(
        tracking_report_id=report.id,
        indicator_id=int(row.data[ROW_KEY]),
        actual_value=row.get("actual"),
        actual_text=row.get("actual_text"),
        expected_completion=row.get("expected_completion"),
        likelihood=row.get("likelihood"),
        deviation_causes=",".join(causes) or None,
        deviation_explanation=row.get("explanation"),
        measures=row.get("measures"),
    )
