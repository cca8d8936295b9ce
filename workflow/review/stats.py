"""The review machine's figures for /stats: what waits at each stage (every registered kind),
and how long each stage takes to decide (median and 90th percentile, from the timelines)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Project, ReviewDecision, ReviewStage, ReviewStep
from workflow.dashboards.registry import Chart, Column, Measure, View, figure_source
from workflow.dashboards.scope import StatsScope
from workflow.dashboards.sql import percentiles, seconds_between
from workflow.review.kinds import registered

STAGE_ORDER = [stage.value for stage in ReviewStage]
# A decision that ends a stay at a stage; the clock of the stay starts at the step before.
DECIDING = (
    ReviewDecision.approve.value,
    ReviewDecision.return_.value,
    ReviewDecision.expert_agree.value,
    ReviewDecision.expert_agree_with_changes.value,
    ReviewDecision.expert_disagree.value,
)
# Steps that do not move an item: they neither start nor end a stay.
NOT_MOVING = (ReviewDecision.comment.value, ReviewDecision.transfer.value)
SECONDS_PER_DAY = Decimal(86400)


@figure_source("review", order=30)
async def review_figures(session: AsyncSession, scope: StatsScope) -> list[View]:
    """Items waiting per stage and kind; handling time per stage."""
    return [await _waiting(session, scope), await _handling(session, scope)]


async def _waiting(session: AsyncSession, scope: StatsScope) -> View:
    kinds = registered()
    counts: dict[str, dict[str, int]] = {}
    for kind in kinds:
        table = kind.table
        rows = await session.execute(
            select(table.stage, func.count())
            .join(Project, Project.id == table.project_id)
            .where(
                table.status == kind.statuses.waiting,
                table.stage.is_not(None),
                Project.year == scope.year,
                *scope.within(Project.organisation_id),
            )
            .group_by(table.stage)
        )
        for stage, count in rows:
            counts.setdefault(stage, {})[kind.name] = count
    columns = (
        Column("stage", Measure.label),
        *(Column(f"kind.{kind.name}", Measure.count) for kind in kinds),
    )
    lines = tuple(
        (stage, *(counts[stage].get(kind.name, 0) for kind in kinds))
        for stage in sorted(counts, key=_stage_rank)
    )
    return View("review.waiting", Chart.stacked, columns, lines, label_section="stage", order=30)


async def _handling(session: AsyncSession, scope: StatsScope) -> View:
    # One branch per kind (its own join, so the planner knows each table's size); within a
    # branch an item's steps are told apart by id alone.
    stays = union_all(
        *(
            select(
                ReviewStep.stage.label("stage"),
                ReviewStep.decision.label("decision"),
                seconds_between(
                    ReviewStep.created_at,
                    func.lag(ReviewStep.created_at).over(
                        partition_by=ReviewStep.item_id,
                        order_by=(ReviewStep.created_at, ReviewStep.id),
                    ),
                ).label("seconds"),
            )
            .join(kind.table, kind.table.id == ReviewStep.item_id)
            .join(Project, Project.id == kind.table.project_id)
            .where(
                ReviewStep.item_kind == kind.name,
                ReviewStep.decision.not_in(NOT_MOVING),
                Project.year == scope.year,
                *scope.within(Project.organisation_id),
            )
            for kind in registered()
        )
    ).subquery("stays")
    decided = (
        select(stays.c.stage, stays.c.seconds)
        .where(
            stays.c.decision.in_(DECIDING),
            stays.c.stage.is_not(None),
            stays.c.seconds.is_not(None),
        )
        .subquery("decided")
    )
    dialect = session.bind.dialect.name
    rows = await session.execute(
        percentiles(decided, "stage", "seconds", (0.5, 0.9), dialect=dialect)
    )
    lines = tuple(
        (stage, count, _days(median), _days(p90))
        for stage, count, median, p90 in sorted(rows.all(), key=lambda row: _stage_rank(row[0]))
    )
    columns = (
        Column("stage", Measure.label),
        Column("decisions", Measure.count, charted=False),
        Column("median_days", Measure.days),
        Column("p90_days", Measure.days),
    )
    return View(
        "review.handling",
        Chart.bars,
        columns,
        lines,
        label_section="stage",
        order=40,
        summable=False,
    )


def _stage_rank(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


def _days(seconds: float | None) -> Decimal | None:
    """Seconds as days with one decimal (a duration to read, not money)."""
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / SECONDS_PER_DAY).quantize(Decimal("0.1"))
