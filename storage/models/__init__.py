"""All table models; importing this module registers every table on the metadata."""

from storage.models.base import metadata
from storage.models.enums import *  # noqa: F403
from storage.models.evaluation import EvaluationScore, SelfEvaluation
from storage.models.goals import (
    BudgetYear,
    GoalVersion,
    Indicator,
    Project,
    ProjectCodepartment,
    ScheduleItem,
)
from storage.models.intake import InboxUpdate
from storage.models.org import Invitation, Organisation, OrganisationBase, Person, RoleAssignment
from storage.models.results import (
    BudgetLinkage,
    EvaluationSample,
    EvaluationSelection,
    FinanceEvaluation,
    FinanceScore,
)
from storage.models.review import (
    BatchSelection,
    ExpertAssignment,
    ReviewCosign,
    ReviewEditLock,
    ReviewNudge,
    ReviewSnapshot,
    ReviewStep,
)
from storage.models.system import (
    Attachment,
    AuditEntry,
    CalendarOverride,
    CalendarYear,
    DeadlineRule,
    DeliveryAttempt,
    FormDraft,
    OutboxMessage,
    ReminderLog,
    ReminderProgress,
)
from storage.models.tracking import (
    FundAction,
    RectificationReply,
    RectificationRequest,
    TrackingProgress,
    TrackingReport,
)

__all__ = [
    "Attachment",
    "AuditEntry",
    "BatchSelection",
    "BudgetLinkage",
    "BudgetYear",
    "CalendarOverride",
    "CalendarYear",
    "DeadlineRule",
    "DeliveryAttempt",
    "EvaluationSample",
    "EvaluationScore",
    "EvaluationSelection",
    "ExpertAssignment",
    "FinanceEvaluation",
    "FinanceScore",
    "FormDraft",
    "FundAction",
    "GoalVersion",
    "InboxUpdate",
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
    "ReminderProgress",
    "ReviewCosign",
    "ReviewEditLock",
    "ReviewNudge",
    "ReviewSnapshot",
    "ReviewStep",
    "RoleAssignment",
    "ScheduleItem",
    "SelfEvaluation",
    "TrackingProgress",
    "TrackingReport",
    "metadata",
]
