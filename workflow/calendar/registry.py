"""Where stages say what is due: the sweep, /deadlines and /todo iterate what is registered.

Two kinds of registration, each a named async function:

- a **due source** (`@due_source("name")`), given the session and today, yields a
  `DueSubject` for every open thing that has a deadline: its rule key, a stable subject key
  (part of the reminder key, so it must never change for the same thing), the project, the
  dates of the events that can start a clock (trigger name → date, see
  workflow.calendar.triggers), the day reminders may begin, and who acts. The rule (from the
  `deadline_rule` table, with the defaults) picks which event starts the clock, so an
  administrator's change of trigger is honoured. workflow.calendar.due_items turns subjects
  into due items for the reminder sweep and /deadlines.
- a **todo source** (`@todo_source("name")`), given the session and a person, yields the
  `TodoEntry`s waiting for that person ("what waits for me": an item to review, a reply to
  write), most urgent first once merged by `collect_todo`. Stages whose items wait on a
  particular person (the review machine, later tracking and evaluation reviews) register one.

A stage registers in its own package (e.g. workflow/goals/due.py); workflow/stages.py lists
the installed stage modules and is imported before the first look-up, so adding a stage is
one line there and no edit here, in the sweep or in /deadlines.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, String, cast, exists, literal, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Project, ReminderProgress
from workflow.calendar.workdays import Deadline

STAGES_MODULE = "workflow.stages"


@dataclass(frozen=True, slots=True)
class ProjectRef:
    """What a due item needs of its project: selected as columns, not loaded as an object
    (a province's sweep looks at ~100,000 projects)."""

    id: int
    name: str
    year: int
    organisation_id: int


PROJECT_COLUMNS = (Project.id, Project.name, Project.year, Project.organisation_id)


@dataclass(frozen=True, slots=True)
class SweepSkip:
    """What lets a source leave out a subject: the sweep's day and its plan's fingerprint."""

    today: dt.date
    basis: str


# Set by the reminder sweep only: /deadlines and /todo must still see every subject.
_sweep_skip: ContextVar[SweepSkip | None] = ContextVar("sweep_skip", default=None)


@contextmanager
def skipping_reminded(skip: SweepSkip) -> Iterator[None]:
    """Within the block, `not_reminded` clauses leave out what the sweep need not plan."""
    token = _sweep_skip.set(skip)
    try:
        yield
    finally:
        _sweep_skip.reset(token)


def project_subject() -> ColumnElement[str]:
    """The SQL of the subject key `p<project id>`, for `not_reminded`."""
    return literal("p") + cast(Project.id, String)


def not_reminded(
    rule_key: str, subject: ColumnElement[str], organisation_id: ColumnElement[int]
) -> ColumnElement[bool]:
    """True unless the sweep already queued this subject's current slot (reminder_progress).

    Outside a sweep, always true. A source whose subjects are many (one per project) adds
    this to its WHERE, so a repeat sweep reads none of them; its subject key and the
    organisation that acts must be the SQL of what it yields.
    """
    skip = _sweep_skip.get()
    if skip is None:
        return true()
    return ~exists().where(
        ReminderProgress.rule_key == rule_key,
        ReminderProgress.subject == subject,
        ReminderProgress.organisation_id == organisation_id,
        ReminderProgress.basis == skip.basis,
        ReminderProgress.quiet_until >= skip.today,
    )


@dataclass(frozen=True)
class DueSubject:
    """One open thing a stage reports, before its deadline is computed."""

    rule_key: str
    subject: str  # stable part of the reminder key, e.g. "gv12.3" (a new round, a new key)
    project: Project | ProjectRef
    events: Mapping[str, dt.date]  # trigger name -> the day that event happened
    notify_from: dt.date  # no reminder slot before this day (the event itself told them)
    stage: str | None = None  # shown with the item (a review stage)
    reviewers: str | None = None  # the review stage whose reviewers act; None: the doers
    stored_due: Deadline | None = None  # a due date fixed when the thing was issued


@dataclass(frozen=True)
class TodoEntry:
    """One thing waiting for a person, as /todo lists it."""

    kind: str  # the item kind, e.g. "goal_version"
    item_id: int
    project_id: int
    project_name: str
    stage: str | None
    waiting_since: dt.datetime
    due: dt.date | None = None
    detail: Mapping[str, object] = field(default_factory=dict)


DueSource = Callable[[AsyncSession, dt.date], AsyncIterator[DueSubject]]
TodoSource = Callable[[AsyncSession, int, dt.datetime], AsyncIterator[TodoEntry]]

_due_sources: dict[str, DueSource] = {}
_todo_sources: dict[str, TodoSource] = {}


def _register(table: dict, name: str, source: Callable) -> None:
    # The same function again is a re-import, not a clash.
    known = table.get(name)
    if known is not None and known is not source:
        raise ValueError(f"a source named {name!r} is already registered")
    table[name] = source


def register_due_source(name: str, source: DueSource) -> None:
    """Add a stage's due source under a unique name."""
    _register(_due_sources, name, source)


def register_todo_source(name: str, source: TodoSource) -> None:
    """Add a stage's todo source under a unique name."""
    _register(_todo_sources, name, source)


def unregister(name: str) -> None:
    """Remove the due and todo sources named `name` (a test stage leaving)."""
    _due_sources.pop(name, None)
    _todo_sources.pop(name, None)


def due_source(name: str) -> Callable[[DueSource], DueSource]:
    """Decorator: register the function as the due source `name`."""

    def register(source: DueSource) -> DueSource:
        register_due_source(name, source)
        return source

    return register


def todo_source(name: str) -> Callable[[TodoSource], TodoSource]:
    """Decorator: register the function as the todo source `name`."""

    def register(source: TodoSource) -> TodoSource:
        register_todo_source(name, source)
        return source

    return register


def _install_stages() -> None:
    # Imported here, not at the top: the stage modules import this one to register.
    importlib.import_module(STAGES_MODULE).install()


def due_sources() -> tuple[tuple[str, DueSource], ...]:
    """Every registered due source, in registration order."""
    _install_stages()
    return tuple(_due_sources.items())


def todo_sources() -> tuple[tuple[str, TodoSource], ...]:
    """Every registered todo source, in registration order."""
    _install_stages()
    return tuple(_todo_sources.items())


async def collect_todo(
    session: AsyncSession, *, person_id: int, now: dt.datetime
) -> list[TodoEntry]:
    """What waits for `person_id` across every stage: soonest due first, then oldest."""
    entries = [
        entry for _name, source in todo_sources() async for entry in source(session, person_id, now)
    ]
    entries.sort(key=lambda e: (e.due or dt.date.max, e.waiting_since, e.kind, e.item_id))
    return entries
