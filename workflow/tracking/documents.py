"""What the tracking files hold: one project's 绩效跟踪表, and finance's summary of a year.

Plain data only (Decimal stays exact); bot/documents/ lays it out as .docx and .xlsx.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    Organisation,
    Project,
    ProjectStatus,
    RectificationRequest,
    TrackingProgress,
    TrackingReport,
)
from workflow.core import access
from workflow.core.access import AccessDenied, Action, Actor
from workflow.people.departments import department_name
from workflow.review.notices import indicators_of
from workflow.tracking.funds import latest_fund_actions
from workflow.tracking.tasks import authorized_report

# Worst first: what a summary shows for a project is its least likely indicator.
LIKELIHOOD_RANK = {"impossible": 0, "possible": 1, "certain": 2}
LIGHT_RANK = {"red": 0, "yellow": 1, "green": 2}
HUNDRED = Decimal(100)


def execution_rate(full_year: Decimal | None, executed: Decimal | None) -> Decimal | None:
    """执行率 = B / A in percent, to two places; None until both are known and A > 0."""
    if full_year is None or executed is None or full_year <= 0:
        return None
    return (executed * HUNDRED / full_year).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class IndicatorProgress:
    """One indicator's line on the 跟踪表; None where the department has not filled it yet."""

    level1: str
    level2: str
    name: str
    target: str
    actual: str | None = None
    expected_completion: str | None = None
    likelihood: str | None = None
    deviation: str | None = None
    measures: str | None = None


@dataclass(frozen=True, slots=True)
class TrackingSheet:
    """Everything on one project's 绩效跟踪表."""

    report_id: int
    year: int
    project: str
    organisation: str
    department: str
    period_end: dt.date
    budget_initial: Decimal | None
    budget_full_year: Decimal | None
    executed_to_date: Decimal | None
    expected_full_year: Decimal | None
    light: str | None  # as stored (workflow/tracking/lights.py computes it once it lands)
    indicators: tuple[IndicatorProgress, ...] = field(default_factory=tuple)

    @property
    def rate(self) -> Decimal | None:
        return execution_rate(self.budget_full_year, self.executed_to_date)


def target_text(sign: str, value: Decimal | None, text: str | None, unit: str | None) -> str:
    """年度指标值 as written: ≥500人次, or the grade of a 定性 indicator."""
    if value is not None:
        shown = format(value.normalize(), "f")
        return f"{'' if sign == '定性' else sign}{shown}{unit or ''}"
    return text or ""


def _deviation(progress: TrackingProgress) -> str | None:
    parts = [p for p in (progress.deviation_causes, progress.deviation_explanation) if p]
    return "；".join(parts) or None


async def _progress(session: AsyncSession, report: TrackingReport) -> tuple[IndicatorProgress, ...]:
    filled = {
        p.indicator_id: p
        for p in await session.scalars(
            select(TrackingProgress).where(TrackingProgress.tracking_report_id == report.id)
        )
    }
    lines = []
    for indicator in await indicators_of(session, report.goal_version_id):
        progress = filled.get(indicator.id or 0)
        target = target_text(
            indicator.sign, indicator.target_value, indicator.target_text, indicator.unit
        )
        if progress is None:
            lines.append(
                IndicatorProgress(indicator.level1, indicator.level2, indicator.name, target)
            )
            continue
        actual = progress.actual_text
        if progress.actual_value is not None:
            actual = format(progress.actual_value.normalize(), "f") + (indicator.unit or "")
        lines.append(
            IndicatorProgress(
                indicator.level1,
                indicator.level2,
                indicator.name,
                target,
                actual=actual,
                expected_completion=progress.expected_completion,
                likelihood=progress.likelihood,
                deviation=_deviation(progress),
                measures=progress.measures,
            )
        )
    return tuple(lines)


async def tracking_sheet(db: Database, *, actor: Actor, report_id: int) -> TrackingSheet:
    """One report's 跟踪表 (AccessDenied when not the actor's to see)."""
    async with db.sessions() as session:
        report = await authorized_report(session, actor, report_id)
        project = await session.get(Project, report.project_id)
        assert project is not None
        organisation = await session.get(Organisation, project.organisation_id)
        assert organisation is not None
        return TrackingSheet(
            report_id=report_id,
            year=project.year,
            project=project.name,
            organisation=organisation.name,
            department=await department_name(session, organisation),
            period_end=report.period_end,
            budget_initial=report.budget_initial,
            budget_full_year=report.budget_full_year,
            executed_to_date=report.executed_to_date,
            expected_full_year=report.expected_full_year,
            light=report.light,
            indicators=await _progress(session, report),
        )


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One project of the year in finance's tracking summary."""

    project: str
    department: str
    organisation: str
    status: str | None  # of its periodic report; None when no task was opened
    rate: Decimal | None
    light: str | None
    worst_likelihood: str | None
    rectification: str | None
    fund_action: str | None
    fund_amount: str | None


async def summary_rows(db: Database, *, actor: Actor, year: int) -> list[SummaryRow]:
    """Every issued project of `year` in the actor's scope, red first."""
    async with db.sessions() as session:
        if not access.may_ever(actor, Action.EXPORT_TRACKING_SUMMARY):
            await access.authorize(session, actor, Action.EXPORT_TRACKING_SUMMARY)
        allowed = await access.organisations_where(session, actor, Action.EXPORT_TRACKING_SUMMARY)
        if not allowed:
            raise AccessDenied(Action.EXPORT_TRACKING_SUMMARY)
        rows = await session.execute(
            select(Project, Organisation)
            .join(Organisation, Organisation.id == Project.organisation_id)
            .where(
                Project.year == year,
                Project.status == ProjectStatus.issued.value,
                Project.organisation_id.in_(allowed),
            )
            .order_by(Organisation.code, Project.name)
        )
        projects = [(p, o) for p, o in rows]
        ids = [p.id or 0 for p, _ in projects]
        reports = await _periodic_reports(session, ids)
        worst = await _worst_likelihoods(session, [r.id or 0 for r in reports.values()])
        rectifications = await _rectifications(session, ids)
        funds = await latest_fund_actions(session, ids)
        found = []
        for project, organisation in projects:
            report = reports.get(project.id or 0)
            fund = funds.get(project.id or 0)
            found.append(
                SummaryRow(
                    project=project.name,
                    department=await department_name(session, organisation),
                    organisation=organisation.name,
                    status=report.status if report else None,
                    rate=execution_rate(report.budget_full_year, report.executed_to_date)
                    if report
                    else None,
                    light=report.light if report else None,
                    worst_likelihood=worst.get(report.id or 0) if report else None,
                    rectification=rectifications.get(project.id or 0),
                    fund_action=fund["kind"] if fund else None,
                    fund_amount=fund["amount"] if fund else None,
                )
            )
        return sorted(found, key=lambda row: LIGHT_RANK.get(row.light or "", 3))


async def _periodic_reports(session: AsyncSession, ids: list[int]) -> dict[int, TrackingReport]:
    found: dict[int, TrackingReport] = {}
    for report in await session.scalars(
        select(TrackingReport)
        .where(TrackingReport.project_id.in_(ids), TrackingReport.ad_hoc.is_(False))
        .order_by(TrackingReport.period_end, TrackingReport.id)
    ):
        found[report.project_id] = report
    return found


async def _worst_likelihoods(session: AsyncSession, report_ids: list[int]) -> dict[int, str]:
    worst: dict[int, str] = {}
    for report_id, likelihood in await session.execute(
        select(TrackingProgress.tracking_report_id, TrackingProgress.likelihood).where(
            TrackingProgress.tracking_report_id.in_(report_ids),
            TrackingProgress.likelihood.is_not(None),
        )
    ):
        held = worst.get(report_id)
        if held is None or LIKELIHOOD_RANK[likelihood] < LIKELIHOOD_RANK[held]:
            worst[report_id] = likelihood
    return worst


async def _rectifications(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for request in await session.scalars(
        select(RectificationRequest)
        .where(RectificationRequest.project_id.in_(ids))
        .order_by(RectificationRequest.id)
    ):
        found[request.project_id] = request.status
    return found
