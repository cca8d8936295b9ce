"""Finance's evaluation of a selected project (重点评价 / 抽查) as a form: the department's
自评表 re-scored row by row with the same engine, problem types tagged, conclusions written.

The draft opens with the department's own answers in every row (its funds, actuals, bands
and scores, its weights read-only), so finance changes only where it finds otherwise; each
row shows the department's score beside finance's and the difference, and the summary the
two totals. Submitting keeps finance's rows, total and grade beside the department's
(`finance_evaluation`, `finance_score`). Texts: templates/forms/finance_evaluation.toml.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    EvaluationScore,
    EvaluationSelection,
    FinanceEvaluation,
    FinanceScore,
    FormDraft,
    Indicator,
    IndicatorSign,
    ProblemType,
    Project,
    SelfEvaluation,
)
from workflow.core import access, audit
from workflow.core.access import AccessDenied, Action, Actor
from workflow.evaluation import scoring
from workflow.evaluation.form import (
    INDICATORS,
    execution_rate,
    execution_score,
    grade,
    indicator_input,
    row_score,
    scorecard,
    total,
)
from workflow.evaluation.scoring import ExecutionInput
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult
from workflow.forms.parsers import parse_money, parse_text
from workflow.forms.spec import (
    META,
    ROW_KEY,
    Answers,
    Choice,
    Data,
    FieldSpec,
    FormSpec,
    Kind,
    Problem,
    SubFormSpec,
    SubmitRefused,
    decimal_text,
)
from workflow.people.persons import load_actor
from workflow.tracking.form import not_above_budget, not_negative

FINANCE_FORM = "finance_evaluation"
SUBMITTED = ("submitted", "accepted")
_text = partial(parse_text, limit=2000)


def difference(row: Answers) -> Decimal | None:
    """Finance's score minus the department's (None while either is unknown)."""
    mine, theirs = row_score(row), row.get("department_score")
    return None if mine is None or theirs is None else mine - theirs


def total_difference(answers: Answers) -> Decimal | None:
    mine, theirs = total(answers), answers.get("department_total")
    return None if mine is None or theirs is None else mine - theirs


def other_tagged(answers: Answers) -> bool:
    return ProblemType.other.value in (answers.get("tags") or [])


def _same(name: str) -> FieldSpec:
    """A question of the 自评表's rows, as the department answered it (one definition)."""
    return INDICATORS.field(name)


ROWS = SubFormSpec(
    "indicators",
    fields=(
        *(_same(name) for name in ("level1", "name", "sign", "target", "target_text", "unit")),
        FieldSpec("weight", Kind.number, read_only=True),  # the department's weights stand
        FieldSpec("department_score", Kind.number, read_only=True),
        *(_same(name) for name in ("applicable", "actual", "band", "band_score")),
        *(_same(name) for name in ("result", "score")),
        FieldSpec("difference", Kind.number, compute=difference),
    ),
    fixed_rows=lambda facts: [dict(row) for row in facts.get("indicators", ())],
)


async def finance_context(
    _session: Any, _person_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    return dict(data.get(META) or {})


async def submit_finance_evaluation(
    session: AsyncSession,
    *,
    person_id: int,
    draft: FormDraft,
    answers: Answers,
    now: dt.datetime,
    **_: Any,
) -> FinanceEvaluation:
    """Keep finance's scoring once for the selection the draft was opened for."""
    actor = await load_actor(session, person_id=person_id)
    if actor is None:
        raise AccessDenied(Action.SELECT_FINANCE_CHECK)
    selection = await _authorized_selection(session, actor, draft.subject_id or 0)
    card = scorecard(answers)
    if card is None:
        raise SubmitRefused(Problem("evaluation_not_scorable"))
    done = await session.scalar(
        select(FinanceEvaluation.id).where(FinanceEvaluation.selection_id == selection.id)
    )
    if done is not None:
        raise SubmitRefused(Problem("finance_evaluation_done"))
    meta = dict(draft.data.get(META) or {})
    evaluation = FinanceEvaluation(
        selection_id=selection.id or 0,
        project_id=selection.project_id,
        self_evaluation_id=int(meta["self_evaluation_id"]),
        total_score=card.shown_total,
        grade=card.grade.value,
        department_total=answers.get("department_total"),
        problem_tags=",".join(answers.get("tags") or []) or None,
        other_problem=answers.get("other_problem"),
        conclusions=answers.get("conclusions"),
        evaluated_by_id=person_id,
        created_at=now,
    )
    session.add(evaluation)
    await session.flush()
    execution = scoring.score_execution(
        ExecutionInput(answers.get("budget_full_year"), answers.get("executed"))
    )
    session.add(
        FinanceScore(
            finance_evaluation_id=evaluation.id or 0,
            actual_value=answers.get("executed"),
            weight=execution.weight,
            score=execution.shown,
            department_score=_decimal(meta.get("department_execution_score")),
            rule=execution.rule.value,
        )
    )
    for row in FORM.rows(ROWS, draft.data, answers.context):
        given = indicator_input(row)
        assert given is not None
        result = scoring.score_indicator(given)
        session.add(
            FinanceScore(
                finance_evaluation_id=evaluation.id or 0,
                indicator_id=int(row.data[ROW_KEY]),
                actual_value=row.get("actual") if given.applicable else None,
                applicable=given.applicable,
                band=row.get("band") if given.applicable else None,
                weight=given.weight,
                score=result.shown,
                department_score=row.get("department_score"),
                rule=result.rule.value,
            )
        )
    audit.record(
        session,
        action="finance_evaluation",
        actor_id=person_id,
        object_type="project",
        object_id=selection.project_id,
        detail={"total": str(card.shown_total), "grade": card.grade.value},
    )
    return evaluation


FORM = FormSpec(
    FINANCE_FORM,
    entries=(
        FieldSpec("department_total", Kind.number, read_only=True),
        FieldSpec("budget_full_year", Kind.money, parse_money, validators=(not_negative,)),
        FieldSpec("executed", Kind.money, parse_money, validators=(not_above_budget,)),
        FieldSpec("rate", Kind.percent, compute=execution_rate),
        FieldSpec("execution_score", Kind.number, compute=execution_score),
        ROWS,
        FieldSpec("total", Kind.number, compute=total),
        FieldSpec("grade", Kind.choice, compute=grade),
        FieldSpec("total_difference", Kind.number, compute=total_difference),
        FieldSpec(
            "tags",
            Kind.choices,
            choices=tuple(Choice(kind.value) for kind in ProblemType),
            min_count=0,
        ),
        FieldSpec("other_problem", Kind.text, _text, ask_if=other_tagged),
        FieldSpec("conclusions", Kind.text, _text),
    ),
    load_context=finance_context,
    context_reads=(),
    submit=submit_finance_evaluation,
)


async def _authorized_selection(
    session: AsyncSession, actor: Actor, selection_id: int
) -> EvaluationSelection:
    selection = await session.get(EvaluationSelection, selection_id)
    scope = await access.project_scope(session, selection.project_id if selection else 0)
    await access.authorize(
        session,
        actor,
        Action.SELECT_FINANCE_CHECK,
        scope=scope,
        object_type="evaluation_selection",
        object_id=selection_id,
    )
    if selection is None:
        raise AccessDenied(Action.SELECT_FINANCE_CHECK)
    return selection


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


async def _rows(session: AsyncSession, evaluation: SelfEvaluation) -> tuple[list[Data], Any]:
    """The department's scored rows as the form's fixed rows, and its execution score."""
    scored = list(
        await session.execute(
            select(EvaluationScore, Indicator)
            .outerjoin(Indicator, Indicator.id == EvaluationScore.indicator_id)
            .where(EvaluationScore.self_evaluation_id == evaluation.id)
            .order_by(EvaluationScore.indicator_id.is_not(None), Indicator.position, Indicator.id)
        )
    )
    rows, execution = [], None
    for score, indicator in scored:
        if indicator is None:
            execution = _plain(score.score)
            continue
        qualitative = indicator.sign == IndicatorSign.qualitative.value
        row = {
            ROW_KEY: indicator.id,
            "level1": indicator.level1,
            "name": indicator.name,
            "sign": indicator.sign,
            "target": None if qualitative else _plain(indicator.target_value or Decimal(0)),
            "target_text": indicator.target_text if qualitative else None,
            "unit": indicator.unit,
            "weight": _plain(score.weight),
            "department_score": _plain(score.score),
            "applicable": score.applicable,
            "actual": _plain(score.actual_value),
            "band": score.band,
            "band_score": _plain(score.score) if score.band else None,
        }
        rows.append({key: value for key, value in row.items() if value is not None})
    return rows, execution


async def start_finance_evaluation(
    db: Database, *, actor: Actor, selection_id: int, now: dt.datetime
) -> DraftResult | Problem:
    """🧮 评价 pressed: the department's 自评表 opened for finance to re-score."""
    async with db.transaction() as session:
        selection = await _authorized_selection(session, actor, selection_id)
        evaluation = await session.scalar(
            select(SelfEvaluation).where(SelfEvaluation.project_id == selection.project_id)
        )
        project = await session.get(Project, selection.project_id)
        assert project is not None
        if evaluation is None or evaluation.status not in SUBMITTED:
            return Problem("selection_not_evaluated", {"project": project.name})
        done = await session.scalar(
            select(FinanceEvaluation.id).where(FinanceEvaluation.selection_id == selection_id)
        )
        if done is not None:
            return Problem("finance_evaluation_done", {"project": project.name})
        rows, execution = await _rows(session, evaluation)
        meta = {
            "project": project.name,
            "self_evaluation_id": evaluation.id,
            "check": selection.check_kind,
            "department_execution_score": execution,
            "indicators": rows,
        }
        initial = {
            META: meta,
            "department_total": _plain(evaluation.total_score),
            "budget_full_year": _plain(evaluation.budget_full_year),
            "executed": _plain(evaluation.executed),
        }
    assert actor.person_id is not None
    return await drafts.start_draft(
        db,
        person_id=actor.person_id,
        form_name=FINANCE_FORM,
        now=now,
        subject_type="evaluation_selection",
        subject_id=selection_id,
        initial=initial,
    )
