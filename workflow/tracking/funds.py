"""Fund actions (DOMAIN §2.6): the budget section suspends, stops or recovers a project's funds.

暂缓拨付 / 停止拨付 / 追回 carry an amount in 万元 (exact Decimal, > 0, at most the project's
annual amount; a recovery at most what was spent when a tracking report gives 1-9 月执行数)
and a required reason; 解除暂缓 lifts the last suspension and is recorded as its own row.
The department's staff and heads and its business section hear of it in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    FundAction,
    FundActionKind,
    GoalVersion,
    GoalVersionStatus,
    Project,
    ProjectStatus,
    TrackingReport,
)
from storage.types import utcnow
from workflow.core import access, audit
from workflow.core.access import Action, Actor
from workflow.forms.spec import Problem
from workflow.notify.queue import queue_for_people
from workflow.review.notices import money_text
from workflow.review.people import organisation_people, people_who_may

WITH_AMOUNT = (FundActionKind.suspend, FundActionKind.stop, FundActionKind.recover)
# The letter of each kind in a fund button's callback data (tk:f:<letter>:<project>).
BUTTON_CODES = {
    FundActionKind.suspend: "s",
    FundActionKind.stop: "t",
    FundActionKind.recover: "r",
    FundActionKind.resume: "u",
}
REASON_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class FundLimits:
    """What bounds a fund action on one project."""

    project_id: int
    project: str
    organisation_id: int
    annual: Decimal | None  # the issued version's annual amount
    executed: Decimal | None  # 1-9 月执行数 of the newest tracking report that gives it
    suspended: Decimal | None  # the suspension still in force, if any

    def limit(self, kind: FundActionKind) -> Decimal | None:
        """The most `kind` may be for; None when the project has no issued budget."""
        if kind is FundActionKind.recover and self.executed is not None:
            return self.executed
        return self.annual


def check_action(
    limits: FundLimits, kind: FundActionKind, amount: Decimal | None, reason: str | None
) -> Problem | None:
    """Why this action cannot be recorded, or None; pure."""
    if kind is FundActionKind.resume:
        if limits.suspended is None:
            return Problem("fund_nothing_to_resume")
    else:
        limit = limits.limit(kind)
        if limit is None:
            return Problem("fund_not_issued")
        if amount is None or amount <= 0:
            return Problem("fund_amount_positive", field="amount")
        if amount > limit:
            code = (
                "fund_over_executed"
                if kind is FundActionKind.recover and limits.executed is not None
                else "fund_over_annual"
            )
            return Problem(code, {"limit": money_text(limit)}, field="amount")
    if not (reason or "").strip():
        return Problem("fund_reason_required", field="reason")
    return None


async def fund_limits(session: AsyncSession, project_id: int) -> FundLimits | None:
    """The bounds of a fund action on the project; None when there is no such project."""
    project = await session.get(Project, project_id)
    if project is None:
        return None
    annual = await session.scalar(
        select(GoalVersion.annual_amount).where(
            GoalVersion.project_id == project_id,
            GoalVersion.status == GoalVersionStatus.issued.value,
        )
    )
    executed = await session.scalar(
        select(TrackingReport.executed_to_date)
        .where(
            TrackingReport.project_id == project_id,
            TrackingReport.executed_to_date.is_not(None),
        )
        .order_by(TrackingReport.period_end.desc(), TrackingReport.id.desc())
        .limit(1)
    )
    last = await session.scalar(
        select(FundAction)
        .where(
            FundAction.project_id == project_id,
            FundAction.action.in_([FundActionKind.suspend.value, FundActionKind.resume.value]),
        )
        .order_by(FundAction.id.desc())
        .limit(1)
    )
    suspended = last.amount if last and last.action == FundActionKind.suspend.value else None
    funded = project.status == ProjectStatus.issued.value
    return FundLimits(
        project_id=project_id,
        project=project.name,
        organisation_id=project.organisation_id,
        annual=annual if funded else None,
        executed=executed,
        suspended=suspended,
    )


async def authorized_limits(session: AsyncSession, actor: Actor, project_id: int) -> FundLimits:
    """The project's limits, when the actor may act on its funds (AccessDenied otherwise)."""
    scope = await access.project_scope(session, project_id)
    await access.authorize(
        session, actor, Action.FUND_ACTION, scope=scope, object_type="project", object_id=project_id
    )
    limits = await fund_limits(session, project_id)
    if limits is None:
        raise access.AccessDenied(Action.FUND_ACTION)
    return limits


@dataclass(frozen=True, slots=True)
class FundResult:
    """A recorded fund action, or why none was."""

    problem: Problem | None = None
    action_id: int | None = None
    kind: str | None = None
    project: str | None = None
    amount: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


async def record_in_session(
    session: AsyncSession,
    *,
    actor: Actor,
    project_id: int,
    kind: FundActionKind,
    amount: Decimal | None,
    reason: str | None,
    now: dt.datetime,
) -> FundResult:
    """Check and record one fund action, and tell who must know, in the caller's transaction."""
    limits = await authorized_limits(session, actor, project_id)
    problem = check_action(limits, kind, amount, reason)
    if problem is not None:
        return FundResult(problem)
    if kind is FundActionKind.resume:
        amount = limits.suspended
    row = FundAction(
        project_id=project_id,
        action=kind.value,
        amount=amount,
        reason=(reason or "").strip(),
        decided_by_id=actor.person_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        action=Action.FUND_ACTION.value,
        actor_id=actor.person_id,
        object_type="project",
        object_id=project_id,
        detail={"kind": kind.value, "amount": str(amount), "fund_action_id": row.id},
    )
    scope = await access.project_scope(session, project_id)
    people = await organisation_people(session, limits.organisation_id)
    if scope.department_id not in (None, limits.organisation_id):
        people += await organisation_people(session, scope.department_id)
    people += await people_who_may(session, Action.REVIEW_BUSINESS, scope)
    queue_for_people(
        session,
        people,
        template="fund_action_notice",
        context={
            "project": limits.project,
            "kind": kind.value,
            "amount": money_text(amount),
            "reason": row.reason,
            "by": actor.name,
        },
        dedupe_prefix=f"fund:{row.id}",
    )
    return FundResult(
        action_id=row.id, kind=kind.value, project=limits.project, amount=money_text(amount)
    )


async def record_fund_action(
    db: Database,
    *,
    actor: Actor,
    project_id: int,
    kind: FundActionKind,
    amount: Decimal | None,
    reason: str | None,
    now: dt.datetime | None = None,
) -> FundResult:
    """暂缓 / 停止 / 追回 / 解除暂缓 on a project, checked and recorded once."""
    async with db.transaction() as session:
        return await record_in_session(
            session,
            actor=actor,
            project_id=project_id,
            kind=kind,
            amount=amount,
            reason=reason,
            now=now or utcnow(),
        )


async def latest_fund_actions(
    session: AsyncSession, project_ids: list[int]
) -> dict[int, dict[str, Any]]:
    """The newest fund action of each project, as plain data for cards and lists."""
    if not project_ids:
        return {}
    rows = await session.scalars(
        select(FundAction)
        .where(FundAction.project_id.in_(project_ids))
        .order_by(FundAction.project_id, FundAction.id)
    )
    latest: dict[int, dict[str, Any]] = {}
    for row in rows:
        latest[row.project_id] = {
            "kind": row.action,
            "amount": money_text(row.amount),
            "reason": row.reason,
            "at": row.created_at,
        }
    return latest


async def tell_budget_section(
    session: AsyncSession,
    *,
    project_id: int,
    kind: FundActionKind,
    template: str,
    context: dict[str, Any],
    dedupe_prefix: str,
) -> None:
    """Ask the budget section to decide on `kind` for a project, with the button that opens it."""
    scope = await access.project_scope(session, project_id)
    queue_for_people(
        session,
        await people_who_may(session, Action.FUND_ACTION, scope),
        template=template,
        context=context,
        buttons=[[(f"fund_{kind.value}", {"tracking": ["f", BUTTON_CODES[kind], project_id]})]],
        dedupe_prefix=dedupe_prefix,
    )
