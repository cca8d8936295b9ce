"""After issuance: Q3 tracking, rectification requests and replies, fund actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Index
from sqlalchemy import text as sql_text
from sqlmodel import JSON, Field, SQLModel, UniqueConstraint

from storage.models.base import created_at, long_text, money, ref, timestamp
from storage.models.enums import (
    BudgetLight,
    FundActionKind,
    Likelihood,
    RectificationSource,
    RectificationStatus,
    ReportStatus,
    ReviewStage,
    values,
)
from storage.types import check_in


class TrackingReport(SQLModel, table=True):
    """A project's 绩效跟踪表 (after Q3, or ad hoc)."""

    __tablename__ = "tracking_report"
    __table_args__ = (
        check_in("status", values(ReportStatus), "status"),
        check_in("light", values(BudgetLight), "light"),
        # One periodic task per project and period: opening twice creates nothing twice.
        Index(
            "uq_tracking_report_periodic",
            "project_id",
            "period_end",
            unique=True,
            sqlite_where=sql_text("ad_hoc = 0"),
            postgresql_where=sql_text("ad_hoc = false"),
        ),
        check_in("stage", values(ReviewStage), "stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = ref("project.id", ondelete="CASCADE")
    goal_version_id: int = ref("goal_version.id")  # the issued version tracked against
    period_end: dt.date  # e.g. 09-30 for the Q3 tracking
    ad_hoc: bool = Field(default=False)
    due_date: dt.date | None = None  # an ad-hoc tracking's own due date (periodic: by rule)
    reason: str | None = long_text()  # why finance tracks it ad hoc
    status: str = Field(default=ReportStatus.draft.value, max_length=16)
    version: int = Field(default=1)
    stage: str | None = Field(default=None, max_length=16)  # where it waits in review
    stage_entered_at: dt.datetime | None = timestamp()
    budget_initial: Decimal | None = money()  # 年初预算数
    budget_full_year: Decimal | None = money()  # 全年预算数 A
    executed_to_date: Decimal | None = money()  # 1-9 月执行数 B
    expected_full_year: Decimal | None = money()  # 全年预计执行数
    light: str | None = Field(default=None, max_length=8)
    light_reason: str | None = long_text()
    submitted_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    submitted_at: dt.datetime | None = timestamp()
    reviewed_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    reviewed_at: dt.datetime | None = timestamp()
    review_comment: str | None = long_text()
    created_at: dt.datetime = created_at()


class TrackingProgress(SQLModel, table=True):
    """Progress of one indicator in a tracking report."""

    __tablename__ = "tracking_progress"
    __table_args__ = (
        UniqueConstraint("tracking_report_id", "indicator_id"),
        check_in("likelihood", values(Likelihood), "likelihood"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tracking_report_id: int = ref("tracking_report.id", ondelete="CASCADE")
    indicator_id: int = ref("indicator.id")
    actual_value: Decimal | None = money()
    actual_text: str | None = Field(default=None, max_length=200)
    expected_completion: str | None = long_text()  # 全年预计完成情况
    likelihood: str | None = Field(default=None, max_length=16)
    deviation_causes: str | None = Field(default=None, max_length=200)  # comma-separated
    deviation_explanation: str | None = long_text()
    measures: str | None = long_text()  # 改进措施


class RectificationRequest(SQLModel, table=True):
    """A rectification request finance sent to a department (整改意见)."""

    __tablename__ = "rectification_request"
    __table_args__ = (
        check_in("source", values(RectificationSource), "source"),
        check_in("status", values(RectificationStatus), "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = ref("project.id", ondelete="CASCADE")
    source: str = Field(max_length=16)
    tracking_report_id: int | None = ref("tracking_report.id", required=False)
    self_evaluation_id: int | None = ref("self_evaluation.id", required=False)
    problem_types: str | None = Field(default=None, max_length=400)  # comma-separated tags
    content: str = long_text(required=True)
    # What the performance section proposed the budget section do with the funds (if any).
    proposed_fund_action: str | None = Field(default=None, max_length=16)
    status: str = Field(default=RectificationStatus.open.value, max_length=16)
    version: int = Field(default=1)
    issued_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    issued_at: dt.datetime = created_at()
    due_date: dt.date | None = None
    due_provisional: bool = Field(default=False)  # counted without an official calendar
    closed_at: dt.datetime | None = timestamp()


class RectificationReply(SQLModel, table=True):
    """A department's written answer to a rectification request."""

    __tablename__ = "rectification_reply"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = ref("rectification_request.id", ondelete="CASCADE")
    author_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    content: str = long_text(required=True)
    created_at: dt.datetime = created_at()
    accepted: bool | None = None
    finance_comment: str | None = long_text()
    # A rectification plan's rows (problem, measures, responsible, completion date), when the
    # request came from an evaluation or spot-check report.
    plan: list | None = Field(default=None, sa_type=JSON)


class FundAction(SQLModel, table=True):
    """Finance suspends, stops, recovers or resumes a project's funds."""

    __tablename__ = "fund_action"
    __table_args__ = (check_in("action", values(FundActionKind), "action"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = ref("project.id", ondelete="CASCADE")
    action: str = Field(max_length=16)
    amount: Decimal | None = money()
    reason: str = long_text(required=True)
    rectification_request_id: int | None = ref("rectification_request.id", required=False)
    decided_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    created_at: dt.datetime = created_at()
