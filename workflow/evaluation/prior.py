"""Last year's result of a continuing project (以前年度绩效评价结果, DOMAIN §2.1-2): what the
declaration form and the goal reviewers see beside this year's goals.

The result is the project's submitted or accepted 自评表 (total and grade; a draft or a
returned one is no result yet) and how many rectification requests are still open on it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    BudgetLinkage,
    FinanceEvaluation,
    Project,
    RectificationRequest,
    RectificationStatus,
    ReportStatus,
    SelfEvaluation,
)
from workflow.evaluation.scoring import shown

RESULT_STATUSES = (ReportStatus.submitted.value, ReportStatus.accepted.value)
# A request is open until finance accepts the rectification or closes it.
OPEN_RECTIFICATION = (
    RectificationStatus.open.value,
    RectificationStatus.replied.value,
    RectificationStatus.reopened.value,
)


async def year_result(session: AsyncSession, project_id: int) -> dict[str, Any] | None:
    """A project's own result: None when it has neither an evaluation nor an open request."""
    project = await session.get(Project, project_id)
    if project is None:
        return None
    evaluation = await session.scalar(
        select(SelfEvaluation).where(
            SelfEvaluation.project_id == project_id,
            SelfEvaluation.status.in_(RESULT_STATUSES),
        )
    )
    open_requests = await session.scalar(
        select(func.count())
        .select_from(RectificationRequest)
        .where(
            RectificationRequest.project_id == project_id,
            RectificationRequest.status.in_(OPEN_RECTIFICATION),
        )
    )
    finance = await session.scalar(
        select(FinanceEvaluation)
        .where(FinanceEvaluation.project_id == project_id)
        .order_by(FinanceEvaluation.id.desc())
        .limit(1)
    )
    linkage = await session.scalar(
        select(BudgetLinkage).where(BudgetLinkage.project_id == project_id)
    )
    if evaluation is None and not open_requests and finance is None:
        return None
    total = evaluation.total_score if evaluation else None
    return {
        "project_id": project_id,
        "project": project.name,
        "year": project.year,
        "status": evaluation.status if evaluation else None,
        "total": total,
        "total_text": None if total is None else str(shown(total)),
        "grade": evaluation.grade if evaluation else None,
        "problems": evaluation.problems if evaluation else None,
        "measures": evaluation.measures if evaluation else None,
        "open_rectifications": int(open_requests or 0),
        # Finance's evaluation, where there was one, is the grade in force (结果运用).
        "finance_total_text": None if finance is None else str(shown(finance.total_score)),
        "finance_grade": finance.grade if finance else None,
        "tags": finance.problem_tags.split(",") if finance and finance.problem_tags else [],
        "linkage": linkage.decision if linkage else None,
        "linkage_amount": None
        if linkage is None or linkage.amount is None
        else str(linkage.amount),
    }


async def prior_result(session: AsyncSession, project_id: int) -> dict[str, Any] | None:
    """Last year's result of a continuing project (its predecessor's); None for a new one."""
    predecessor = await session.scalar(
        select(Project.predecessor_id).where(Project.id == project_id)
    )
    return None if predecessor is None else await year_result(session, predecessor)
