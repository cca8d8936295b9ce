"""What one project's 项目支出绩效自评表 holds (财预〔2020〕10号 附件), as plain data.

The rows come from the stored self-evaluation (`SelfEvaluation`, `EvaluationScore`) and the
goal version it evaluates; nothing is scored here. Decimal stays exact: bot/documents/
lays it out as .docx and rounds only for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import EvaluationScore, Indicator, Organisation, Project, SelfEvaluation
from workflow.core.access import Actor
from workflow.evaluation.scoring import EXECUTION_WEIGHT
from workflow.evaluation.tasks import authorized_evaluation
from workflow.people.departments import department_name
from workflow.review.notices import indicators_of
from workflow.tracking.documents import execution_rate, target_text


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """One indicator's line on the 自评表; None where nothing was stored yet."""

    level1: str
    level2: str
    name: str
    target: str
    actual: str | None = None
    weight: Decimal | None = None
    score: Decimal | None = None
    applicable: bool = True
    band: str | None = None  # 定性 band, as stored
    deviation_reason: str | None = None
    measures: str | None = None

    @property
    def met(self) -> bool:
        """Full marks: a row scored below its weight is a target not met."""
        return self.score is None or self.weight is None or self.score >= self.weight


@dataclass(frozen=True, slots=True)
class EvaluationSheet:
    """Everything on one project's 自评表."""

    evaluation_id: int
    project_id: int
    year: int
    project: str
    organisation: str
    department: str
    status: str
    budget_initial: Decimal | None
    budget_full_year: Decimal | None
    executed: Decimal | None
    execution_weight: Decimal
    execution_score: Decimal | None
    execution_reason: str | None
    overall_expected: str | None
    overall_achieved: str | None
    total: Decimal | None
    grade: str | None
    problems: str | None
    measures: str | None
    lines: tuple[ScoreLine, ...] = field(default_factory=tuple)

    @property
    def rate(self) -> Decimal | None:
        return execution_rate(self.budget_full_year, self.executed)


def actual_text(score: EvaluationScore, unit: str | None) -> str | None:
    """实际完成值 as written: the number with the indicator's unit, or the text."""
    if score.actual_value is not None:
        return format(score.actual_value.normalize(), "f") + (unit or "")
    return score.actual_text


def score_line(indicator: Indicator, score: EvaluationScore | None) -> ScoreLine:
    """An indicator with what its self-evaluation row says (weight falls back to the goal's)."""
    target = target_text(
        indicator.sign, indicator.target_value, indicator.target_text, indicator.unit
    )
    if score is None:
        return ScoreLine(
            indicator.level1, indicator.level2, indicator.name, target, weight=indicator.weight
        )
    return ScoreLine(
        indicator.level1,
        indicator.level2,
        indicator.name,
        target,
        actual=actual_text(score, indicator.unit),
        weight=score.weight if score.weight is not None else indicator.weight,
        score=score.score,
        applicable=score.applicable,
        band=score.band,
        deviation_reason=score.deviation_reason,
        measures=score.measures,
    )


async def scores_of(session: AsyncSession, evaluation_id: int) -> list[EvaluationScore]:
    """The stored rows of a self-evaluation, the 预算执行率 row (no indicator) among them."""
    return list(
        await session.scalars(
            select(EvaluationScore)
            .where(EvaluationScore.self_evaluation_id == evaluation_id)
            .order_by(EvaluationScore.id)
        )
    )


async def score_lines(
    session: AsyncSession, evaluation: SelfEvaluation
) -> tuple[EvaluationScore | None, tuple[ScoreLine, ...]]:
    """The 预算执行率 row, and one line per indicator of the evaluated goal version."""
    scores = await scores_of(session, evaluation.id or 0)
    execution = next((s for s in scores if s.indicator_id is None), None)
    by_indicator = {s.indicator_id: s for s in scores if s.indicator_id is not None}
    indicators = await indicators_of(session, evaluation.goal_version_id)
    return execution, tuple(score_line(i, by_indicator.get(i.id)) for i in indicators)


async def sheet_of(session: AsyncSession, evaluation: SelfEvaluation) -> EvaluationSheet:
    """The 自评表 of a self-evaluation already authorized."""
    project = await session.get(Project, evaluation.project_id)
    assert project is not None
    organisation = await session.get(Organisation, project.organisation_id)
    assert organisation is not None
    execution, lines = await score_lines(session, evaluation)
    weight = execution.weight if execution and execution.weight is not None else None
    return EvaluationSheet(
        evaluation_id=evaluation.id or 0,
        project_id=project.id or 0,
        year=project.year,
        project=project.name,
        organisation=organisation.name,
        department=await department_name(session, organisation),
        status=evaluation.status,
        budget_initial=evaluation.budget_initial,
        budget_full_year=evaluation.budget_full_year,
        executed=evaluation.executed,
        execution_weight=weight if weight is not None else EXECUTION_WEIGHT,
        execution_score=execution.score if execution else None,
        execution_reason=evaluation.execution_reason,
        overall_expected=evaluation.overall_expected,
        overall_achieved=evaluation.overall_achieved,
        total=evaluation.total_score,
        grade=evaluation.grade,
        problems=evaluation.problems,
        measures=evaluation.measures,
        lines=lines,
    )


async def evaluation_sheet(db: Database, *, actor: Actor, evaluation_id: int) -> EvaluationSheet:
    """One project's 自评表 (AccessDenied when the actor may not view the project's)."""
    async with db.sessions() as session:
        evaluation = await authorized_evaluation(session, actor, evaluation_id)
        return await sheet_of(session, evaluation)
