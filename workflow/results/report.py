"""Finance's evaluation report (财预〔2011〕285号 outline) and its issue to the department.

Issuing the report of a finance evaluation is one conditional update (a double press issues
nothing twice) that opens a rectification request in the same transaction: the department
owes a rectification plan within 30 calendar days (rule `rectification_plan`, counted from
the report's arrival, moved off a holiday), for key evaluations and spot checks alike. The
department is told with two buttons: the report (generated on demand from the data, so it
is always the one on record) and the plan form. `report_facts` gathers what the .docx shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    EvaluationScore,
    EvaluationSelection,
    FinanceEvaluation,
    FinanceScore,
    GoalVersion,
    Indicator,
    Organisation,
    Project,
    RectificationRequest,
    RectificationSource,
    SelfEvaluation,
)
from storage.models.enums import FinanceCheck
from storage.types import utcnow
from workflow.calendar.rules import RECTIFICATION_PLAN, load_rules
from workflow.calendar.workdays import load_calendar, years_around
from workflow.core import access, audit
from workflow.core.access import AccessDenied, Action, Actor
from workflow.core.clock import local_day
from workflow.forms.spec import Problem
from workflow.notify.queue import queue_for_people
from workflow.people.departments import department_name
from workflow.review.notices import money_text
from workflow.tracking.tasks import responsible_people

SOURCES = {True: RectificationSource.evaluation.value, False: RectificationSource.spot_check.value}


def _tags(evaluation: FinanceEvaluation) -> list[str]:
    return evaluation.problem_tags.split(",") if evaluation.problem_tags else []


@dataclass(frozen=True, slots=True)
class ReportIssued:
    """What finance is told after 📤: the request opened and when the plan is due."""

    request_id: int
    project: str
    due: dt.date
    provisional: bool


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """Everything the evaluation report shows, as plain data."""

    project: str
    year: int
    organisation: str
    department: str
    check: str
    source: str
    reason: str | None
    annual_amount: Decimal | None
    budget: Decimal | None
    executed: Decimal | None
    department_total: Decimal | None
    department_grade: str | None
    finance_total: Decimal | None
    finance_grade: str | None
    tags: tuple[str, ...]
    other_problem: str | None
    conclusions: str | None
    issued_at: dt.datetime | None
    rows: list[dict[str, Any]] = field(default_factory=list)


async def _finance_evaluation(
    session: AsyncSession, actor: Actor, selection_id: int, action: Action
) -> tuple[EvaluationSelection, FinanceEvaluation]:
    selection = await session.get(EvaluationSelection, selection_id)
    scope = await access.project_scope(session, selection.project_id if selection else 0)
    await access.authorize(
        session,
        actor,
        action,
        scope=scope,
        object_type="evaluation_selection",
        object_id=selection_id,
    )
    evaluation = await session.scalar(
        select(FinanceEvaluation).where(FinanceEvaluation.selection_id == selection_id)
    )
    if selection is None or evaluation is None:
        raise AccessDenied(action)
    return selection, evaluation


async def issue_report(
    db: Database, *, actor: Actor, selection_id: int, now: dt.datetime | None = None
) -> ReportIssued | Problem:
    """📤 出具报告: the department gets the report and owes a plan within 30 days, once."""
    now = now or utcnow()
    async with db.transaction() as session:
        selection, evaluation = await _finance_evaluation(
            session, actor, selection_id, Action.SELECT_FINANCE_CHECK
        )
        table = FinanceEvaluation.__table__
        moved = await session.execute(
            update(table)
            .where(table.c.id == evaluation.id, table.c.report_issued_at.is_(None))
            .values(report_issued_at=now)
        )
        project = await session.get(Project, selection.project_id)
        assert project is not None
        if moved.rowcount != 1:
            return Problem("report_already_issued", {"project": project.name})
        rules = await load_rules(session)
        calendar = await load_calendar(session, years=years_around(local_day(now)))
        deadline = rules[RECTIFICATION_PLAN].deadline(local_day(now), calendar)
        key = selection.check_kind == FinanceCheck.key_evaluation.value
        request = RectificationRequest(
            project_id=project.id or 0,
            source=(
                RectificationSource.evaluation if key else RectificationSource.spot_check
            ).value,
            self_evaluation_id=evaluation.self_evaluation_id,
            problem_types=evaluation.problem_tags,
            content=evaluation.conclusions or "",
            issued_by_id=actor.person_id,
            issued_at=now,
            due_date=deadline.due,
            due_provisional=deadline.provisional,
        )
        session.add(request)
        await session.flush()
        await session.execute(
            update(table)
            .where(table.c.id == evaluation.id)
            .values(rectification_request_id=request.id)
        )
        queue_for_people(
            session,
            await responsible_people(session, project.organisation_id),
            template="evaluation_report_issued",
            context={
                "project": project.name,
                "year": project.year,
                "check": selection.check_kind,
                "total": money_text(evaluation.total_score),
                "grade": evaluation.grade,
                "tags": (evaluation.problem_tags or "").split(",")
                if evaluation.problem_tags
                else [],
                "due": deadline.due,
                "provisional": deadline.provisional,
            },
            buttons=[
                [("finance_report", {"results": ["w", selection_id]})],
                [("rectification_plan", {"results": ["p", request.id]})],
            ],
            dedupe_prefix=f"evaluation-report:{selection_id}",
        )
        audit.record(
            session,
            action="evaluation_report_issued",
            actor_id=actor.person_id,
            object_type="project",
            object_id=project.id,
            detail={"request": request.id, "due": deadline.due.isoformat()},
        )
        return ReportIssued(request.id or 0, project.name, deadline.due, deadline.provisional)


async def report_facts(db: Database, *, actor: Actor, selection_id: int) -> ReportFacts:
    """The report's data: finance any time; the project's department once it was issued."""
    async with db.sessions() as session:
        selection = await session.get(EvaluationSelection, selection_id)
        if selection is None:
            raise AccessDenied(Action.VIEW_EVALUATION)
        finance = access.decide(actor, Action.SELECT_FINANCE_CHECK)
        action = Action.SELECT_FINANCE_CHECK if finance else Action.VIEW_EVALUATION
        selection, evaluation = await _finance_evaluation(session, actor, selection_id, action)
        if not finance and evaluation.report_issued_at is None:
            raise AccessDenied(action)  # the department sees it once it was sent to it
        return await _facts(session, selection, evaluation)


async def _facts(
    session: AsyncSession, selection: EvaluationSelection, evaluation: FinanceEvaluation
) -> ReportFacts:
    project = await session.get(Project, selection.project_id)
    department_eval = await session.get(SelfEvaluation, evaluation.self_evaluation_id)
    assert project is not None and department_eval is not None
    organisation = await session.get(Organisation, project.organisation_id)
    version = await session.get(GoalVersion, department_eval.goal_version_id)
    assert organisation is not None and version is not None
    reasons = {
        row.indicator_id: row.deviation_reason
        for row in await session.scalars(
            select(EvaluationScore).where(EvaluationScore.self_evaluation_id == department_eval.id)
        )
    }
    scored = await session.execute(
        select(FinanceScore, Indicator)
        .outerjoin(Indicator, Indicator.id == FinanceScore.indicator_id)
        .where(FinanceScore.finance_evaluation_id == evaluation.id)
        .order_by(FinanceScore.indicator_id.is_not(None), Indicator.position, Indicator.id)
    )
    rows = [
        {
            "level1": indicator.level1 if indicator else None,
            "name": indicator.name if indicator else None,
            "target": None
            if indicator is None
            else indicator.target_text
            or f"{indicator.sign} {format((indicator.target_value or Decimal(0)).normalize(), 'f')}"
            f"{indicator.unit or ''}",
            "weight": score.weight,
            "department_score": score.department_score,
            "score": score.score,
            "applicable": score.applicable,
            "reason": reasons.get(score.indicator_id) if indicator else None,
        }
        for score, indicator in scored
    ]
    return ReportFacts(
        project=project.name,
        year=project.year,
        organisation=organisation.name,
        department=await department_name(session, organisation),
        check=selection.check_kind,
        source=selection.source,
        reason=selection.reason,
        annual_amount=version.annual_amount,
        budget=department_eval.budget_full_year,
        executed=department_eval.executed,
        department_total=evaluation.department_total,
        department_grade=department_eval.grade,
        finance_total=evaluation.total_score,
        finance_grade=evaluation.grade,
        tags=tuple(_tags(evaluation)),
        other_problem=evaluation.other_problem,
        conclusions=evaluation.conclusions,
        issued_at=evaluation.report_issued_at,
        rows=rows,
    )
