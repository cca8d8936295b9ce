"""The review timeline, expert assignments and batch ticks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import JSON, Field, SQLModel, UniqueConstraint

from storage.models.base import created_at, long_text, ref
from storage.models.enums import (
    ReviewDecision,
    ReviewStage,
    values,
)
from storage.types import UTCDateTime, check_in


class ReviewStep(SQLModel, table=True):
    """One entry of an item's append-only timeline: who did what, when, with which comment."""

    __tablename__ = "review_step"
    __table_args__ = (
        check_in("decision", values(ReviewDecision), "decision"),
        check_in("stage", values(ReviewStage), "stage"),
        Index("ix_review_step_item", "item_kind", "item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_kind: str = Field(max_length=32)  # a registered review kind (workflow.review.kinds)
    item_id: int  # the row of that kind's table; no foreign key, as it names several tables
    stage: str | None = Field(default=None, max_length=16)
    decision: str = Field(max_length=32)
    actor_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    role: str | None = Field(default=None, max_length=32)
    organisation_id: int | None = ref("organisation.id", required=False)
    comment: str | None = long_text()
    created_at: dt.datetime = created_at()


class ExpertAssignment(SQLModel, table=True):
    """An expert the performance section invited to review a key project (专家评审).

    Per project, not per version: the experts who reviewed a key project also see its
    resubmissions and adjustments, and the performance section may invite more.
    """

    __tablename__ = "expert_assignment"
    __table_args__ = (UniqueConstraint("project_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = ref("project.id", ondelete="CASCADE")
    person_id: int = ref("person.id", ondelete="CASCADE")
    invited_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    invited_at: dt.datetime = created_at()


class BatchSelection(SQLModel, table=True):
    """An item ticked on a reviewer's 批量通过 checklist, until the batch is confirmed.

    One row per ticked item, so two quick ticks are two rows and never undo each other.
    """

    __tablename__ = "batch_selection"

    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    item_kind: str = Field(primary_key=True, max_length=32)
    item_id: int = Field(primary_key=True)
    version: int  # the row version the checklist showed: a batch never decides a newer state
    created_at: dt.datetime = created_at()


class ReviewSnapshot(SQLModel, table=True):
    """What an item said when it was (re)submitted: the base of every reviewer's diff.

    One row per submission (`step_id` is its `submit` step); money and numbers are kept as
    their exact decimal strings.
    """

    __tablename__ = "review_snapshot"
    __table_args__ = (Index("ix_review_snapshot_item", "item_kind", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    item_kind: str = Field(max_length=32)
    item_id: int
    step_id: int = ref("review_step.id", ondelete="CASCADE")
    data: dict = Field(default_factory=dict, sa_type=JSON)
    created_at: dt.datetime = created_at()


class ReviewEditLock(SQLModel, table=True):
    """Who holds the edit of a returned (or withdrawn) item, since when: one at a time."""

    __tablename__ = "review_edit_lock"

    item_kind: str = Field(primary_key=True, max_length=32)
    item_id: int = Field(primary_key=True)
    person_id: int = ref("person.id", ondelete="CASCADE")
    since: dt.datetime = created_at()


class ReviewNudge(SQLModel, table=True):
    """催办 of an item on a working day: the key makes a second one that day impossible."""

    __tablename__ = "review_nudge"

    item_kind: str = Field(primary_key=True, max_length=32)
    item_id: int = Field(primary_key=True)
    day: dt.date = Field(primary_key=True)
    person_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    created_at: dt.datetime = created_at()


class ReviewCosign(SQLModel, table=True):
    """加签: one more person asked to sign at a stage before it decides (per stage visit)."""

    __tablename__ = "review_cosign"
    __table_args__ = (
        UniqueConstraint("item_kind", "item_id", "stage", "stage_entered_at", "person_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_kind: str = Field(max_length=32)
    item_id: int
    stage: str = Field(max_length=16)
    stage_entered_at: dt.datetime = Field(sa_type=UTCDateTime)  # the visit of the stage
    person_id: int = ref("person.id", ondelete="CASCADE")
    added_by_id: int | None = ref("person.id", required=False, ondelete="SET NULL")
    added_at: dt.datetime = created_at()
    signed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
