"""填报自评表 pressed: who may fill which self-evaluation, and what its draft starts from.

The rows come from the issued goal version in force when the task was opened, each with the
weight declared, else proposed (产出 50 / 效益 30 / 满意度 10, split evenly); a returned
self-evaluation opens with its previous answers, so the correction retypes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    EvaluationScore,
    GoalVersion,
    Indicator,
    IndicatorSign,
    Project,
    ReportStatus,
    SelfEvaluation,
)
from workflow.core.access import Action, Actor
from workflow.evaluation.form import SELF_EVALUATION_FORM
from workflow.evaluation.review_kind import SELF_EVALUATION
from workflow.evaluation.tasks import authorized_evaluation
from workflow.evaluation.weights import propose_weights
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult
from workflow.forms.spec import META, ROW_KEY, Data, Problem, decimal_text
from workflow.review import edit_lock
from workflow.review.edit_lock import Taken

FILLABLE = (ReportStatus.draft.value, ReportStatus.returned.value)


@dataclass(frozen=True, slots=True)
class EvaluationStart:
    """The facts a 自评表 draft (or its template) opens with."""

    evaluation_id: int
    project: str
    year: int
    initial: Data


def _text(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _row(indicator: Indicator, weight: Decimal) -> Data:
    qualitative = indicator.sign == IndicatorSign.qualitative.value
    return {
        ROW_KEY: indicator.id,
        "level1": indicator.level1,
        "level2": indicator.level2,
        "name": indicator.name,
        "sign": indicator.sign,
        "target": None if qualitative else _text(indicator.target_value or Decimal(0)),
        "target_text": indicator.target_text if qualitative else None,
        "unit": indicator.unit,
        "weight": _text(weight),
        "applicable": True,
    }


async def _previous(
    session: AsyncSession, evaluation: SelfEvaluation, rows: list[Data]
) -> dict[str, Any]:
    """A returned self-evaluation's answers laid over the fresh rows."""
    if evaluation.status != ReportStatus.returned.value:
        return {}
    scores = {
        score.indicator_id: score
        for score in await session.scalars(
            select(EvaluationScore).where(EvaluationScore.self_evaluation_id == evaluation.id)
        )
    }
    for row in rows:
        given = scores.get(row[ROW_KEY])
        if given is None:
            continue
        row |= {
            "weight": _text(given.weight),
            "applicable": given.applicable,
            "na_reason": given.not_applicable_reason,
            "actual": _text(given.actual_value),
            "actual_text": given.actual_text,
            "band": given.band,
            "band_score": _text(given.score) if given.band else None,
            "deviation": given.deviation_reason,
        }
        for key in [key for key, value in row.items() if value is None and key != "target"]:
            row.pop(key)
    return {
        "budget_full_year": _text(evaluation.budget_full_year),
        "executed": _text(evaluation.executed),
        "execution_reason": evaluation.execution_reason,
        "overall_achieved": evaluation.overall_achieved,
        "problems": evaluation.problems,
        "measures": evaluation.measures,
    }


async def evaluation_start(
    session: AsyncSession, *, actor: Actor, evaluation_id: int
) -> EvaluationStart | Problem:
    """May the actor fill this self-evaluation now, and with what does it open?"""
    evaluation = await authorized_evaluation(
        session, actor, evaluation_id, Action.FILL_SELF_EVALUATION
    )
    if evaluation.status not in FILLABLE:
        # Not "status": that parameter is read as a project's status, and 审核通过 is not one.
        return Problem("evaluation_not_fillable", {"report_status": evaluation.status})
    project = await session.get(Project, evaluation.project_id)
    version = await session.get(GoalVersion, evaluation.goal_version_id)
    assert project is not None and version is not None
    indicators = list(
        await session.scalars(
            select(Indicator)
            .where(Indicator.goal_version_id == version.id)
            .order_by(Indicator.position, Indicator.id)
        )
    )
    weights = propose_weights([(i.level1, i.weight) for i in indicators])
    rows = [_row(indicator, weight) for indicator, weight in zip(indicators, weights, strict=True)]
    previous = await _previous(session, evaluation, rows)
    initial = {
        **{key: value for key, value in previous.items() if value is not None},
        META: {
            "evaluation_id": evaluation_id,
            "evaluation_version": evaluation.version,
            "project": project.name,
            "year": project.year,
            "indicators": rows,
        },
        "budget_initial": _text(evaluation.budget_initial),
        "overall_expected": version.annual_goal or version.overall_goal,
    }
    return EvaluationStart(evaluation_id, project.name, project.year, initial)


async def start_evaluation_form(
    db: Database,
    *,
    actor: Actor,
    evaluation_id: int,
    now: dt.datetime,
    take_over: bool = False,
) -> DraftResult | Problem | Taken:
    """填报 pressed: check who and which, take the edit of a returned one (or say who holds
    it), then open the 自评表 at its first question."""
    async with db.transaction() as session:
        start = await evaluation_start(session, actor=actor, evaluation_id=evaluation_id)
    if isinstance(start, Problem):
        return start
    taken = await edit_lock.take_returned(
        db, actor=actor, kind=SELF_EVALUATION, item_id=evaluation_id, now=now, take_over=take_over
    )
    if taken.held is not None:
        return taken
    assert actor.person_id is not None
    return await drafts.start_draft(
        db,
        person_id=actor.person_id,
        form_name=SELF_EVALUATION_FORM,
        now=now,
        subject_type="self_evaluation",
        subject_id=evaluation_id,
        initial=start.initial,
    )
