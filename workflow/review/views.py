"""What people read about items under review: details, the timeline, an item's card.

Read-only; each function checks `VIEW_PROJECT` (every reviewer of an item may view it) and
returns plain data and the template the bot renders it with. The functions take a kind and
an item id; a goal version's details and timeline show the whole project (all versions).
/todo lives in `workflow.review.todo`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.db import Database
from storage.models import (
    ExpertAssignment,
    GoalVersion,
    GoalVersionStatus,
    Organisation,
    Person,
    ReviewStage,
    ReviewStep,
    ScheduleItem,
)
from storage.types import utcnow
from workflow.core import access
from workflow.core.access import REVIEW_ACTIONS, Action, Actor, Scope
from workflow.core.clock import local_day
from workflow.goals import projects
from workflow.goals.projects import GoalSheet
from workflow.review.due import DueCalculator
from workflow.review.kinds import BATCH_STAGES, GOAL, Item, kind_named, load_item
from workflow.review.notices import (
    card_context,
    changes_for,
    due_context,
    indicator_row,
    indicators_of,
    item_context,
    local_time,
    money_text,
)
from workflow.review.people import review_scope
from workflow.review.records import Outcome, allowed, round_opinions
from workflow.review.todo import TodoItem, TodoPage, todo, todo_page

__all__ = [
    "BATCH_STAGES",
    "TodoItem",
    "TodoPage",
    "View",
    "card",
    "details",
    "details_of",
    "timeline",
    "timeline_of",
    "todo",
    "todo_page",
]

IN_FORCE = (GoalVersionStatus.issued.value,)
REVIEW_STAGE_VALUES = frozenset(
    stage.value
    for stage in REVIEW_ACTIONS
    if stage not in (ReviewStage.expert, ReviewStage.issuance)
)


@dataclass(frozen=True, slots=True)
class View:
    """A read-only view: `context` for `template`, or why there is none."""

    outcome: Outcome
    context: dict[str, Any] = field(default_factory=dict)
    item: Item | None = None
    template: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.moved


async def _viewable(session: AsyncSession, actor: Actor, kind: str, item_id: int) -> View:
    """The item if `actor` may view it; otherwise not_found or denied (audited)."""
    item = await load_item(session, kind_named(kind), item_id)
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
    """Everything about a goal version (see `details_of`)."""
    return await details_of(db, actor=actor, kind=GOAL, item_id=goal_version_id)


async def details_of(db: Database, *, actor: Actor, kind: str, item_id: int) -> View:
    """Everything about an item: a goal version's header, funds, goals, schedule, …"""
    async with db.transaction() as session:
        view = await _viewable(session, actor, kind, item_id)
        if not view.ok or view.item is None:
            return view
        item = view.item
        if kind != GOAL:  # the other kinds show what they describe
            context = {"item": await item.kind.describe(session, item), "task": "view"}
            return View(Outcome.moved, context, item, item.kind.templates.item)
        version = item.row
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
        return View(Outcome.moved, context, item, "review_details")


async def _names(session: AsyncSession, person_ids: list[int | None]) -> dict[int, str]:
    wanted = {pid for pid in person_ids if pid is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))
    return {person_id: name for person_id, name in rows}


async def _invitations(session: AsyncSession, project_id: int | None) -> list[tuple[Any, dict]]:
    """The project's expert invitations, as timeline entries (专家评审邀请)."""
    inviter = aliased(Person)
    rows = await session.execute(
        select(ExpertAssignment.invited_at, Person.name, inviter.name)
        .join(Person, Person.id == ExpertAssignment.person_id)
        .outerjoin(inviter, inviter.id == ExpertAssignment.invited_by_id)
        .where(ExpertAssignment.project_id == project_id)
    )
    return [
        (
            at,
            {
                "at": local_time(at),
                "version_number": 0,
                "who": by or "",
                "role": "",
                "organisation": "",
                "stage": "expert",
                "decision": "invite_expert",
                "comment": "",
                "expert": expert,
            },
        )
        for at, expert, by in rows
    ]


async def timeline(db: Database, *, actor: Actor, goal_version_id: int) -> View:
    """The complete history of a goal version's project (see `timeline_of`)."""
    return await timeline_of(db, actor=actor, kind=GOAL, item_id=goal_version_id)


async def timeline_of(db: Database, *, actor: Actor, kind: str, item_id: int) -> View:
    """The complete, append-only history, oldest first (a goal version's: all versions')."""
    async with db.transaction() as session:
        view = await _viewable(session, actor, kind, item_id)
        if not view.ok or view.item is None:
            return view
        item = view.item
        versions = await _versions(session, item.project.id) if kind == GOAL else []
        ids = [v.id for v in versions] if kind == GOAL else [item.id]
        rows = await session.execute(
            select(ReviewStep, Person.name, Organisation.name)
            .outerjoin(Person, Person.id == ReviewStep.actor_id)
            .outerjoin(Organisation, Organisation.id == ReviewStep.organisation_id)
            .where(ReviewStep.item_kind == kind, ReviewStep.item_id.in_(ids))
            .order_by(ReviewStep.created_at, ReviewStep.id)
        )
        number_of = {v.id: v.number for v in versions}
        entries = [
            (
                step.created_at,
                {
                    "at": local_time(step.created_at),
                    "version_number": number_of.get(step.item_id, 1),
                    "who": who or "",
                    "role": step.role or "",
                    "organisation": organisation or "",
                    "stage": step.stage or "",
                    "decision": step.decision,
                    "comment": step.comment or "",
                },
            )
            for step, who, organisation in rows
        ]
        if kind == GOAL:
            entries += await _invitations(session, item.project.id)
        entries.sort(key=lambda entry: entry[0])
        due = None
        if item.row.status == item.kind.statuses.waiting and item.row.stage:
            calculator = await DueCalculator.load(session, now=utcnow())
            due = due_context(calculator.stage_due(item.row.stage, item.row.stage_entered_at))
        context = {
            "item": await item.kind.describe(session, item),
            "steps": [entry for _, entry in entries],
            "versions": [_version_line(v) for v in versions],
            "due": due,
            "waiting_stage": item.row.stage if due else None,
        }
        return View(Outcome.moved, context, item, item.kind.templates.history)


async def card(db: Database, *, actor: Actor, kind: str, item_id: int, now: dt.datetime) -> View:
    """The card of an item as it stands, with what `actor` may do on it now (for /todo).

    `context["task"]` is review (decide at its stage), opinion (an expert's, on a goal
    version), fix (correct and resubmit a returned item) or view.
    """
    async with db.transaction() as session:
        view = await _viewable(session, actor, kind, item_id)
        if not view.ok or view.item is None:
            return view
        item = view.item
        task = _task(actor, item, await review_scope(session, item.project))
        stage = item.row.stage
        if task in ("review", "opinion") and stage:
            context = await card_context(session, item, ReviewStage(stage), now=now)
            if task == "review" and actor.person_id is not None:
                context["changes"] = await changes_for(
                    session, item, person_id=actor.person_id, stage=stage
                )
        else:
            context = {
                "item": await item.kind.describe(session, item),
                "stage": stage,
                "due": None,
            }
        context["task"] = task
        templates = item.kind.templates
        template = {"review": templates.card, "opinion": "expert_card"}.get(task, templates.item)
        return View(Outcome.moved, context, item, template)


def _task(actor: Actor, item: Item, scope: Scope) -> str:
    """What `actor` may do on the item as it stands: review, opinion, fix or view."""
    status, stage, statuses = item.row.status, item.row.stage, item.kind.statuses
    if status == statuses.waiting and stage in REVIEW_STAGE_VALUES:
        if access.decide(actor, item.kind.action_at(ReviewStage(stage)), scope):
            return "review"
        if (
            item.kind.name == GOAL
            and stage == ReviewStage.performance.value
            and access.decide(actor, Action.REVIEW_EXPERT, scope)
        ):
            return "opinion"
    elif status == statuses.returned and access.decide(actor, item.kind.fix_action, scope):
        return "fix"
    return "view"


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
