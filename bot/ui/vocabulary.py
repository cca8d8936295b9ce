"""The words for stored values (templates/vocabulary.toml), for messages and for code."""

from __future__ import annotations

import tomllib
from enum import StrEnum
from functools import lru_cache

from storage.models import enums
from templates import TEMPLATES

# Each vocabulary section and the enum whose values it names.
SECTIONS: dict[str, type[StrEnum]] = {
    "role": enums.Role,
    "org_kind": enums.OrgKind,
    "project_attribute": enums.ProjectAttribute,
    "project_status": enums.ProjectStatus,
    "goal_status": enums.GoalVersionStatus,
    "goal_kind": enums.GoalVersionKind,
    "stage": enums.ReviewStage,
    "decision": enums.ReviewDecision,
    "report_status": enums.ReportStatus,
    "likelihood": enums.Likelihood,
    "light": enums.BudgetLight,
    "grade": enums.Grade,
    "qualitative_band": enums.QualitativeBand,
    "finance_check": enums.FinanceCheck,
    "problem_type": enums.ProblemType,
    "linkage_recommendation": enums.LinkageRecommendation,
    "linkage_decision": enums.LinkageDecision,
    "rectification_source": enums.RectificationSource,
    "rectification_status": enums.RectificationStatus,
    "fund_action": enums.FundActionKind,
    "deadline_unit": enums.DeadlineUnit,
}
# Enums nobody reads a label of: machine states, or values that are words already.
NOT_SHOWN: frozenset[type[StrEnum]] = frozenset(
    {enums.DraftStatus, enums.OutboxStatus, enums.DayKind, enums.IndicatorSign}
)


class UnknownVocabularyError(LookupError):
    """A message asks for a vocabulary section that templates/vocabulary.toml lacks."""


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, dict[str, str]]:
    """Every section of templates/vocabulary.toml."""
    return tomllib.loads((TEMPLATES / "vocabulary.toml").read_text(encoding="utf-8"))


def labels(section: str) -> dict[str, str]:
    """The labels of one section by stored value."""
    try:
        return vocabulary()[section]
    except KeyError:
        raise UnknownVocabularyError(f"no section {section!r} in vocabulary.toml") from None


def label(value: object, section: str) -> str:
    """The label of a stored value; the value itself when it has none (old data), '' for None."""
    if value is None:
        return ""
    text = str(value.value if isinstance(value, StrEnum) else value)
    return labels(section).get(text, text)


def typed_roles() -> dict[str, str]:
    """Role codes by the words an administrator may type: the labels, the aliases, the codes."""
    words = {word: code for code, word in labels("role").items()}
    words |= labels("role_typed")
    return words | {role.value: role.value for role in enums.Role}


def typed_units() -> dict[str, str]:
    """Deadline unit codes by the words typed in /setrule: the labels, the aliases, the codes."""
    words = {word: code for code, word in labels("deadline_unit").items()}
    words |= labels("deadline_unit_typed")
    return words | {unit.value: unit.value for unit in enums.DeadlineUnit}
