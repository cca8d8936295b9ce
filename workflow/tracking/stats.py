"""Q3 tracking's figures for /stats: budget execution per department against the time share,
and the budget lights of the year's tracking forms."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BudgetLight, Project, TrackingReport
from workflow.dashboards.registry import (
    Chart,
    Column,
    Measure,
    View,
    counts_by_label,
    figure_source,
)
from workflow.dashboards.scope import StatsScope
from workflow.dashboards.timeliness import rate
from workflow.evaluation.prior import RESULT_STATUSES
from workflow.tracking.lights import Q3_TIME_SHARE

LIGHT_ORDER = [light.value for light in BudgetLight]


@figure_source("tracking", order=50)
async def tracking_figures(session: AsyncSession, scope: StatsScope) -> list[View]:
    """Execution rate per department (worst first) and the lights, from submitted forms."""
    periodic = (
        TrackingReport.ad_hoc.is_(False),
        TrackingReport.status.in_(RESULT_STATUSES),
        Project.year == scope.year,
        *scope.within(Project.organisation_id),
    )
    sums = await session.execute(
        select(
            Project.organisation_id,
            func.count(),
            func.sum(TrackingReport.budget_full_year),
            func.sum(TrackingReport.executed_to_date),
        )
        .join(Project, Project.id == TrackingReport.project_id)
        .where(*periodic)
        .group_by(Project.organisation_id)
    )
    lines = [
        (name, forms, budget, executed, rate(executed, (budget,)))
        for name, forms, budget, executed in scope.fold(sums.all())
    ]
    lines.sort(key=lambda line: (line[4] if line[4] is not None else 2, line[0]))
    execution = View(
        "tracking.execution",
        Chart.rate_vs_share,
        (
            Column("department", Measure.label),
            Column("forms", Measure.count, charted=False),
            Column("budget", Measure.money, charted=False),
            Column("executed", Measure.money, charted=False),
            Column("execution_rate", Measure.rate),
        ),
        tuple(lines),
        order=50,
        reference=Q3_TIME_SHARE,
        ratios={"execution_rate": ("executed", ("budget",))},
    )
    counted = await session.execute(
        select(TrackingReport.light, func.count())
        .join(Project, Project.id == TrackingReport.project_id)
        .where(*periodic, TrackingReport.light.is_not(None))
        .group_by(TrackingReport.light)
    )
    by_light = dict(counted.all())
    lights = counts_by_label(
        "tracking.lights",
        label="light",
        counted="forms",
        counts=by_light,
        in_order=LIGHT_ORDER,
        label_section="light",
        order=60,
    )
    return [execution, lights]
