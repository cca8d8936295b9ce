"""What people read about items under review: details, the timeline, and /todo.

Read-only; each function checks `VIEW_PROJECT` (every reviewer of an item may view it) and
returns plain data the bot renders with a template.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    GoalVersion,
    GoalVersionStatus,
    Organisation,
    Person,
    Project,
    ReviewStage,
    ReviewStep,
    Role,
    ScheduleItem,
)
from storage.types import utcnow
from workflow.core import access
from workflow.core.access import REVIEW_ACTIONS, Action, Actor
from workflow.core.clock import local_day
from workflow.goals import projects
from workflow.goals.projects import GoalSheet
from workflow.review.due import DueCalculator, StageDue
from workflow.review.notices import (
    card_context,
    indicator_row,
    indicators_of,
    item_context,
    local_time,
    money_text,
)
from workflow.review.people import review_scope
from workflow.review.records import Item, Outcome, allowed, load_item, round_opinions

IN_FORCE = (GoalVersionStatus.issued.value,)
BATCH_STAGES = (ReviewStage.performance.value, ReviewStage.budget.value)
REVIEW_STAGE_VALUES = frozenset(
    stage.value
    for stage in REVIEW_ACTIONS
    if stage not in (ReviewStage.expert, ReviewStage.issuance)
)


@dataclass(frozen=True, slots=True)
class View:
    """A read-only view: `context` for the template, or why there is none."""

    outcome: Outcome
    context: dict[str, Any] = field(default_factory=dict)
    item: Item | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.moved


async def _viewable(session: AsyncSession, actor: Actor, goal_version_id: int) -> View:
    """The item if `actor` may view it; otherwise not_found or denied (audited)."""
    item = await load_item(session, goal_version_id)
    if item is None:
        return View(Outcome.not_found)
    scope = await review_scope(session, item.project)
    if not await allowed(session, actor, Action.VIEW_PROJECT, item, scope):
        return View(Outcome.denied)
    return View(Outcome.moved, item=item)


async def _versions(session: AsyncSession, project_id: int) -> list[GoalVersion]:
    return list(
        await session.scalars(
            select(GoalVersion)
            .where(GoalVersion.project_id == project_id)
            .order_by(GoalVersion.number)
        )
    )


def _version_line(version: GoalVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "number": version.number,
        "kind": version.kind,
        "status": version.status,
        "stage": version.stage,
        "in_force": version.status in IN_FORCE,
        "issued_at": local_day(version.issued_at).isoformat() if version.issued_at else None,
    }


async def details(db: Database, *, actor: Actor, goal_version_id: int) -> View:
    """Everything about an item: header, funds, goals, schedule, indicators, opinions."""
    async with db.transaction() as session:
        view = await _viewable(session, actor, goal_version_id)
        if not view.ok or view.item is None:
            return view
        item = view.item
        version = item.version
        schedule = await session.scalars(
            select(ScheduleItem)
            .where(ScheduleItem.goal_version_id == item.id)
            .order_by(ScheduleItem.position, ScheduleItem.id)
        )
        opinions = await round_opinions(session, item.id)
        names = await _names(session, [o.actor_id for o in opinions])
        context = {
            "item": await item_context(session, item),
            "person_in_charge": version.person_in_charge or "",
            "phone": version.phone or "",
            "start_date": version.start_date.isoformat() if version.start_date else "",
            "end_date": version.end_date.isoformat() if version.end_date else "",
            "funds_fiscal": money_text(version.funds_fiscal),
            "funds_carryover": money_text(version.funds_carryover),
            "funds_other": money_text(version.funds_other),
            "overall_goal": version.overall_goal or "",
            "basis": version.basis or "",
            "schedule": [
                {
                    "content": row.content,
                    "start": row.start_date.isoformat() if row.start_date else "",
                    "end": row.end_date.isoformat() if row.end_date else "",
                }
                for row in schedule
            ],
            "indicators": [indicator_row(i) for i in await indicators_of(session, item.id)],
            "opinions": [
                {
                    "expert": names.get(o.actor_id, ""),
                    "decision": o.decision,
                    "comment": o.comment or "",
                }
                for o in opinions
            ],
            "versions": [_version_line(v) for v in await _versions(session, item.project.id)],
        }
        return View(Outcome.moved, context, item)


async def _names(session: AsyncSession, person_ids: list[int | None]) -> dict[int, str]:
    wanted = {pid for pid in person_ids if pid is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))
    return {person_id: name for person_id, name in rows}


async def timeline(db: Database, *, actor: Actor, goal_version_id: int) -> View:
    """The complete, append-only history of the project's goal versions, oldest first."""
    async with db.transaction() as session:
        view = await _viewable(session, actor, goal_version_id)
        if not view.ok or view.item is None:
            return view
        item = view.item
        versions = await _versions(session, item.project.id)
        rows = await session.execute(
            select(ReviewStep, Person.name, Organisation.name)
            .outerjoin(Person, Person.id == ReviewStep.actor_id)
            .outerjoin(Organisation, Organisation.id == ReviewStep.organisation_id)
            .where(ReviewStep.goal_version_id.in_([v.id for v in versions]))
            .order_by(ReviewStep.created_at, ReviewStep.id)
        )
        number_of = {v.id: v.number for v in versions}
        steps = [
            {
                "at": local_time(step.created_at),
                "version_number": number_of[step.goal_version_id],
                "who": who or "",
                "role": step.role or "",
                "organisation": organisation or "",
                "stage": step.stage or "",
                "decision": step.decision,
                "comment": step.comment or "",
            }
            for step, who, organisation in rows
        ]
        context = {
            "item": await item_context(session, item),
            "steps": steps,
            "versions": [_version_line(v) for v in versions],
        }
        return View(Outcome.moved, context, item)


@dataclass(frozen=True, slots=True)
class TodoItem:
    """One thing waiting for me."""

    goal_version_id: int
    version: int
    project: str
    organisation: str
    year: int
    stage: str | None
    task: str  # review / opinion / fix
    entered_at: dt.datetime | None
    due: dt.date | None = None
    days_left: int | None = None
    provisional: bool = False
    amount: str | None = None
    batchable: bool = False  # the performance and budget sections may approve it in a batch

    def as_dict(self) -> dict[str, Any]:
        return {
            "goal_version_id": self.goal_version_id,
            "version": self.version,
            "project": self.project,
            "organisation": self.organisation,
            "year": self.year,
            "stage": self.stage,
            "task": self.task,
            "due": self.due.isoformat() if self.due else None,
            "days_left": self.days_left,
            "provisional": self.provisional,
            "amount": self.amount,
            "batchable": self.batchable,
        }


async def todo(db: Database, *, actor: Actor, now: dt.datetime | None = None) -> list[TodoItem]:
    """My pending items across stages: most urgent (fewest days left) first, then oldest."""
    now = now or utcnow()
    async with db.transaction() as session:
        found = await _reviews_for(session, actor)
        found += await _opinions_for(session, actor)
        found += await _fixes_for(session, actor)
        calculator = await DueCalculator.load(
            session, now=now, entered=[i.entered_at for i in found if i.entered_at]
        )
    dated = [
        _with_due(entry, calculator.stage_due(entry.stage, entry.entered_at))
        if entry.task != "fix" and entry.stage
        else entry
        for entry in found
    ]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(
        dated,
        key=lambda i: (
            i.days_left if i.days_left is not None else 10**6,
            i.entered_at or far,
            i.goal_version_id,
        ),
    )


def _with_due(entry: TodoItem, due: StageDue | None) -> TodoItem:
    if due is None:
        return entry
    return replace(entry, due=due.due, days_left=due.days_left, provisional=due.provisional)


def _waiting(*conditions: Any) -> Any:
    return (
        select(GoalVersion, Project, Organisation)
        .join(Project, Project.id == GoalVersion.project_id)
        .join(Organisation, Organisation.id == Project.organisation_id)
        .where(*conditions)
        .order_by(GoalVersion.stage_entered_at, GoalVersion.id)
    )


def _entry(version: GoalVersion, project: Project, org: Organisation, task: str) -> TodoItem:
    assert version.id is not None
    return TodoItem(
        goal_version_id=version.id,
        version=version.version,
        project=project.name,
        organisation=org.name,
        year=project.year,
        stage=version.stage,
        task=task,
        entered_at=version.stage_entered_at,
        amount=money_text(version.annual_amount),
        batchable=task == "review" and version.stage in BATCH_STAGES,
    )


async def _reviews_for(session: AsyncSession, actor: Actor) -> list[TodoItem]:
    """Items waiting at a stage where the actor decides."""
    found: list[TodoItem] = []
    for stage, action in REVIEW_ACTIONS.items():
        if stage in (ReviewStage.expert, ReviewStage.issuance) or not access.may_ever(
            actor, action
        ):
            continue
        organisations = await access.organisations_where(session, actor, action)
        rows = await session.execute(
            _waiting(
                GoalVersion.status == GoalVersionStatus.in_review.value,
                GoalVersion.stage == stage.value,
                Project.organisation_id.in_(organisations),
            )
        )
        found += [_entry(v, p, o, "review") for v, p, o in rows]
    return found


async def _opinions_for(session: AsyncSession, actor: Actor) -> list[TodoItem]:
    """Key projects at the performance stage still without this expert's opinion."""
    if not actor.has_role(Role.expert):
        return []
    rows = await session.execute(
        _waiting(
            GoalVersion.status == GoalVersionStatus.in_review.value,
            GoalVersion.stage == ReviewStage.performance.value,
            Project.is_key.is_(True),
        )
    )
    found = []
    for version, project, org in rows:
        scope = await review_scope(session, project)
        if not access.decide(actor, Action.REVIEW_EXPERT, scope):
            continue
        given = {o.actor_id for o in await round_opinions(session, version.id)}
        if actor.person_id not in given:
            found.append(_entry(version, project, org, "opinion"))
    return found


async def _fixes_for(session: AsyncSession, actor: Actor) -> list[TodoItem]:
    """Returned versions of my organisation, waiting for correction."""
    if not access.may_ever(actor, Action.DECLARE_GOAL):
        return []
    organisations = await access.organisations_where(session, actor, Action.DECLARE_GOAL)
    rows = await session.execute(
        _waiting(
            GoalVersion.status == GoalVersionStatus.returned.value,
            Project.organisation_id.in_(organisations),
        )
    )
    return [_entry(v, p, o, "fix") for v, p, o in rows]


async def card(db: Database, *, actor: Actor, goal_version_id: int, now: dt.datetime) -> View:
    """The card of an item as it stands, with what `actor` may do on it now (for /todo).

    `context["task"]` is review (decide at its stage), opinion (an expert's), fix (correct
    and resubmit a returned version) or view.
    """
    async with db.transaction() as session:
        view = await _viewable(session, actor, goal_version_id)
        if not view.ok or view.item is None:
            return view
        item = view.item
        scope = await review_scope(session, item.project)
        status, stage = item.version.status, item.version.stage
        task = "view"
        if status == GoalVersionStatus.in_review.value and stage in REVIEW_STAGE_VALUES:
            if access.decide(actor, REVIEW_ACTIONS[ReviewStage(stage)], scope):
                task = "review"
            elif stage == ReviewStage.performance.value and access.decide(
                actor, Action.REVIEW_EXPERT, scope
            ):
                task = "opinion"
        elif status == GoalVersionStatus.returned.value and access.decide(
            actor, Action.DECLARE_GOAL, scope
        ):
            task = "fix"
        if task in ("review", "opinion") and stage:
            context = await card_context(session, item, ReviewStage(stage), now=now)
        else:
            context = {"item": await item_context(session, item), "stage": stage, "due": None}
        context["task"] = task
        return View(Outcome.moved, context, item)


async def goal_sheet(db: Database, *, actor: Actor, goal_version_id: int) -> GoalSheet | None:
    """申报表 of exactly this version (a card's), or None when there is no such version.

    Raises AccessDenied (audited) for someone who may not view the project.
    """
    async with db.sessions() as session:
        project_id = await session.scalar(
            select(GoalVersion.project_id).where(GoalVersion.id == goal_version_id)
        )
    if project_id is None:
        return None
    return await projects.goal_sheet(
        db, actor=actor, project_id=project_id, goal_version_id=goal_version_id
    )
