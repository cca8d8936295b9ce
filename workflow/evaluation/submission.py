"""A confirmed 自评表 becomes the self-evaluation's records and enters its review route.

In the submitting transaction: the funds and narrative, the total and grade, and one scored
row per indicator plus the 预算执行率 row (replacing those of a returned submission), each
with its weight, its score and the rule that gave it; then `review.enter` (department head
审定 → performance section). A self-evaluation that moved on meanwhile refuses the draft.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EvaluationScore, FormDraft, SelfEvaluation
from workflow.core.access import AccessDenied, Action
from workflow.evaluation import scoring
from workflow.evaluation.form import INDICATORS, indicator_input, scorecard
from workflow.evaluation.review_kind import SELF_EVALUATION
from workflow.evaluation.scoring import ExecutionInput
from workflow.evaluation.start import FILLABLE
from workflow.evaluation.tasks import authorized_evaluation
from workflow.forms.spec import META, ROW_KEY, Answers, FormSpec, Problem, SubmitRefused
from workflow.people.persons import load_actor
from workflow.review import chain as review
from workflow.review import edit_lock


@dataclass(frozen=True, slots=True)
class EvaluationSubmitted:
    """What the submitter is shown: the project, the total and grade, where it waits."""

    evaluation_id: int
    project: str
    total: Decimal
    grade: str
    stage: str | None


async def submit_evaluation(
    session: AsyncSession,
    *,
    person_id: int,
    draft: FormDraft,
    answers: Answers,
    form: FormSpec,
    now: dt.datetime,
) -> EvaluationSubmitted:
    """Write the self-evaluation and its scored rows; refuse when it moved on meanwhile."""
    actor = await load_actor(session, person_id=person_id)
    if actor is None:
        raise AccessDenied(Action.FILL_SELF_EVALUATION)
    meta = dict(draft.data.get(META) or {})
    evaluation = await authorized_evaluation(
        session, actor, draft.subject_id or 0, Action.FILL_SELF_EVALUATION
    )
    if evaluation.status not in FILLABLE or evaluation.version != meta.get("evaluation_version"):
        raise SubmitRefused(Problem("evaluation_moved_on"))
    card = scorecard(answers)
    if card is None:  # the summary's checks passed, so this is a bug, not a person's mistake
        raise SubmitRefused(Problem("evaluation_not_scorable"))
    _write(evaluation, answers, card)
    await session.execute(
        delete(EvaluationScore).where(EvaluationScore.self_evaluation_id == evaluation.id)
    )
    execution = scoring.score_execution(
        ExecutionInput(answers.get("budget_full_year"), answers.get("executed"))
    )
    session.add(
        EvaluationScore(
            self_evaluation_id=evaluation.id,
            indicator_id=None,
            actual_value=answers.get("executed"),
            weight=execution.weight,
            score=execution.shown,  # stored as shown, like every row: what people read
            rule=execution.rule.value,
        )
    )
    for row in form.rows(INDICATORS, draft.data, answers.context):
        session.add(_scored_row(evaluation, row))
    evaluation.submitted_by_id, evaluation.submitted_at = person_id, now
    await session.flush()
    entered = await review.enter(
        session,
        actor=actor,
        kind=SELF_EVALUATION,
        item_id=evaluation.id or 0,
        now=now,
        comment=scoring.submitted_note(card),
    )
    if not entered.ok:  # a colleague holding the edit is named; the draft stays
        raise SubmitRefused(edit_lock.held_problem(entered) or Problem("evaluation_moved_on"))
    return EvaluationSubmitted(
        evaluation_id=evaluation.id or 0,
        project=entered.project_name or "",
        total=card.shown_total,
        grade=card.grade.value,
        stage=entered.next_stage,
    )


def _write(evaluation: SelfEvaluation, answers: Answers, card: scoring.Scorecard) -> None:
    evaluation.budget_full_year = answers.get("budget_full_year")
    evaluation.executed = answers.get("executed")
    evaluation.execution_reason = answers.get("execution_reason")
    evaluation.overall_expected = answers.get("overall_expected")
    evaluation.overall_achieved = answers.get("overall_achieved")
    evaluation.total_score = card.shown_total
    evaluation.grade = card.grade.value
    evaluation.problems = answers.get("problems")
    evaluation.measures = answers.get("measures")


def _scored_row(evaluation: SelfEvaluation, row: Answers) -> EvaluationScore:
    given = indicator_input(row)
    assert given is not None
    result = scoring.score_indicator(given)
    return EvaluationScore(
        self_evaluation_id=evaluation.id,
        indicator_id=int(row.data[ROW_KEY]),
        actual_value=row.get("actual") if given.applicable else None,
        actual_text=row.get("actual_text"),
        applicable=given.applicable,
        band=row.get("band") if given.applicable else None,
        weight=given.weight,
        score=result.score if result.score is None else result.shown,
        rule=result.rule.value,
        deviation_reason=row.get("deviation"),
        not_applicable_reason=row.get("na_reason") if not given.applicable else None,
    )
