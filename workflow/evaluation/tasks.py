"""Self-evaluation tasks as people see them: due dates, lists and cards.

A self-evaluation is due by the deadline rule `self_evaluation` (3 months after the year
ends, 03-31 of the next year, moved off a holiday; 暂定 when that year's holidays are not
loaded), counted from the event the rule's trigger names, as the reminder sweep counts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Organisation, Project, ReportStatus, SelfEvaluation
from workflow.calendar import triggers
from workflow.calendar.rules import SELF_EVALUATION, load_rules
from workflow.calendar.workdays import Deadline, load_calendar, years_around
from workflow.core import access
from workflow.core.access import AccessDenied, Action, Actor
from workflow.people.departments import department_name
from workflow.review.notices import money_text


def clock_start(year: int, trigger: str) -> dt.date:
    """The day the self-evaluation clock of `year` starts: the rule's event (year end)."""
    return triggers.budget_year_events(year).get(trigger, triggers.year_end(year))


async def due_of(session: AsyncSession, year: int) -> Deadline:
    """When the self-evaluation of a `year` project is due, by the `self_evaluation` rule."""
    rule = (await load_rules(session))[SELF_EVALUATION]
    start = clock_start(year, rule.trigger)
    calendar = await load_calendar(session, years=years_around(start))
    return rule.deadline(start, calendar)


@dataclass(frozen=True, slots=True)
class TaskLine:
    """One self-evaluation task in a list."""

    evaluation_id: int
    project_id: int
    project: str
    organisation: str
    year: int
    status: str
    due: dt.date
    provisional: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _line(
    evaluation: SelfEvaluation, project: Project, organisation: Organisation, due: Deadline
) -> TaskLine:
    return TaskLine(
        evaluation_id=evaluation.id or 0,
        project_id=project.id or 0,
        project=project.name,
        organisation=organisation.name,
        year=project.year,
        status=evaluation.status,
        due=due.due,
        provisional=due.provisional,
    )


async def list_tasks(db: Database, *, actor: Actor, year: int | None = None) -> list[TaskLine]:
    """The self-evaluations the actor may see (own department and units, or finance's scope)."""
    async with db.sessions() as session:
        allowed = await access.organisations_where(session, actor, Action.VIEW_EVALUATION)
        query = (
            select(SelfEvaluation, Project, Organisation)
            .join(Project, Project.id == SelfEvaluation.project_id)
            .join(Organisation, Organisation.id == Project.organisation_id)
            .where(Project.organisation_id.in_(allowed))
            .order_by(Project.year.desc(), Organisation.code, Project.name, SelfEvaluation.id)
        )
        if year is not None:
            query = query.where(Project.year == year)
        dues: dict[int, Deadline] = {}  # one deadline per budget year
        lines = []
        for evaluation, project, organisation in await session.execute(query):
            if project.year not in dues:
                dues[project.year] = await due_of(session, project.year)
            lines.append(_line(evaluation, project, organisation, dues[project.year]))
        return lines


@dataclass(frozen=True, slots=True)
class TaskCard:
    """A self-evaluation's card: the project, its year, when it is due, where it stands."""

    line: TaskLine
    department: str
    budget_initial: Decimal | None
    may_fill: bool = False  # the department's staff or head, while draft or returned

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["budget_initial"] = money_text(self.budget_initial)
        return data


async def authorized_evaluation(
    session: AsyncSession,
    actor: Actor,
    evaluation_id: int,
    action: Action = Action.VIEW_EVALUATION,
) -> SelfEvaluation:
    """The self-evaluation, when the actor may `action` on its project (AccessDenied if not)."""
    evaluation = await session.get(SelfEvaluation, evaluation_id)
    scope = await access.project_scope(session, evaluation.project_id if evaluation else 0)
    await access.authorize(
        session, actor, action, scope=scope, object_type="self_evaluation", object_id=evaluation_id
    )
    if evaluation is None:
        raise AccessDenied(action)
    return evaluation


async def task_card(db: Database, *, actor: Actor, evaluation_id: int) -> TaskCard:
    """The card of one self-evaluation task (AccessDenied when not the actor's to see)."""
    async with db.sessions() as session:
        evaluation = await authorized_evaluation(session, actor, evaluation_id)
        project = await session.get(Project, evaluation.project_id)
        assert project is not None
        organisation = await session.get(Organisation, project.organisation_id)
        assert organisation is not None
        due = await due_of(session, project.year)
        scope = await access.project_scope(session, project.id or 0)
        fillable = evaluation.status in (ReportStatus.draft.value, ReportStatus.returned.value)
        return TaskCard(
            line=_line(evaluation, project, organisation, due),
            department=await department_name(session, organisation),
            budget_initial=evaluation.budget_initial,
            may_fill=fillable and access.decide(actor, Action.FILL_SELF_EVALUATION, scope),
        )
