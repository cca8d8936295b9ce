"""Closed vocabularies stored as strings with CHECK constraints (not native enums)."""

from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    department = "department"  # 预算部门
    unit = "unit"  # 所属单位
    business_section = "business_section"  # 财政局业务科室
    performance_section = "performance_section"  # 绩效管理科
    budget_section = "budget_section"  # 预算科


class Role(StrEnum):
    staff = "staff"  # 经办人
    head = "head"  # 负责人
    business = "business"
    performance = "performance"
    expert = "expert"
    budget = "budget"
    admin = "admin"


class ProjectAttribute(StrEnum):
    new = "new"  # 新增
    continuing = "continuing"  # 延续


class ProjectStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    in_review = "in_review"
    returned = "returned"
    approved = "approved"
    issued = "issued"
    no_budget = "no_budget"  # 不予预算安排
    withdrawn = "withdrawn"


class GoalVersionStatus(StrEnum):
    draft = "draft"
    in_review = "in_review"
    returned = "returned"
    approved = "approved"
    issued = "issued"
    superseded = "superseded"
    withdrawn = "withdrawn"
    no_budget = "no_budget"  # still in the chain when the year was issued: 不予预算安排


class GoalVersionKind(StrEnum):
    initial = "initial"
    adjustment = "adjustment"  # 调整


class ReviewStage(StrEnum):
    head = "head"  # 部门主要领导审定
    supervisor = "supervisor"  # 主管部门
    lead = "lead"  # 牵头管理部门
    business = "business"
    performance = "performance"
    expert = "expert"
    budget = "budget"
    issuance = "issuance"


class ReviewDecision(StrEnum):
    submit = "submit"
    approve = "approve"
    return_ = "return"
    withdraw = "withdraw"
    transfer = "transfer"  # handed to a colleague with the same role
    expert_agree = "expert_agree"
    expert_agree_with_changes = "expert_agree_with_changes"
    expert_disagree = "expert_disagree"
    issue = "issue"
    no_budget = "no_budget"  # closed unapproved at issuance: 不予预算安排
    comment = "comment"
    nudge = "nudge"  # 催办: the submitter reminds the waiting reviewers
    add_reviewer = "add_reviewer"  # 加签: one more reviewer asked at the stage
    copy = "copy"  # 抄送: read-only notice to chosen people
    take_over = "take_over"  # the edit of a returned item taken over from a colleague
    cosign = "cosign"  # 会签同意 by a person added at a stage (加签)


class IndicatorSign(StrEnum):
    ge = "≥"
    gt = ">"
    eq = "="
    le = "≤"
    lt = "<"
    qualitative = "定性"


class ReportStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    accepted = "accepted"


class Likelihood(StrEnum):
    certain = "certain"  # 确定能
    possible = "possible"  # 有可能
    impossible = "impossible"  # 完全不可能


class BudgetLight(StrEnum):
    green = "green"
    yellow = "yellow"
    red = "red"


class Grade(StrEnum):
    excellent = "优"
    good = "良"
    average = "中"
    poor = "差"


class QualitativeBand(StrEnum):
    achieved = "achieved"  # 达成 80-100 %
    partly = "partly"  # 部分达成 50-80 %
    not_achieved = "not_achieved"  # 未达成 0-50 %


class ProblemType(StrEnum):
    """The problem types finance tags an evaluated project with (notice 第六部分)."""

    unclear_direction = "unclear_direction"  # 扶持方向不明确
    unfocused = "unfocused"  # 扶持重点不突出
    fragmented = "fragmented"  # 项目过于碎片化
    off_target = "off_target"  # 偏离绩效目标
    diverted = "diverted"  # 随意调剂使用
    unrelated_spending = "unrelated_spending"  # 列支无关经费
    large_balance = "large_balance"  # 项目资金结余较多
    other = "other"  # 其他 (with a text)


class LinkageRecommendation(StrEnum):
    """What a grade suggests for next year's budget (结果运用, notice 第六部分)."""

    priority = "priority"  # 优/良: 优先保障
    adjust = "adjust"  # 中: 适度调整
    cut = "cut"  # 差: 削减或取消


class LinkageDecision(StrEnum):
    """What the budget section decided for the project's next budget."""

    kept = "kept"
    adjusted = "adjusted"
    cut = "cut"
    cancelled = "cancelled"


class FinanceCheck(StrEnum):
    none = "none"
    key_evaluation = "key_evaluation"  # 重点评价
    spot_check = "spot_check"  # 抽查


class RectificationSource(StrEnum):
    tracking = "tracking"
    evaluation = "evaluation"
    spot_check = "spot_check"
    ad_hoc = "ad_hoc"


class RectificationStatus(StrEnum):
    open = "open"
    replied = "replied"
    accepted = "accepted"
    reopened = "reopened"
    closed = "closed"


class FundActionKind(StrEnum):
    suspend = "suspend"  # 暂缓
    stop = "stop"  # 停止
    recover = "recover"  # 收回
    resume = "resume"


class DraftStatus(StrEnum):
    active = "active"
    submitted = "submitted"
    cancelled = "cancelled"


class OutboxStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # gave up after the retry budget
    unreachable = "unreachable"  # Forbidden: the person blocked the bot


class DayKind(StrEnum):
    workday = "workday"
    holiday = "holiday"


class DeadlineUnit(StrEnum):
    calendar_days = "calendar_days"  # N 日内
    working_days = "working_days"  # N 个工作日
    months = "months"  # N 个月内 (民法典 §202: the same day N months on, or the month's end)


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The stored strings of an enum, for CHECK constraints."""
    return tuple(member.value for member in enum)
