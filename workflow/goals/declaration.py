"""Goal declaration use cases: start a declaration, turn a draft into records, submit.

A submitted draft becomes, in one transaction, the project (or the edited project), its
goal version with the header and funds, the schedule rows, the indicators and the
co-departments, and is then handed to the review chain through `submit_goal`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    BudgetYear,
    GoalVersion,
    Indicator,
    Organisation,
    Project,
    ProjectCodepartment,
    ScheduleItem,
)
from storage.models.enums import (
    GoalVersionStatus,
    IndicatorSign,
    ProjectAttribute,
    ProjectStatus,
)
from workflow.core import access
from workflow.core.access import AccessDenied, Action, Actor
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult
from workflow.forms.spec import META, Answers, Data, Problem, SubmitRefused, decimal_text
from workflow.goals.context import (
    current_goal_version,
    declaring_organisations,
    goal_indicators,
    indicator_row,
)
from workflow.goals.indicator_tree import DEFAULT_VERSION
from workflow.people.persons import load_actor
from workflow.review import chain as review
from workflow.review import edit_lock
from workflow.review.chain import ReviewResult
from workflow.review.kinds import GOAL as GOAL_ITEM
from workflow.review.notices import local_time

GOAL_FORM = "goal_declaration"
EDITABLE = (ProjectStatus.draft.value, ProjectStatus.returned.value)


@dataclass(frozen=True, slots=True)
class SubmittedGoal:
    """What a submitted declaration became."""

    project_id: int
    goal_version_id: int
    name: str
    stage: str  # where the goal waits in the review chain


async def start_declaration(
    db: Database, *, actor: Actor, now: dt.datetime, replace: bool = False
) -> DraftResult:
    """Open a new goal declaration (or report the draft already open)."""
    async with db.sessions() as session:
        if not await declaring_organisations(session, actor):
            # Nowhere to declare for: the bureau-wide check refuses and audits the attempt.
            await access.authorize(session, actor, Action.DECLARE_GOAL, object_type="project")
            raise AccessDenied(Action.DECLARE_GOAL)
    assert actor.person_id is not None
    return await drafts.start_draft(
        db, person_id=actor.person_id, form_name=GOAL_FORM, now=now, replace=replace
    )


async def start_goal_edit(
    db: Database, *, actor: Actor, project_id: int, now: dt.datetime, replace: bool = False
) -> DraftResult | Problem:
    """Open a draft prefilled from a project that is still (or again) editable."""
    async with db.sessions() as session:
        scope = await access.project_scope(session, project_id)
        await access.authorize(
            session,
            actor,
            Action.DECLARE_GOAL,
            scope=scope,
            object_type="project",
            object_id=project_id,
        )
        project = await session.get(Project, project_id)
        if project is None:
            raise AccessDenied(Action.DECLARE_GOAL)
        if project.status not in EDITABLE:
            return Problem("project_not_editable", {"status": project.status})
        initial = await answers_of(session, project)
        returned = await session.scalar(
            select(GoalVersion.id).where(
                GoalVersion.project_id == project_id,
                GoalVersion.status == GoalVersionStatus.returned.value,
            )
        )
    if returned is not None:  # one person edits a returned version at a time
        taken = await edit_lock.take(db, actor=actor, kind=GOAL_ITEM, item_id=returned, now=now)
        if taken.held is not None:
            since = local_time(taken.held.since)
            return Problem("edit_locked", {"by": taken.held.name or "", "since": since})
    assert actor.person_id is not None
    return await drafts.start_draft(
        db,
        person_id=actor.person_id,
        form_name=GOAL_FORM,
        now=now,
        replace=replace,
        subject_type="project",
        subject_id=project_id,
        initial=initial,
    )


async def answers_of(
    session: AsyncSession, project: Project, version: GoalVersion | None = None
) -> Data:
    """A project's current goal version (or `version`, e.g. an adjustment) as draft answers."""
    version = version or await current_goal_version(session, project.id or 0)
    assert version is not None
    schedule = await session.scalars(
        select(ScheduleItem)
        .where(ScheduleItem.goal_version_id == version.id)
        .order_by(ScheduleItem.position)
    )
    codepartments = await session.scalars(
        select(Organisation.name)
        .join(ProjectCodepartment, ProjectCodepartment.organisation_id == Organisation.id)
        .where(ProjectCodepartment.project_id == project.id)
    )
    names = list(codepartments)

    def money(value: Decimal | None) -> str | None:
        return None if value is None else decimal_text(value)

    return {
        "year": project.year,
        "organisation": project.organisation_id,
        "attribute": project.attribute,
        "predecessor": project.predecessor_id,
        "copy_last_year": False,
        "name": project.name,
        "person_in_charge": version.person_in_charge,
        "phone": version.phone,
        "start_date": version.start_date.isoformat() if version.start_date else None,
        "end_date": version.end_date.isoformat() if version.end_date else None,
        "funds_total": money(version.funds_total),
        "funds_fiscal": money(version.funds_fiscal),
        "funds_carryover": money(version.funds_carryover),
        "funds_other": money(version.funds_other),
        "annual_amount": money(version.annual_amount),
        "overall_goal": version.overall_goal,
        "annual_goal": version.annual_goal,
        "schedule": [
            {
                "content": row.content,
                "start": row.start_date.isoformat() if row.start_date else None,
                "end": row.end_date.isoformat() if row.end_date else None,
            }
            for row in schedule
        ],
        "basis": version.basis,
        "is_key": project.is_key,
        "is_shared": project.is_shared,
        **({"codepartments": names} if project.is_shared else {}),
        "indicators": [
            indicator_row(i, copy=False) for i in await goal_indicators(session, version.id)
        ],
        META: {
            "closed": ["schedule", "indicators"],
            "project_id": project.id,
            "project_version": project.version,
            "goal_version_id": version.id,
        },
    }


async def submit_from_draft(
    session: AsyncSession,
    *,
    person_id: int,
    draft: Any,
    answers: Answers,
    context: Any,
    now: dt.datetime,
) -> SubmittedGoal:
    """The FormSpec's submit: records from a checked draft, then `submit_goal`."""
    actor = await load_actor(session, person_id=person_id)
    organisation_id = answers.get("organisation")
    scope = await access.organisation_scope(session, organisation_id)
    if actor is None:
        raise AccessDenied(Action.DECLARE_GOAL)
    await access.authorize(
        session,
        actor,
        Action.DECLARE_GOAL,
        scope=scope,
        object_type="organisation",
        object_id=organisation_id,
    )
    meta = draft.data.get(META) or {}
    if meta.get("project_id"):
        project, version = await _reopen(session, meta, answers, now)
    else:
        project, version = await _create(session, actor, answers, now)
    await write_version(session, project, version, answers, context, now=now)
    entered = await submit_goal(session, actor=actor, goal_version_id=version.id, now=now)
    return SubmittedGoal(project.id, version.id, project.name, entered.next_stage or "")


def _header(answers: Answers) -> dict[str, Any]:
    return {
        "person_in_charge": answers.get("person_in_charge"),
        "phone": answers.get("phone"),
        "start_date": answers.get("start_date"),
        "end_date": answers.get("end_date"),
        "funds_total": answers.get("funds_total"),
        "funds_fiscal": answers.get("funds_fiscal"),
        "funds_carryover": answers.get("funds_carryover"),
        "funds_other": answers.get("funds_other"),
        "annual_amount": answers.get("annual_amount"),
        "overall_goal": answers.get("overall_goal"),
        "annual_goal": answers.get("annual_goal"),
        "basis": answers.get("basis"),
    }


def _project_fields(answers: Answers) -> dict[str, Any]:
    continuing = answers.get("attribute") == ProjectAttribute.continuing.value
    return {
        "name": answers.get("name"),
        "attribute": answers.get("attribute"),
        "is_key": bool(answers.get("is_key")),
        "is_shared": bool(answers.get("is_shared")),
        "predecessor_id": answers.get("predecessor") if continuing else None,
    }


async def _create(
    session: AsyncSession, actor: Actor, answers: Answers, now: dt.datetime
) -> tuple[Project, GoalVersion]:
    """A new project and its first goal version (refused before writing if the name is taken)."""
    year, organisation_id = answers.get("year"), answers.get("organisation")
    taken = await session.scalar(
        select(Project.id).where(
            Project.year == year,
            Project.organisation_id == organisation_id,
            Project.name == answers.get("name"),
        )
    )
    if taken is not None:
        raise SubmitRefused(Problem("project_name_taken", {"name": answers.get("name")}, "name"))
    if await session.get(BudgetYear, year) is None:
        session.add(BudgetYear(year=year, indicator_tree_version=DEFAULT_VERSION))
        await session.flush()
    project = Project(
        year=year,
        organisation_id=organisation_id,
        status=ProjectStatus.draft.value,
        created_by_id=actor.person_id,
        created_at=now,
        updated_at=now,
        **_project_fields(answers),
    )
    session.add(project)
    await session.flush()
    version = GoalVersion(project_id=project.id, created_at=now, updated_at=now)
    session.add(version)
    await session.flush()
    return project, version


async def _reopen(
    session: AsyncSession, meta: dict[str, Any], answers: Answers, now: dt.datetime
) -> tuple[Project, GoalVersion]:
    """The edited project, if nobody submitted or changed it since the draft began."""
    project_id, seen = meta["project_id"], meta["project_version"]
    fields = _project_fields(answers)
    changed = await session.execute(
        update(Project)
        .where(Project.id == project_id, Project.version == seen, Project.status.in_(EDITABLE))
        .values(**fields, version=seen + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        project = await session.get(Project, project_id)
        raise SubmitRefused(
            Problem("project_changed", {"status": project.status if project else None})
        )
    project = await session.get(Project, project_id)
    assert project is not None
    await session.refresh(project)
    version = await session.get(GoalVersion, meta["goal_version_id"])
    assert version is not None
    return project, version


async def write_version(
    session: AsyncSession,
    project: Project,
    version: GoalVersion,
    answers: Answers,
    context: Any,
    *,
    now: dt.datetime,
) -> None:
    """A goal version as the form's answers say: its header and funds, and in place of what
    it had, its schedule rows and indicators and the project's co-departments."""
    for name, value in _header(answers).items():
        setattr(version, name, value)
    version.updated_at = now
    await session.execute(delete(ScheduleItem).where(ScheduleItem.goal_version_id == version.id))
    await session.execute(delete(Indicator).where(Indicator.goal_version_id == version.id))
    await session.execute(
        delete(ProjectCodepartment).where(ProjectCodepartment.project_id == project.id)
    )
    form_rows = answers.data
    for position, row in enumerate(form_rows.get("schedule") or []):
        session.add(
            ScheduleItem(
                goal_version_id=version.id,
                position=position,
                content=row["content"],
                start_date=dt.date.fromisoformat(row["start"]) if row.get("start") else None,
                end_date=dt.date.fromisoformat(row["end"]) if row.get("end") else None,
            )
        )
    for position, row in enumerate(form_rows.get("indicators") or []):
        qualitative = row["sign"] == IndicatorSign.qualitative.value
        session.add(
            Indicator(
                goal_version_id=version.id,
                position=position,
                level1=row["level1"],
                level2=row["level2"],
                name=row["name"],
                sign=row["sign"],
                target_value=None if qualitative else Decimal(row["target_value"]),
                unit=None if qualitative else row.get("unit"),
                target_text=row.get("target_text") if qualitative else None,
                weight=Decimal(row["weight"]) if row.get("weight") is not None else None,
                source_indicator_id=row.get("source_id"),
            )
        )
    if project.is_shared:
        by_name = {d["name"]: d["id"] for d in context.get("departments", [])}
        for name in answers.get("codepartments") or []:
            if name in by_name:
                session.add(
                    ProjectCodepartment(project_id=project.id, organisation_id=by_name[name])
                )
    await session.flush()


async def submit_goal(
    session: AsyncSession, *, actor: Actor, goal_version_id: int, now: dt.datetime
) -> ReviewResult:
    """Hand a declared goal version to the review chain, in the caller's transaction.

    Authorizes the submission, then `workflow.review.chain.enter_chain` moves the version to its
    first stage (after a return too: every stage reviews it again), writes the timeline step, the
    project's status and the reviewers' notifications.
    """
    project_id = await session.scalar(
        select(GoalVersion.project_id).where(GoalVersion.id == goal_version_id)
    )
    scope = await access.project_scope(session, project_id or 0)
    await access.authorize(
        session,
        actor,
        Action.DECLARE_GOAL,
        scope=scope,
        object_type="goal_version",
        object_id=goal_version_id,
    )
    result = await review.enter_chain(
        session, actor=actor, goal_version_id=goal_version_id, now=now
    )
    held = edit_lock.held_problem(result)
    if held is not None:
        raise SubmitRefused(held)
    if not result.ok:
        raise SubmitRefused(Problem("project_changed", {"status": result.status}))
    return result
