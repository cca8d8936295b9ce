"""The reviewable kinds: what the one review machine needs to know about each kind of item.

A kind names a table whose rows carry `id`, `project_id`, `stage`, `status`, `version`,
`stage_entered_at`, `submitted_by_id` and `submitted_at`. An item is such a row with its
project and the organisation implementing the project. The kind computes the item's route
of stages from the item and the org chart, says which access Action authorizes each stage,
which status values mean waiting / returned / approved, what it does on moving (hooks) and
which templates show it. The goal version kind is registered first
(`workflow.review.goal_kind`); a new kind is a `register(ReviewKind(...))` away, with no
edit to the machine, /todo or the callback parser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Organisation, Project, ReviewStage
from workflow.core.access import REVIEW_ACTIONS, Action

GOAL = "goal_version"  # the kind registered first (workflow.review.goal_kind)
BATCH_STAGES = (ReviewStage.performance.value, ReviewStage.budget.value)


@dataclass(frozen=True, slots=True)
class Statuses:
    """The status values of a kind's rows the machine reads and writes."""

    waiting: str  # in the chain, at `stage`
    returned: str  # back with its staff; `stage` keeps the stage that returned it
    approved: str  # through the last stage
    submittable: tuple[str, ...]  # what may enter (or re-enter) the chain
    draft: str = "draft"  # editable by its staff again (after a withdrawal)


@dataclass(frozen=True, slots=True)
class Templates:
    """The message templates that show an item of the kind."""

    card: str = "review_item_card"  # a reviewer's card
    outcome: str = "review_item_outcome"  # what the submitter hears
    item: str = "review_item_view"  # the card of someone with nothing to decide
    history: str = "review_item_history"  # the timeline


@dataclass(frozen=True, slots=True)
class Item:
    """A row of a reviewable kind with its project and the organisation implementing it."""

    kind: ReviewKind
    row: Any
    project: Project
    organisation: Organisation

    @property
    def id(self) -> int:
        assert self.row.id is not None
        return int(self.row.id)


Describe = Callable[[AsyncSession, Item], Awaitable[dict[str, Any]]]
Moved = Callable[[AsyncSession, Item, str, dt.datetime], Awaitable[None]]
ApproveCheck = Callable[[AsyncSession, Item, ReviewStage], Awaitable[str | None]]


async def plain_description(session: AsyncSession, item: Item) -> dict[str, Any]:
    """The facts every kind can show: project, organisation, status and stage."""
    del session
    return {
        "kind": item.kind.name,
        "id": item.id,
        "version": item.row.version,
        "status": item.row.status,
        "stage": item.row.stage,
        "waiting": item.row.status == item.kind.statuses.waiting,
        "returned": item.row.status == item.kind.statuses.returned,
        "approved": item.row.status == item.kind.statuses.approved,
        "project": item.project.name,
        "year": item.project.year,
        "organisation": item.organisation.name,
    }


async def nothing_on_move(session: AsyncSession, item: Item, status: str, now: dt.datetime) -> None:
    """The default hook: moving the row is all there is."""


async def always_approvable(session: AsyncSession, item: Item, stage: ReviewStage) -> None:
    """The default check: any stage may approve once it is reached."""


@dataclass(frozen=True, slots=True)
class ReviewKind:
    """One kind of reviewable item."""

    name: str  # stored in review_step.item_kind and batch_selection.item_kind
    code: str  # one lowercase letter in callback data ("" only for goal versions: bare ids)
    table: type[Any]
    route: Callable[[Item], tuple[ReviewStage, ...]]
    statuses: Statuses
    fix_action: Action  # who corrects and resubmits a returned item
    rest_stage: ReviewStage | None = None  # where an approved item waits afterwards
    stage_actions: Mapping[ReviewStage, Action] = field(default_factory=lambda: REVIEW_ACTIONS)
    batch_stages: tuple[str, ...] = BATCH_STAGES
    templates: Templates = Templates()
    describe: Describe = plain_description
    on_moved: Moved = nothing_on_move  # after every transition, with the new status
    approve_check: ApproveCheck = always_approvable  # an Outcome value refusing approval
    amount: Callable[[Any], str | None] = lambda row: None
    submitted_audit: str = ""  # audit action of a submission; default `<name>_submitted`
    # Extra decisions a stage's reviewers have on the card: stage -> ((label key, press
    # action), ...); the stage's bot package handles the press (e.g. 提出整改建议).
    card_actions: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    @property
    def submit_audit_action(self) -> str:
        return self.submitted_audit or f"{self.name}_submitted"

    def action_at(self, stage: ReviewStage) -> Action:
        """The access Action that authorizes deciding at `stage`."""
        return self.stage_actions[stage]

    def ref(self, item_id: int) -> str:
        """The item in keys and callback data: `<code><id>` (a goal version: its bare id)."""
        return f"{self.code}{item_id}"


_KINDS: dict[str, ReviewKind] = {}


def _with_builtin_kinds() -> dict[str, ReviewKind]:
    """The registry, with the goal kind loaded first (imported late: it needs the machine),
    then every installed stage's kinds (workflow.stages)."""
    import_module("workflow.review.goal_kind")
    import_module("workflow.stages").install()
    return _KINDS


class UnknownKindError(LookupError):
    """A kind name or code nobody registered."""


def register(kind: ReviewKind) -> ReviewKind:
    """Add `kind` to the registry (again with the same definition is a no-op)."""
    for other in _KINDS.values():
        if other.name != kind.name and other.code == kind.code:
            raise ValueError(f"kind code {kind.code!r} is taken by {other.name}")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (tests register throw-away kinds)."""
    _KINDS.pop(name, None)


def registered() -> list[ReviewKind]:
    """Every kind, in registration order (goal versions first)."""
    return list(_with_builtin_kinds().values())


def kind_named(name: str) -> ReviewKind:
    """The kind called `name`."""
    try:
        return _with_builtin_kinds()[name]
    except KeyError:
        raise UnknownKindError(name) from None


def kind_with_code(code: str) -> ReviewKind | None:
    """The kind whose callback code is `code`, or None."""
    return next((kind for kind in registered() if kind.code == code), None)


def item_query(kind: ReviewKind, *conditions: Any) -> Any:
    """Rows of `kind` with their project and organisation, oldest in their stage first."""
    table = kind.table
    return (
        select(table, Project, Organisation)
        .join(Project, Project.id == table.project_id)
        .join(Organisation, Organisation.id == Project.organisation_id)
        .where(*conditions)
        .order_by(table.stage_entered_at, table.id)
    )


async def load_item(session: AsyncSession, kind: ReviewKind, item_id: int) -> Item | None:
    """The item with its project and organisation; None when there is no such row."""
    row = (await session.execute(item_query(kind, kind.table.id == item_id))).first()
    return Item(kind, *row) if row else None
