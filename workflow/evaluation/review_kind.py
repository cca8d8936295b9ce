"""Self-evaluations on the one review machine: the department head 审定, then finance.

The performance section (绩效管理科) receives every department's self-evaluations (DOMAIN
§2.7) and may return one with a reason; as for every kind, the resubmission goes through the
whole route again (`review.chain.reenter_at`), the head first, each card showing the changes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EvaluationScore, Indicator, ReportStatus, ReviewStage, SelfEvaluation
from workflow.core.access import Action
from workflow.review.kinds import Item, ReviewKind, Statuses, Templates, plain_description, register
from workflow.review.notices import money_text

SELF_EVALUATION = "self_evaluation"
ROUTE = (ReviewStage.head, ReviewStage.performance)


async def describe(session: AsyncSession, item: Item) -> dict[str, Any]:
    """What a reviewer reads: funds, total and grade, and each row's weight and score."""
    evaluation: SelfEvaluation = item.row
    facts = await plain_description(session, item)
    rows = await session.execute(
        select(EvaluationScore, Indicator)
        .outerjoin(Indicator, Indicator.id == EvaluationScore.indicator_id)
        .where(EvaluationScore.self_evaluation_id == evaluation.id)
        .order_by(EvaluationScore.indicator_id.is_not(None), Indicator.position, Indicator.id)
    )
    scored = [
        {
            "name": indicator.name if indicator else None,  # None: the 预算执行率 row
            "weight": money_text(score.weight),
            "score": money_text(score.score),
            "applicable": score.applicable,
            "rule": score.rule,
            "deviation": score.deviation_reason,
        }
        for score, indicator in rows
    ]
    return facts | {
        "budget": money_text(evaluation.budget_full_year),
        "executed": money_text(evaluation.executed),
        "total": money_text(evaluation.total_score),
        "grade": evaluation.grade,
        "rows": scored,
        "problems": evaluation.problems,
    }


KIND = register(
    ReviewKind(
        name=SELF_EVALUATION,
        code="e",
        table=SelfEvaluation,
        route=lambda item: ROUTE,
        statuses=Statuses(
            waiting=ReportStatus.submitted.value,
            returned=ReportStatus.returned.value,
            approved=ReportStatus.accepted.value,
            submittable=(ReportStatus.draft.value, ReportStatus.returned.value),
        ),
        fix_action=Action.FILL_SELF_EVALUATION,
        stage_actions={
            ReviewStage.head: Action.REVIEW_HEAD,
            ReviewStage.performance: Action.REVIEW_PERFORMANCE,
        },
        batch_stages=(ReviewStage.performance.value,),
        templates=Templates(card="evaluation_review_card", item="evaluation_review_view"),
        describe=describe,
    )
)
