"""Tracking reports on the one review machine: the department head 审定, then finance.

The performance section (绩效管理科) reviews every report (DOMAIN §2.6); a return sends it
back to the department with the reason, and the resubmission re-enters the route.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Indicator, ReportStatus, ReviewStage, TrackingProgress, TrackingReport
from workflow.core.access import Action
from workflow.review.kinds import Item, ReviewKind, Statuses, Templates, plain_description, register
from workflow.review.notices import money_text
from workflow.tracking import lights

TRACKING = "tracking_report"
ROUTE = (ReviewStage.head, ReviewStage.performance)


def _number(value: Decimal | None) -> str:
    """A stored number as typed: no trailing zeros from the column's scale."""
    return format((value or Decimal(0)).normalize(), "f")


async def describe(session: AsyncSession, item: Item) -> dict[str, Any]:
    """What a reviewer reads: the budget block with its light, and each indicator's progress."""
    report: TrackingReport = item.row
    facts = await plain_description(session, item)
    rate = None
    if report.budget_full_year and report.executed_to_date is not None:
        rate = lights.execution_rate(report.budget_full_year, report.executed_to_date)
    rows = await session.execute(
        select(Indicator, TrackingProgress)
        .join(TrackingProgress, TrackingProgress.indicator_id == Indicator.id)
        .where(TrackingProgress.tracking_report_id == report.id)
        .order_by(Indicator.position, Indicator.id)
    )
    indicators = []
    for indicator, progress in rows:
        indicators.append(
            {
                "name": indicator.name,
                "target": indicator.target_text
                or f"{indicator.sign}{_number(indicator.target_value)}{indicator.unit or ''}",
                "actual": progress.actual_text
                or (None if progress.actual_value is None else _number(progress.actual_value)),
                "likelihood": progress.likelihood,
                "causes": progress.deviation_causes,
                "measures": progress.measures,
            }
        )
    return facts | {
        "budget": money_text(report.budget_full_year),
        "executed": money_text(report.executed_to_date),
        "expected": money_text(report.expected_full_year),
        "rate": None if rate is None else f"{rate * 100:.2f}",
        "light": report.light,
        "light_reason": report.light_reason,
        "indicators": indicators,
    }


KIND = register(
    ReviewKind(
        name=TRACKING,
        code="t",
        table=TrackingReport,
        route=lambda item: ROUTE,
        statuses=Statuses(
            waiting=ReportStatus.submitted.value,
            returned=ReportStatus.returned.value,
            approved=ReportStatus.accepted.value,
            submittable=(ReportStatus.draft.value, ReportStatus.returned.value),
        ),
        fix_action=Action.FILL_TRACKING,
        stage_actions={
            ReviewStage.head: Action.REVIEW_HEAD,
            ReviewStage.performance: Action.REVIEW_PERFORMANCE,
        },
        batch_stages=(ReviewStage.performance.value,),
        templates=Templates(card="tracking_review_card", item="tracking_review_view"),
        describe=describe,
        card_actions={ReviewStage.performance.value: (("rectification_suggest", "rq"),)},
    )
)
