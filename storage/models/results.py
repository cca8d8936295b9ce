"""Finance's checks after self-evaluation: the spot-check samples and the selected projects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models.base import created_at, long_text, money, ref, timestamp
from storage.models.enums import (
    FinanceCheck,
    Grade,
    LinkageDecision,
    LinkageRecommendation,
    QualitativeBand,
    values,
)
from storage.types import check_in

SELECTION_SOURCES = ("drawn", "added", "key")  # by the sample, by hand, as a key project
STRATA = ("none", "department", "amount")


class EvaluationSample(SQLModel, table=True):
    """A spot-check sample as drawn: its rule, its seed and the population it was drawn from.

    The population is kept as its size and a SHA-256 of its sorted self-evaluation ids, so a
    re-draw later (`perfbot evaluation sample`) shows it ran on the same population.
    """

    __tablename__ = "evaluation_sample"
    __table_args__ = (check_in("stratify", STRATA, "stratify"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    share: Decimal | None = Field(default=None, max_digits=5, decimal_places=4)
    count: int | None = None
    stratify: str = Field(default="none", max_length=16)
    seed: str = Field(max_length=64)
    population: int
    population_hash: str = Field(max_length=64)
    drawn_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    created_at: dt.datetime = created_at()


class EvaluationSelection(SQLModel, table=True):
    """A project finance will evaluate (重点评价) or spot-check (抽查), and why it was chosen."""

    __tablename__ = "evaluation_selection"
    __table_args__ = (
        UniqueConstraint("project_id", "check_kind"),
        check_in("check_kind", values(FinanceCheck), "check_kind"),
        check_in("source", SELECTION_SOURCES, "source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    project_id: int = ref("project.id", ondelete="CASCADE")
    self_evaluation_id: int | None = ref("self_evaluation.id", required=False)
    check_kind: str = Field(max_length=16)
    source: str = Field(max_length=8)
    sample_id: int | None = ref("evaluation_sample.id", required=False)
    reason: str | None = long_text()
    selected_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    created_at: dt.datetime = created_at()


class FinanceEvaluation(SQLModel, table=True):
    """Finance's own scoring of a selected project (重点评价 or 抽查), beside the department's."""

    __tablename__ = "finance_evaluation"
    __table_args__ = (
        UniqueConstraint("selection_id"),
        check_in("grade", values(Grade), "grade"),
    )

    id: int | None = Field(default=None, primary_key=True)
    selection_id: int = ref("evaluation_selection.id", ondelete="CASCADE")
    project_id: int = ref("project.id", ondelete="CASCADE")
    self_evaluation_id: int = ref("self_evaluation.id", ondelete="CASCADE")
    total_score: Decimal | None = money()
    grade: str | None = Field(default=None, max_length=4)
    department_total: Decimal | None = money()  # the self-evaluation's, when finance scored
    problem_tags: str | None = Field(default=None, max_length=400)  # ProblemType, comma-separated
    other_problem: str | None = long_text()
    conclusions: str | None = long_text()
    report_issued_at: dt.datetime | None = timestamp()  # the report sent to the department
    rectification_request_id: int | None = ref("rectification_request.id", required=False)
    evaluated_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    created_at: dt.datetime = created_at()


class FinanceScore(SQLModel, table=True):
    """One row of finance's scoring (an indicator, or the execution rate when null)."""

    __tablename__ = "finance_score"
    __table_args__ = (check_in("band", values(QualitativeBand), "band"),)

    id: int | None = Field(default=None, primary_key=True)
    finance_evaluation_id: int = ref("finance_evaluation.id", ondelete="CASCADE")
    indicator_id: int | None = ref("indicator.id", required=False)
    actual_value: Decimal | None = money()
    applicable: bool = Field(default=True)
    band: str | None = Field(default=None, max_length=16)
    weight: Decimal | None = money()
    score: Decimal | None = money()
    department_score: Decimal | None = money()
    rule: str | None = Field(default=None, max_length=16)


class BudgetLinkage(SQLModel, table=True):
    """The budget section's decision for a project's next budget, from its result (结果运用)."""

    __tablename__ = "budget_linkage"
    __table_args__ = (
        UniqueConstraint("project_id"),
        check_in("recommendation", values(LinkageRecommendation), "recommendation"),
        check_in("decision", values(LinkageDecision), "decision"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = ref("project.id", ondelete="CASCADE")
    recommendation: str | None = Field(default=None, max_length=16)  # when decided
    grade: str | None = Field(default=None, max_length=4)  # the grade in force when decided
    decision: str = Field(max_length=16)
    amount: Decimal | None = money()  # next year's amount when adjusted, 万元
    reason: str = long_text(required=True)
    decided_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    decided_at: dt.datetime = created_at()
