"""After the year: self-evaluation and its scored rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models.base import created_at, long_text, money, ref, timestamp
from storage.models.enums import (
    FinanceCheck,
    Grade,
    QualitativeBand,
    ReportStatus,
    ReviewStage,
    values,
)
from storage.types import check_in


class SelfEvaluation(SQLModel, table=True):
    """A project's 项目支出绩效自评表 for a year."""

    __tablename__ = "self_evaluation"
    __table_args__ = (
        UniqueConstraint("project_id"),
        check_in("status", values(ReportStatus), "status"),
        check_in("grade", values(Grade), "grade"),
        check_in("finance_check", values(FinanceCheck), "finance_check"),
        check_in("stage", values(ReviewStage), "stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = ref("project.id", ondelete="CASCADE")
    goal_version_id: int = ref("goal_version.id")
    status: str = Field(default=ReportStatus.draft.value, max_length=16)
    version: int = Field(default=1)
    stage: str | None = Field(default=None, max_length=16)  # where it waits in review
    stage_entered_at: dt.datetime | None = timestamp()
    budget_initial: Decimal | None = money()
    budget_full_year: Decimal | None = money()  # A
    executed: Decimal | None = money()  # B
    execution_reason: str | None = long_text()  # needed when 执行率 < 90 %
    overall_expected: str | None = long_text()
    overall_achieved: str | None = long_text()
    total_score: Decimal | None = money()
    grade: str | None = Field(default=None, max_length=4)
    problems: str | None = long_text()
    measures: str | None = long_text()
    finance_check: str = Field(default=FinanceCheck.none.value, max_length=16)
    submitted_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    submitted_at: dt.datetime | None = timestamp()
    created_at: dt.datetime = created_at()


class EvaluationScore(SQLModel, table=True):
    """One scored row of a self-evaluation (an indicator, or the execution rate when null)."""

    __tablename__ = "evaluation_score"
    __table_args__ = (check_in("band", values(QualitativeBand), "band"),)

    id: int | None = Field(default=None, primary_key=True)
    self_evaluation_id: int = ref("self_evaluation.id", ondelete="CASCADE")
    indicator_id: int | None = ref("indicator.id", required=False)
    actual_value: Decimal | None = money()
    actual_text: str | None = Field(default=None, max_length=200)
    applicable: bool = Field(default=True)
    band: str | None = Field(default=None, max_length=16)  # 定性 band
    weight: Decimal | None = money()
    score: Decimal | None = money()
    deviation_reason: str | None = long_text()
    measures: str | None = long_text()
    rule: str | None = Field(default=None, max_length=16)  # scoring.Rule that gave the score
    not_applicable_reason: str | None = long_text()
