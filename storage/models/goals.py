"""Budget years, projects, goal versions and indicators."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models.base import created_at, long_text, money, ref, timestamp
from storage.models.enums import (
    GoalVersionKind,
    GoalVersionStatus,
    IndicatorSign,
    ProjectAttribute,
    ProjectStatus,
    ReviewStage,
    values,
)
from storage.types import check_in


class BudgetYear(SQLModel, table=True):
    """A budget year and the dates finance configured for it."""

    __tablename__ = "budget_year"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    goal_submission_date: dt.date | None = None  # 一上 date set by finance
    congress_date: dt.date | None = None  # 人代会 approval
    issued_at: dt.datetime | None = timestamp()  # 批复下达
    indicator_tree_version: str = Field(default="2021", max_length=16)
    created_at: dt.datetime = created_at()


class Project(SQLModel, table=True):
    """A project expenditure of one budget year, declared by its implementing organisation."""

    __table_args__ = (
        UniqueConstraint("year", "organisation_id", "name"),
        check_in("attribute", values(ProjectAttribute), "attribute"),
        check_in("status", values(ProjectStatus), "status"),
        # The reminder sweep and the lists pick projects by status and year.
        Index("ix_project_status_year", "status", "year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int = ref("budget_year.year")
    organisation_id: int = ref("organisation.id")  # 实施单位 (department or unit)
    name: str = Field(max_length=200)
    attribute: str = Field(default=ProjectAttribute.new.value, max_length=16)
    is_key: bool = Field(default=False)  # 重点项目
    is_shared: bool = Field(default=False)  # several departments, one lead
    status: str = Field(default=ProjectStatus.draft.value, max_length=16)
    predecessor_id: int | None = ref("project.id", required=False, ondelete="SET NULL")
    created_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    version: int = Field(default=1)  # optimistic concurrency
    created_at: dt.datetime = created_at()
    updated_at: dt.datetime | None = timestamp()


class ProjectCodepartment(SQLModel, table=True):
    """A co-department of a shared project: it may view the project."""

    __tablename__ = "project_codepartment"

    project_id: int = Field(foreign_key="project.id", primary_key=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)


class GoalVersion(SQLModel, table=True):
    """One version of a project's 绩效目标申报表 (the first, or an adjustment)."""

    __tablename__ = "goal_version"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        check_in("status", values(GoalVersionStatus), "status"),
        check_in("kind", values(GoalVersionKind), "kind"),
        check_in("stage", values(ReviewStage), "stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = ref("project.id", ondelete="CASCADE")
    number: int = Field(default=1)
    kind: str = Field(default=GoalVersionKind.initial.value, max_length=16)
    status: str = Field(default=GoalVersionStatus.draft.value, max_length=16)
    stage: str | None = Field(default=None, max_length=16)  # where it waits in the chain
    stage_entered_at: dt.datetime | None = timestamp()
    version: int = Field(default=1)  # bumped on every transition: stale buttons lose
    person_in_charge: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=32)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    funds_total: Decimal | None = money()
    funds_fiscal: Decimal | None = money()  # 财政拨款
    funds_carryover: Decimal | None = money()  # 上年结转
    funds_other: Decimal | None = money()
    annual_amount: Decimal | None = money()  # 年度申请额
    overall_goal: str | None = long_text()
    annual_goal: str | None = long_text()
    basis: str | None = long_text()  # 立项依据
    adjustment_reason: str | None = long_text()
    submitted_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    submitted_at: dt.datetime | None = timestamp()
    issued_at: dt.datetime | None = timestamp()
    created_at: dt.datetime = created_at()
    updated_at: dt.datetime | None = timestamp()


class ScheduleItem(SQLModel, table=True):
    """A row of 实施进度计划."""

    __tablename__ = "schedule_item"

    id: int | None = Field(default=None, primary_key=True)
    goal_version_id: int = ref("goal_version.id", ondelete="CASCADE")
    position: int = 0
    content: str = long_text(required=True)
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class Indicator(SQLModel, table=True):
    """A 三级指标 row of a goal version."""

    __table_args__ = (check_in("sign", values(IndicatorSign), "sign"),)

    id: int | None = Field(default=None, primary_key=True)
    goal_version_id: int = ref("goal_version.id", ondelete="CASCADE")
    position: int = 0
    level1: str = Field(max_length=32)  # 一级: 产出 / 效益 / 满意度 / 成本
    level2: str = Field(max_length=32)  # 二级
    name: str = Field(max_length=200)  # 三级
    sign: str = Field(max_length=8)
    target_value: Decimal | None = money()  # 定量 target (exact decimal)
    target_text: str | None = Field(default=None, max_length=200)  # 定性 grade
    unit: str | None = Field(default=None, max_length=32)
    weight: Decimal | None = money()
    source_indicator_id: int | None = ref("indicator.id", required=False, ondelete="SET NULL")
