"""The goal version as a reviewable kind: its route, its project mirror, its expert check.

The route (DOMAIN §2) is derived from the project:

    department        head → business → performance → budget
    unit              head → supervisor (its department) → business → performance → budget
    shared project    lead (the lead department's head, who declares for all) → … as above
    key project       the same; experts give opinions while it waits at the performance
                      stage, and the performance section decides only once one is in

After the budget section approves, the version waits at the `issuance` stage until the
budget section issues the year's goals (`workflow.goals.issuance`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import (
    GoalVersion,
    GoalVersionKind,
    GoalVersionStatus,
    Organisation,
    OrgKind,
    Project,
    ProjectStatus,
    ReviewStage,
)
from workflow.core.access import Action
from workflow.review import notices
from workflow.review.kinds import Item, ReviewKind, Statuses, Templates, register
from workflow.review.records import GOAL, Outcome, round_opinions

# The project shows how its initial version fares in the chain.
PROJECT_STATUS = {
    GoalVersionStatus.draft.value: ProjectStatus.draft,
    GoalVersionStatus.in_review.value: ProjectStatus.in_review,
    GoalVersionStatus.returned.value: ProjectStatus.returned,
    GoalVersionStatus.approved.value: ProjectStatus.approved,
}


def stages_for(project: Project, organisation: Organisation) -> tuple[ReviewStage, ...]:
    """The stages a goal version of `project` passes, in order."""
    chain = [ReviewStage.lead if project.is_shared else ReviewStage.head]
    if organisation.kind == OrgKind.unit.value:
        chain.append(ReviewStage.supervisor)
    chain += [ReviewStage.business, ReviewStage.performance, ReviewStage.budget]
    return tuple(chain)


def needs_experts(project: Project) -> bool:
    """Key projects collect expert opinions at the performance stage."""
    return project.is_key


async def set_project_status(
    session: AsyncSession, item: Item, status: str, now: dt.datetime
) -> None:
    """Mirror the initial version's progress on the project (adjustments leave it issued)."""
    if item.row.kind == GoalVersionKind.adjustment.value or status not in PROJECT_STATUS:
        return
    table = Project.__table__
    await session.execute(
        update(table)
        .where(table.c.id == item.project.id)
        .values(status=PROJECT_STATUS[status].value, version=table.c.version + 1, updated_at=now)
    )
    set_committed_value(item.project, "status", PROJECT_STATUS[status].value)
    set_committed_value(item.project, "version", item.project.version + 1)


async def experts_heard(session: AsyncSession, item: Item, stage: ReviewStage) -> str | None:
    """A key project is approved at the performance stage only after an expert opinion; a
    continuing project with last year's rectification open, only once acknowledged."""
    if (
        stage is ReviewStage.performance
        and needs_experts(item.project)
        and not await round_opinions(session, item.id)
    ):
        return Outcome.awaiting_experts.value
    from workflow.review.precondition import precondition_check  # reads evaluation results

    return await precondition_check(session, item, stage)


GOAL_KIND = register(
    ReviewKind(
        name=GOAL,
        code="",  # bare ids: the buttons sent before there were other kinds keep working
        table=GoalVersion,
        route=lambda item: stages_for(item.project, item.organisation),
        statuses=Statuses(
            waiting=GoalVersionStatus.in_review.value,
            returned=GoalVersionStatus.returned.value,
            approved=GoalVersionStatus.approved.value,
            submittable=(GoalVersionStatus.draft.value, GoalVersionStatus.returned.value),
        ),
        fix_action=Action.DECLARE_GOAL,
        rest_stage=ReviewStage.issuance,
        templates=Templates(
            card="review_card",
            outcome="review_outcome",
            item="review_item",
            history="review_history",
        ),
        describe=notices.item_context,
        on_moved=set_project_status,
        approve_check=experts_heard,
        amount=lambda row: notices.money_text(row.annual_amount),
        submitted_audit="goal_submitted",
    )
)
