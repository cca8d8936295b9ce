"""Finance's summary of a year's evaluations, streamed: one row per issued project with both
scores, the problem types, the linkage recommendation and the decision.

Rows come from one joined query read in batches (`yield_per`), so a province-sized year
(100,000 projects) passes through in flat memory; the department of each organisation is
read from the chart once. The bot writes them to a write-only workbook as they come.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    BudgetLinkage,
    FinanceEvaluation,
    GoalVersion,
    GoalVersionStatus,
    Organisation,
    Project,
    ProjectStatus,
    SelfEvaluation,
)
from workflow.core import access
from workflow.core.access import Action, Actor
from workflow.evaluation.prior import RESULT_STATUSES
from workflow.people.departments import department_in_chart
from workflow.results.linkage import recommend

BATCH = 1000


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """One project of the year in finance's summary."""

    project_id: int
    project: str
    department: str
    organisation: str
    annual: Decimal | None
    self_total: Decimal | None
    self_grade: str | None
    finance_total: Decimal | None
    finance_grade: str | None
    tags: str | None  # comma-separated problem types
    recommendation: str | None
    decision: str | None


async def _department_names(session: AsyncSession) -> dict[int, str]:
    """Every organisation's department name, from the chart read once (not per row)."""
    organisations = list(await session.scalars(select(Organisation)))
    parent_of = {o.id: o.parent_id for o in organisations if o.id is not None}
    kind_of = {o.id: o.kind for o in organisations if o.id is not None}
    names = {o.id: o.name for o in organisations if o.id is not None}
    found = {}
    for organisation_id in names:
        department = department_in_chart(organisation_id, parent_of, kind_of)
        found[organisation_id] = names.get(department, names[organisation_id])
    return found


async def summary_lines(db: Database, *, actor: Actor, year: int) -> AsyncIterator[SummaryLine]:
    """Every issued project of `year`, by organisation, streamed (finance only)."""
    async with db.sessions() as session:
        await access.authorize(
            session, actor, Action.EXPORT_TRACKING_SUMMARY, object_type="evaluation_summary"
        )
        query = (
            select(
                Project.id,
                Project.name,
                Project.organisation_id,
                Organisation.name,
                GoalVersion.annual_amount,
                SelfEvaluation.total_score,
                SelfEvaluation.grade,
                FinanceEvaluation.total_score,
                FinanceEvaluation.grade,
                FinanceEvaluation.problem_tags,
                BudgetLinkage.decision,
            )
            .join(Organisation, Organisation.id == Project.organisation_id)
            .outerjoin(
                GoalVersion,
                and_(
                    GoalVersion.project_id == Project.id,
                    GoalVersion.status == GoalVersionStatus.issued.value,
                ),
            )
            .outerjoin(
                SelfEvaluation,
                and_(
                    SelfEvaluation.project_id == Project.id,
                    SelfEvaluation.status.in_(RESULT_STATUSES),
                ),
            )
            .outerjoin(FinanceEvaluation, FinanceEvaluation.project_id == Project.id)
            .outerjoin(BudgetLinkage, BudgetLinkage.project_id == Project.id)
            .where(Project.year == year, Project.status == ProjectStatus.issued.value)
            .order_by(Organisation.code, Project.id)
            .execution_options(yield_per=BATCH)
        )
        departments = await _department_names(session)
        stream = await session.stream(query)
        async for row in stream:
            pid, name, org_id, org_name, annual, own, own_grade, fin, fin_grade, tags, decided = row
            yield SummaryLine(
                project_id=pid,
                project=name,
                department=departments.get(org_id, org_name),
                organisation=org_name,
                annual=annual,
                self_total=own,
                self_grade=own_grade,
                finance_total=fin,
                finance_grade=fin_grade,
                tags=tags,
                recommendation=recommend(fin_grade or own_grade),
                decision=decided,
            )
