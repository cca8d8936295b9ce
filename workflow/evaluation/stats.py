"""Self-evaluation's and finance's figures for /stats: the grades and the scores' spread."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FinanceEvaluation, Grade, Project, SelfEvaluation
from workflow.dashboards.registry import (
    Chart,
    Column,
    Measure,
    View,
    counts_by_label,
    figure_source,
)
from workflow.dashboards.scope import StatsScope
from workflow.evaluation.prior import RESULT_STATUSES

GRADE_ORDER = [grade.value for grade in Grade]
# Score bands of the histogram (lower bound, key); the grades' bounds are 60, 80 and 90.
BANDS = (
    (Decimal(90), "band_90"),
    (Decimal(80), "band_80"),
    (Decimal(70), "band_70"),
    (Decimal(60), "band_60"),
)
BELOW = "band_0"
BAND_ORDER = [BELOW, *(key for _, key in reversed(BANDS))]


@figure_source("evaluation", order=70)
async def evaluation_figures(session: AsyncSession, scope: StatsScope) -> list[View]:
    """Grades (the department's and finance's) and the self-evaluation scores by band."""
    in_year = (Project.year == scope.year, *scope.within(Project.organisation_id))
    own = dict(
        (
            await session.execute(
                select(SelfEvaluation.grade, func.count())
                .join(Project, Project.id == SelfEvaluation.project_id)
                .where(SelfEvaluation.status.in_(RESULT_STATUSES), *in_year)
                .group_by(SelfEvaluation.grade)
            )
        ).all()
    )
    finance = dict(
        (
            await session.execute(
                select(FinanceEvaluation.grade, func.count())
                .join(Project, Project.id == FinanceEvaluation.project_id)
                .where(FinanceEvaluation.grade.is_not(None), *in_year)
                .group_by(FinanceEvaluation.grade)
            )
        ).all()
    )
    grades = View(
        "evaluation.grades",
        Chart.bars,
        (
            Column("grade", Measure.label),
            Column("self", Measure.count),
            Column("finance", Measure.count),
        ),
        tuple(
            (grade, own.get(grade, 0), finance.get(grade, 0))
            for grade in GRADE_ORDER
            if own.get(grade) or finance.get(grade)
        ),
        label_section="grade",
        order=70,
        summable=False,
    )
    score = SelfEvaluation.total_score
    band = case(*((score >= bound, key) for bound, key in BANDS), else_=BELOW)
    banded = dict(
        (
            await session.execute(
                select(band, func.count())
                .join(Project, Project.id == SelfEvaluation.project_id)
                .where(SelfEvaluation.status.in_(RESULT_STATUSES), score.is_not(None), *in_year)
                .group_by(band)
            )
        ).all()
    )
    histogram = counts_by_label(
        "evaluation.scores",
        label="band",
        counted="projects",
        counts=banded,
        in_order=BAND_ORDER,
        label_section="score_band",
        order=80,
    )
    return [grades, histogram]
