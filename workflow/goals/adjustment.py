"""Adjustment (调整) of issued goals: a new version through the chain, the old one in force.

Not at will (DOMAIN §2.4): staff give the reason, the goal form opens prefilled with the
version in force, and the new version (kind `adjustment`, number n+1) is submitted into the
review chain like any other. The issued version stays in force until the new one is issued
(`workflow.goals.issuance` then supersedes it); both are kept. One adjustment at a time per
project: while one is on its way, another cannot start. A returned adjustment is corrected
in the same form and resubmitted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    GoalVersion,
    GoalVersionKind,
    GoalVersionStatus,
    Organisation,
    Project,
    ProjectStatus,
)
from workflow.core import access
from workflow.core.access import AccessDenied, Action, Actor
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult
from workflow.forms.parsers import parse_text
from workflow.forms.spec import META, Answers, FieldSpec, FormSpec, Kind, Problem, SubmitRefused
from workflow.goals import declaration as goals
from workflow.goals.form import FORM as GOAL_FORM
from workflow.people.persons import load_actor
from workflow.review.notices import money_text

ADJUSTMENT_FORM = "goal_adjustment"
OPEN = (
    GoalVersionStatus.draft.value,
    GoalVersionStatus.in_review.value,
    GoalVersionStatus.returned.value,
    GoalVersionStatus.approved.value,
)
# What an adjustment may not change: the project's identity and shape stay as issued.
FIXED = frozenset(
    {
        "year",
        "organisation",
        "attribute",
        "predecessor",
        "copy_last_year",
        "name",
        "is_key",
        "is_shared",
        "codepartments",
    }
)


@dataclass(frozen=True, slots=True)
class Adjustable:
    """An issued project of mine, with the adjustment on its way if there is one."""

    project: str
    year: int
    organisation: str
    goal_version_id: int  # the version in force
    version: int
    number: int
    amount: str | None
    open_status: str | None = None  # the adjustment's status, when one is on its way
    open_stage: str | None = None
    open_id: int | None = None
    open_version: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def adjustable(db: Database, *, actor: Actor, year: int | None = None) -> list[Adjustable]:
    """My organisations' issued projects (of `year`), each with any adjustment under way."""
    async with db.transaction() as session:
        organisations = await access.organisations_where(session, actor, Action.REQUEST_ADJUSTMENT)
        query = (
            select(GoalVersion, Project, Organisation)
            .join(Project, Project.id == GoalVersion.project_id)
            .join(Organisation, Organisation.id == Project.organisation_id)
            .where(
                GoalVersion.status == GoalVersionStatus.issued.value,
                Project.organisation_id.in_(organisations),
            )
            .order_by(Project.year.desc(), Organisation.code, Project.name)
        )
        if year is not None:
            query = query.where(Project.year == year)
        rows = (await session.execute(query)).all()
        open_ones = await _open_adjustments(session, [project.id for _, project, _ in rows])
        found = []
        for version, project, org in rows:
            pending = open_ones.get(project.id)
            found.append(
                Adjustable(
                    project.name,
                    project.year,
                    org.name,
                    version.id,
                    version.version,
                    version.number,
                    money_text(version.annual_amount),
                    pending.status if pending else None,
                    pending.stage if pending else None,
                    pending.id if pending else None,
                    pending.version if pending else None,
                )
            )
        return found


async def _open_adjustments(
    session: AsyncSession, project_ids: list[int | None]
) -> dict[int, GoalVersion]:
    """The adjustment under way of each of these projects, in one query."""
    if not project_ids:
        return {}
    versions = await session.scalars(
        select(GoalVersion)
        .where(
            GoalVersion.project_id.in_(project_ids),
            GoalVersion.kind == GoalVersionKind.adjustment.value,
            GoalVersion.status.in_(OPEN),
        )
        .order_by(GoalVersion.id.desc())
    )
    return {version.project_id: version for version in versions}  # the oldest one wins


async def _open_adjustment(session: AsyncSession, project_id: int | None) -> GoalVersion | None:
    return (
        await session.scalars(
            select(GoalVersion).where(
                GoalVersion.project_id == project_id,
                GoalVersion.kind == GoalVersionKind.adjustment.value,
                GoalVersion.status.in_(OPEN),
            )
        )
    ).first()


async def start_adjustment(
    db: Database, *, actor: Actor, goal_version_id: int, expected_version: int, now: dt.datetime
) -> DraftResult | Problem:
    """申请调整 pressed on an issued version (or 修改 on a returned adjustment): open the form.

    Refuses (AccessDenied, audited) people who may not adjust the project; returns a
    Problem when the version is no longer the one shown or another adjustment is under way.
    """
    async with db.transaction() as session:
        version = await session.get(GoalVersion, goal_version_id)
        project = await session.get(Project, version.project_id) if version else None
        scope = await access.project_scope(session, project.id if project else 0)
        await access.authorize(
            session,
            actor,
            Action.REQUEST_ADJUSTMENT,
            scope=scope,
            object_type="goal_version",
            object_id=goal_version_id,
        )
        assert version is not None and project is not None
        if version.version != expected_version:
            return Problem("adjustment_stale", {"status": version.status})
        fixing = (
            version.kind == GoalVersionKind.adjustment.value
            and version.status == GoalVersionStatus.returned.value
        )
        if not fixing:
            if version.status != GoalVersionStatus.issued.value:
                return Problem("adjustment_stale", {"status": version.status})
            pending = await _open_adjustment(session, project.id)
            if pending is not None:
                return Problem(
                    "adjustment_open", {"status": pending.status, "stage": pending.stage}
                )
        initial = await goals.answers_of(session, project, version)
        if fixing:  # a new adjustment asks for its reason first; a correction keeps it
            initial["adjustment_reason"] = version.adjustment_reason
        initial[META] = {
            **initial[META],
            "adjusting": goal_version_id,
            "fixing": fixing,
            "seen_version": expected_version,
        }
    assert actor.person_id is not None
    return await drafts.start_draft(
        db,
        person_id=actor.person_id,
        form_name=ADJUSTMENT_FORM,
        now=now,
        subject_type="goal_version",
        subject_id=goal_version_id,
        initial=initial,
    )


async def submit_adjustment(
    session: AsyncSession,
    *,
    person_id: int,
    draft: Any,
    answers: Answers,
    context: Any,
    now: dt.datetime,
) -> goals.SubmittedGoal:
    """The adjustment form's submit: the new (or corrected) version, into the chain."""
    actor = await load_actor(session, person_id=person_id)
    meta = draft.data.get(META) or {}
    project = await session.get(Project, meta.get("project_id"))
    if actor is None or project is None:
        raise AccessDenied(Action.REQUEST_ADJUSTMENT)
    scope = await access.project_scope(session, project.id or 0)
    await access.authorize(
        session,
        actor,
        Action.REQUEST_ADJUSTMENT,
        scope=scope,
        object_type="project",
        object_id=project.id,
    )
    if project.status != ProjectStatus.issued.value:
        raise SubmitRefused(Problem("project_changed", {"status": project.status}))
    version = await _target(session, project, meta, now)
    version.adjustment_reason = answers.get("adjustment_reason")
    # The form keeps the project's co-departments as they are; rows are rewritten with them.
    await goals.write_version(session, project, version, answers, context, now=now)
    entered = await goals.submit_goal(session, actor=actor, goal_version_id=version.id, now=now)
    if not entered.ok:
        raise SubmitRefused(Problem("project_changed", {"status": project.status}))
    return goals.SubmittedGoal(project.id, version.id, project.name, entered.next_stage or "")


async def _target(
    session: AsyncSession, project: Project, meta: dict[str, Any], now: dt.datetime
) -> GoalVersion:
    """The returned adjustment being corrected, or a new version n+1 of the project."""
    if meta.get("fixing"):
        version = await session.get(GoalVersion, meta["adjusting"])
        if (
            version is None
            or version.status != GoalVersionStatus.returned.value
            or version.version != meta.get("seen_version")
        ):
            raise SubmitRefused(Problem("adjustment_stale", {}))
        return version
    issued = await session.get(GoalVersion, meta["adjusting"])
    if issued is None or issued.status != GoalVersionStatus.issued.value:
        raise SubmitRefused(Problem("adjustment_stale", {}))
    if await _open_adjustment(session, project.id) is not None:
        raise SubmitRefused(Problem("adjustment_open", {}))
    number = await session.scalar(
        select(func.max(GoalVersion.number)).where(GoalVersion.project_id == project.id)
    )
    # Two adjustments submitted at the same moment collide on (project_id, number).
    version = GoalVersion(
        project_id=project.id,
        number=(number or 0) + 1,
        kind=GoalVersionKind.adjustment.value,
        created_at=now,
        updated_at=now,
    )
    session.add(version)
    await session.flush()
    return version


FORM = FormSpec(
    ADJUSTMENT_FORM,
    entries=(
        FieldSpec("adjustment_reason", Kind.text, parse_text),
        *(entry for entry in GOAL_FORM.entries if entry.name not in FIXED),
    ),
    validators=GOAL_FORM.validators,
    load_context=GOAL_FORM.load_context,
    context_reads=GOAL_FORM.context_reads,
    submit=submit_adjustment,
)
