"""All table models; importing this module registers every table on the metadata."""

from storage.models.base import metadata
from storage.models.cycle import (
    EvaluationScore,
    FundAction,
    RectificationReply,
    RectificationRequest,
    SelfEvaluation,
    TrackingProgress,
    TrackingReport,
)
from storage.models.enums import *  # noqa: F403
from storage.models.goals import (
    BatchSelection,
    BudgetYear,
    ExpertAssignment,
    GoalVersion,
    Indicator,
    Project,
    ProjectCodepartment,
    ReviewStep,
    ScheduleItem,
)
from storage.models.org import Invitation, Organisation, OrganisationBase, Person, RoleAssignment
from storage.models.system import (
    AuditEntry,
    CalendarOverride,
    DeadlineRule,
    DeliveryAttempt,
    FormDraft,
    OutboxMessage,
    ReminderLog,
)

__all__ = [
    "AuditEntry",
    "BatchSelection",
    "BudgetYear",
    "CalendarOverride",
    "DeadlineRule",
    "DeliveryAttempt",
    "EvaluationScore",
    "ExpertAssignment",
    "FormDraft",
    "FundAction",
    "GoalVersion",
    "Indicator",
    "Invitation",
    "Organisation",
    "OrganisationBase",
    "OutboxMessage",
    "Person",
    "Project",
    "ProjectCodepartment",
    "RectificationReply",
    "RectificationRequest",
    "ReminderLog",
    "ReviewStep",
    "RoleAssignment",
    "ScheduleItem",
    "SelfEvaluation",
    "TrackingProgress",
    "TrackingReport",
    "metadata",
]
