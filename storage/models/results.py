"""Finance's checks after self-evaluation: the spot-check samples and the selected projects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models.base import created_at, long_text, ref
from storage.models.enums import FinanceCheck, values
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
