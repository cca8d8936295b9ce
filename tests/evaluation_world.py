"""Self-evaluated projects for the evaluation document tests, built on the tracking world.

The rows are written directly, as the 自评表 form's submission stores them, and scored with
the real scoring (workflow.evaluation.scoring), so a test compares files with what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from storage.models import EvaluationScore, Indicator, SelfEvaluation
from storage.models.enums import IndicatorSign, QualitativeBand
from tests.review_world import World
from tests.tracking_world import issued_project
from workflow.evaluation import scoring


@dataclass(frozen=True, slots=True)
class Filled:
    """One indicator as the department filled it in (by its 三级指标 name)."""

    weight: str
    actual: str | None = None  # 定量
    text: str | None = None  # 定性: the achieved grade, with band and score
    band: str | None = None
    score: str | None = None
    applicable: bool = True
    reason: str | None = None
    measures: str | None = None


# The three indicators of tests.review_world.make_goal: 培训人次 ≥500, 教学质量提升 定性,
# 参训教师满意度 ≥90 %. The first falls short, with its reason.
DEFAULT_ROWS = {
    "培训人次": Filled("50", actual="450", reason="部分学校停课", measures="下年提前排期"),
    "教学质量提升": Filled("30", text="基本达成", band="partly", score="21"),
    "参训教师满意度": Filled("10", actual="95"),
}


@dataclass(frozen=True, slots=True)
class Evaluated:
    """What `evaluated_project` built."""

    project_id: int
    goal_version_id: int
    evaluation_id: int
    total: Decimal
    grade: str


def stored(value: Decimal) -> Decimal:
    """A money column keeps six places."""
    return value.quantize(Decimal("0.000001"))


def _inputs(indicators: list[Indicator], rows: dict[str, Filled]) -> list[scoring.IndicatorInput]:
    inputs = []
    for indicator in indicators:
        row = rows[indicator.name]
        qualitative = indicator.sign == IndicatorSign.qualitative.value
        inputs.append(
            scoring.IndicatorInput(
                name=indicator.name,
                level1=indicator.level1,
                sign=IndicatorSign(indicator.sign),
                weight=Decimal(row.weight),
                target=None if qualitative else indicator.target_value,
                actual=None if qualitative or row.actual is None else Decimal(row.actual),
                band=QualitativeBand(row.band) if row.band else None,
                score=Decimal(row.score) if row.score else None,
                applicable=row.applicable,
            )
        )
    return inputs


async def evaluated_project(
    world: World,
    *,
    org: str = "EDU",
    staff: str = "edu_staff",
    name: str = "教师培训项目",
    amount: str = "120.5",
    full_year: str = "120.5",
    executed: str = "100",
    status: str = "submitted",
    rows: dict[str, Filled] | None = None,
) -> Evaluated:
    """An issued project with its 自评表 filled in and scored, in the given status."""
    project_id, goal_id = await issued_project(
        world, org=org, staff=staff, name=name, amount=amount
    )
    rows = rows or DEFAULT_ROWS
    async with world.db.transaction() as session:
        indicators = list(
            await session.scalars(
                select(Indicator)
                .where(Indicator.goal_version_id == goal_id)
                .order_by(Indicator.position)
            )
        )
        execution = scoring.ExecutionInput(Decimal(full_year), Decimal(executed))
        card = scoring.score_table(execution, _inputs(indicators, rows))
        evaluation = SelfEvaluation(
            project_id=project_id,
            goal_version_id=goal_id,
            status=status,
            budget_initial=Decimal(amount),
            budget_full_year=Decimal(full_year),
            executed=Decimal(executed),
            execution_reason="年底部分款项未结算",
            overall_expected="完成全市教师轮训",
            overall_achieved="完成轮训 450 人次",
            total_score=stored(card.total),
            grade=card.grade.value,
            problems="培训排期偏晚",
            measures="提前制定培训计划",
        )
        session.add(evaluation)
        await session.flush()
        by_id = {i.id: rows[i.name] for i in indicators}
        for indicator_id, result in zip([None, *by_id], card.rows, strict=True):
            row = by_id.get(indicator_id) or Filled(str(result.weight))  # 预算执行率
            session.add(
                EvaluationScore(
                    self_evaluation_id=evaluation.id,
                    indicator_id=indicator_id,
                    actual_value=Decimal(row.actual) if row.actual else None,
                    actual_text=row.text,
                    applicable=row.applicable,
                    band=row.band,
                    weight=result.weight,
                    score=None if result.score is None else stored(result.score),
                    deviation_reason=row.reason,
                    measures=row.measures,
                )
            )
        return Evaluated(
            project_id, goal_id, evaluation.id or 0, stored(card.total), card.grade.value
        )
