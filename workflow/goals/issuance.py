"""The budget section's view of a year, and issuance (批复下达) after the People's Congress.

`budget_overview` lists every project of the year with where its goals stand; a project is
marked 不予预算安排 only when it was closed so at issuance or missed the declaration deadline
(一上) without submitting (DOMAIN §2: goals not set or not submitted as required get no
budget); one still on its way through the chain is pending, not refused. `issue_year`
issues every approved version at once: each with the same conditional update as the
review chain (so a double confirmation issues nothing twice), the version it replaces
superseded, the project issued; projects still without an approved goal get the status
no_budget, and their goal versions still in the chain (a draft, one waiting at some stage,
one returned for correction) are closed as no_budget with a timeline entry, so no reviewer
acts on them and nobody resubmits them; every organisation concerned hears what was issued
and what was not, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    BudgetYear,
    GoalVersion,
    GoalVersionStatus,
    Organisation,
    Project,
    ProjectStatus,
    ReviewDecision,
    ReviewStage,
    ReviewStep,
    Role,
)
from storage.types import utcnow
from workflow.core import access, audit
from workflow.core.access import Action, Actor
from workflow.core.clock import local_day
from workflow.evaluation.prior import prior_result
from workflow.notify.queue import queue_for_people
from workflow.review.notices import GOAL, close_cards, money_text, settled_context
from workflow.review.people import organisation_people
from workflow.tracking.funds import latest_fund_actions

FUNDED = (GoalVersionStatus.approved.value, GoalVersionStatus.issued.value)
IN_CHAIN = (
    GoalVersionStatus.draft.value,
    GoalVersionStatus.in_review.value,
    GoalVersionStatus.returned.value,
)
SETTLED = (ProjectStatus.issued.value, ProjectStatus.withdrawn.value, ProjectStatus.no_budget.value)


@dataclass(frozen=True, slots=True)
class ProjectLine:
    """One project of the year as the budget section sees it."""

    project_id: int
    name: str
    organisation: str
    organisation_id: int
    status: str  # the project's
    stage: str | None  # where its newest version waits
    version_status: str | None
    goal_version_id: int | None
    amount: str | None
    no_budget: bool  # closed at issuance or missed the declaration deadline: 不予预算安排
    adjusting: bool = False  # an adjustment is on its way through the chain
    funded: bool = False  # has an approved or issued goal

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Overview:
    """The year's projects, and how many are ready to be issued."""

    year: int
    lines: list[ProjectLine]
    fund_actions: dict[int, dict[str, Any]] = field(default_factory=dict)  # newest, by project
    # Last year's result of each continuing project (grade, problems, rectification, decision).
    priors: dict[int, dict[str, Any]] = field(default_factory=dict)
    congress_date: dt.date | None = None  # 人代会, when set for the year
    before_congress: bool = False  # issuance must wait for it

    @property
    def ready(self) -> list[ProjectLine]:
        return [line for line in self.lines if line.version_status == "approved"]

    @property
    def unfunded(self) -> list[ProjectLine]:
        return [line for line in self.lines if line.no_budget]

    @property
    def closing(self) -> list[ProjectLine]:
        """Projects an issuance now would close as 不予预算安排 (no approved goal yet)."""
        return [line for line in self.lines if not line.funded and line.status not in SETTLED]


def _missed_deadline(versions: list[GoalVersion], deadline: dt.date | None, today: dt.date) -> bool:
    """No goal submitted by the declaration deadline (一上), once that deadline has passed."""
    if deadline is None or today <= deadline:
        return False
    submitted = [local_day(v.submitted_at) for v in versions if v.submitted_at is not None]
    return not submitted or min(submitted) > deadline


async def _lines(session: AsyncSession, year: int, now: dt.datetime) -> list[ProjectLine]:
    budget_year = await session.get(BudgetYear, year)
    deadline = budget_year.goal_submission_date if budget_year is not None else None
    today = local_day(now)
    rows = await session.execute(
        select(Project, Organisation)
        .join(Organisation, Organisation.id == Project.organisation_id)
        .where(Project.year == year, Project.status != ProjectStatus.withdrawn.value)
        .order_by(Organisation.code, Project.name)
    )
    projects = [tuple(row) for row in rows]
    versions: dict[int, list[GoalVersion]] = defaultdict(list)
    ids = [project.id for project, _ in projects]
    if ids:
        for version in await session.scalars(
            select(GoalVersion).where(GoalVersion.project_id.in_(ids)).order_by(GoalVersion.number)
        ):
            versions[version.project_id].append(version)
    lines = []
    for project, org in projects:
        mine = versions.get(project.id, [])
        newest = mine[-1] if mine else None
        waiting = next((v for v in mine if v.status == "approved"), None)
        in_force = next((v for v in mine if v.status == "issued"), None)
        shown = waiting or in_force or newest
        funded = any(v.status in FUNDED for v in mine)
        lines.append(
            ProjectLine(
                project_id=project.id,
                name=project.name,
                organisation=org.name,
                organisation_id=org.id,
                status=project.status,
                stage=shown.stage if shown else None,
                version_status=shown.status if shown else None,
                goal_version_id=shown.id if shown else None,
                amount=money_text(shown.annual_amount) if shown else None,
                no_budget=project.status == ProjectStatus.no_budget.value
                or (not funded and _missed_deadline(mine, deadline, today)),
                adjusting=any(v.kind == "adjustment" and v.status not in FUNDED for v in mine)
                and project.status == ProjectStatus.issued.value,
                funded=funded,
            )
        )
    return lines


async def budget_overview(
    db: Database, *, actor: Actor, year: int, now: dt.datetime | None = None
) -> Overview:
    """Every project of `year` and where its goals stand (the budget section's list)."""
    async with db.transaction() as session:
        await access.authorize(session, actor, Action.REVIEW_BUDGET, object_type="budget_year")
        lines = await _lines(session, year, now or utcnow())
        funds = await latest_fund_actions(session, [line.project_id for line in lines])
        priors = {}
        for line in lines:
            prior = await prior_result(session, line.project_id)
            if prior is not None:
                priors[line.project_id] = prior
        budget_year = await session.get(BudgetYear, year)
        congress = budget_year.congress_date if budget_year is not None else None
        early = congress is not None and local_day(now or utcnow()) < congress
        return Overview(year, lines, funds, priors, congress, early)


@dataclass(frozen=True, slots=True)
class Issued:
    """What one issuance did."""

    year: int
    issued: list[ProjectLine] = field(default_factory=list)
    no_budget: list[ProjectLine] = field(default_factory=list)
    stale: bool = False  # the confirmation counted another number of approved goals
    already_at: dt.datetime | None = None  # pressed again: the year was issued then
    congress_date: dt.date | None = None  # set when refused: the 人代会 has not met yet


async def issue_year(
    db: Database, *, actor: Actor, year: int, expected: int, now: dt.datetime | None = None
) -> Issued:
    """Issue every approved goal of `year` (批复下达), once; `expected` is the count shown."""
    now = now or utcnow()
    async with db.transaction() as session:
        await access.authorize(
            session, actor, Action.ISSUE_GOALS, object_type="budget_year", object_id=year
        )
        budget_year = await session.get(BudgetYear, year)
        congress = budget_year.congress_date if budget_year is not None else None
        if congress is not None and local_day(now) < congress:
            # Goals are issued with the budget the People's Congress approved (notice 第三部分).
            return Issued(year, congress_date=congress)
        lines = await _lines(session, year, now)
        ready = [line for line in lines if line.version_status == "approved"]
        if len(ready) != expected:
            budget_year = await session.get(BudgetYear, year)
            if not ready and budget_year is not None and budget_year.issued_at is not None:
                return Issued(year, already_at=budget_year.issued_at)  # a second press
            return Issued(year, stale=True)
        issued = [line for line in ready if await _issue_one(session, actor, line, now)]
        unfunded = [
            line
            for line in lines
            if not line.funded
            and line.status not in SETTLED
            and await _no_budget(session, actor, line, now)
        ]
        if budget_year is not None and budget_year.issued_at is None and issued:
            budget_year.issued_at = now
        audit.record(
            session,
            action=Action.ISSUE_GOALS.value,
            actor_id=actor.person_id,
            object_type="budget_year",
            object_id=year,
            detail={
                "issued": [line.goal_version_id for line in issued],
                "no_budget": [line.project_id for line in unfunded],
            },
        )
        await _tell_organisations(session, year, issued, unfunded, now)
        return Issued(year, issued, unfunded)


async def _issue_one(
    session: AsyncSession, actor: Actor, line: ProjectLine, now: dt.datetime
) -> bool:
    """Issue one approved version (exactly once) and supersede the one it replaces."""
    version = await session.get(GoalVersion, line.goal_version_id)
    assert version is not None
    table = GoalVersion.__table__
    changed = await session.execute(
        update(table)
        .where(
            table.c.id == version.id,
            table.c.version == version.version,
            table.c.status == GoalVersionStatus.approved.value,
        )
        .values(
            status=GoalVersionStatus.issued.value,
            stage=None,
            issued_at=now,
            version=version.version + 1,
            updated_at=now,
        )
    )
    if changed.rowcount != 1:
        return False
    await session.execute(
        update(table)
        .where(
            table.c.project_id == line.project_id,
            table.c.id != version.id,
            table.c.status == GoalVersionStatus.issued.value,
        )
        .values(status=GoalVersionStatus.superseded.value, updated_at=now)
    )
    await session.execute(
        update(Project.__table__)
        .where(Project.__table__.c.id == line.project_id)
        .values(
            status=ProjectStatus.issued.value,
            version=Project.__table__.c.version + 1,
            updated_at=now,
        )
    )
    session.add(_issuance_step(version, actor, ReviewDecision.issue, now))
    return True


def _issuance_step(
    version: GoalVersion, actor: Actor, decision: ReviewDecision, now: dt.datetime
) -> ReviewStep:
    """The timeline entry of what issuance did to a version."""
    assert version.id is not None
    return ReviewStep(
        item_kind=GOAL,
        item_id=version.id,
        stage=ReviewStage.issuance.value,
        decision=decision.value,
        actor_id=actor.person_id,
        role=Role.budget.value,
        created_at=now,
    )


async def _no_budget(
    session: AsyncSession, actor: Actor, line: ProjectLine, now: dt.datetime
) -> bool:
    """Mark a project without an approved goal 不予预算安排 (once); close its open versions."""
    table = Project.__table__
    changed = await session.execute(
        update(table)
        .where(table.c.id == line.project_id, table.c.status.not_in(SETTLED))
        .values(status=ProjectStatus.no_budget.value, version=table.c.version + 1, updated_at=now)
    )
    if changed.rowcount != 1:
        return False
    open_versions = await session.scalars(
        select(GoalVersion).where(
            GoalVersion.project_id == line.project_id, GoalVersion.status.in_(IN_CHAIN)
        )
    )
    versions = GoalVersion.__table__
    for version in list(open_versions):
        closed = await session.execute(
            update(versions)
            .where(versions.c.id == version.id, versions.c.version == version.version)
            .values(
                status=GoalVersionStatus.no_budget.value,
                stage=None,
                version=version.version + 1,
                updated_at=now,
            )
        )
        if closed.rowcount != 1:
            continue
        session.add(_issuance_step(version, actor, ReviewDecision.no_budget, now))
        settled = settled_context(
            actor=actor,
            decision=ReviewDecision.no_budget,
            stage=ReviewStage.issuance.value,
            now=now,
            status=GoalVersionStatus.no_budget.value,
            next_stage=None,
        )
        assert version.id is not None
        await close_cards(session, version.id, version.version, settled=settled)
    return True


async def _tell_organisations(
    session: AsyncSession,
    year: int,
    issued: list[ProjectLine],
    unfunded: list[ProjectLine],
    now: dt.datetime,
) -> None:
    """Each organisation's staff and heads hear what of theirs was issued and what was not."""
    by_org: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"issued": [], "no_budget": []}
    )
    for line in issued:
        by_org[line.organisation_id]["issued"].append(line.as_dict())
    for line in unfunded:
        by_org[line.organisation_id]["no_budget"].append(line.as_dict())
    for organisation_id, lists in by_org.items():
        # Keyed by what this issuance did: a second, concurrent one did something else.
        done = [f"v{line['goal_version_id']}" for line in lists["issued"]]
        done += [f"p{line['project_id']}" for line in lists["no_budget"]]
        digest = hashlib.sha256(",".join(done).encode()).hexdigest()[:16]
        queue_for_people(
            session,
            await organisation_people(session, organisation_id),
            template="goals_issued",
            context={"year": year, "organisation": _name(lists), **lists},
            dedupe_prefix=f"issue:{year}:{organisation_id}:{digest}",
        )


def _name(lists: dict[str, list[dict[str, Any]]]) -> str:
    first = (lists["issued"] or lists["no_budget"])[0]
    return str(first["organisation"])
