"""Budget linkage (结果运用, notice 第六部分): every project of a year gets a recommendation for
next year's budget from its grade in force, and the budget section records its decision.

The grade in force is finance's where finance evaluated the project, else the department's
self-evaluation (submitted or accepted). 优/良 → 优先保障, 中 → 适度调整, 差 → 削减或取消; a
project with problem types tagged or a rectification still open is flagged whatever its
grade. The decision (维持 / 调整金额 / 削减 / 取消, with a reason) is a short form, one row per
project, the latest decision in force; every decision is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    BudgetLinkage,
    FinanceEvaluation,
    FormDraft,
    GoalVersion,
    GoalVersionStatus,
    Project,
    ProjectStatus,
    RectificationRequest,
    SelfEvaluation,
)
from storage.models.enums import Grade, LinkageDecision, LinkageRecommendation
from workflow.core import access, audit
from workflow.core.access import AccessDenied, Action, Actor
from workflow.evaluation.prior import OPEN_RECTIFICATION, RESULT_STATUSES
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult
from workflow.forms.parsers import parse_money, parse_text
from workflow.forms.spec import META, Answers, Choice, FieldSpec, FormSpec, Kind, Problem
from workflow.people.departments import department_of
from workflow.people.persons import load_actor

LINKAGE_FORM = "budget_linkage"
RECOMMENDED = {
    Grade.excellent.value: LinkageRecommendation.priority.value,
    Grade.good.value: LinkageRecommendation.priority.value,
    Grade.average.value: LinkageRecommendation.adjust.value,
    Grade.poor.value: LinkageRecommendation.cut.value,
}


def recommend(grade: str | None) -> str | None:
    """The recommendation a grade gives (None without a result)."""
    return RECOMMENDED.get(grade or "")


@dataclass(frozen=True, slots=True)
class LinkageLine:
    """One project of the year as the budget section weighs it."""

    project_id: int
    project: str
    department: str
    annual: Decimal | None
    grade: str | None
    total: Decimal | None
    graded_by: str | None  # "finance" or "self"
    tags: tuple[str, ...]
    open_rectifications: int
    recommendation: str | None
    decision: str | None
    amount: Decimal | None
    reason: str | None
    self_total: Decimal | None = None
    self_problems: str | None = None  # the department's own 存在问题
    finance_total: Decimal | None = None

    @property
    def flagged(self) -> bool:
        """Problems tagged or a rectification open: look closer whatever the grade."""
        return bool(self.tags) or self.open_rectifications > 0


async def _evaluations(
    session: AsyncSession, project_id: int
) -> tuple[FinanceEvaluation | None, SelfEvaluation | None]:
    """Finance's newest evaluation of a project and the department's submitted one."""
    finance = await session.scalar(
        select(FinanceEvaluation)
        .where(FinanceEvaluation.project_id == project_id)
        .order_by(FinanceEvaluation.id.desc())
        .limit(1)
    )
    own = await session.scalar(
        select(SelfEvaluation).where(
            SelfEvaluation.project_id == project_id, SelfEvaluation.status.in_(RESULT_STATUSES)
        )
    )
    return finance, own


def _in_force(
    finance: FinanceEvaluation | None, own: SelfEvaluation | None
) -> tuple[str | None, Decimal | None, str | None, tuple[str, ...]]:
    """(grade, total, by whom, tags) in force: finance's over the department's."""
    if finance is not None:
        tags = tuple(finance.problem_tags.split(",")) if finance.problem_tags else ()
        return finance.grade, finance.total_score, "finance", tags
    if own is None:
        return None, None, None, ()
    return own.grade, own.total_score, "self", ()


async def line_of(session: AsyncSession, project: Project) -> LinkageLine:
    """The linkage line of one project."""
    finance, own = await _evaluations(session, project.id or 0)
    grade, total, by, tags = _in_force(finance, own)
    open_requests = await session.scalar(
        select(func.count())
        .select_from(RectificationRequest)
        .where(
            RectificationRequest.project_id == project.id,
            RectificationRequest.status.in_(OPEN_RECTIFICATION),
        )
    )
    decided = await session.scalar(
        select(BudgetLinkage).where(BudgetLinkage.project_id == project.id)
    )
    annual = await session.scalar(
        select(GoalVersion.annual_amount).where(
            GoalVersion.project_id == project.id,
            GoalVersion.status == GoalVersionStatus.issued.value,
        )
    )
    department = await department_of(session, project.organisation_id)
    return LinkageLine(
        project_id=project.id or 0,
        project=project.name,
        department=department.name if department else "",
        annual=annual,
        grade=grade,
        total=total,
        graded_by=by,
        tags=tags,
        open_rectifications=int(open_requests or 0),
        recommendation=recommend(grade),
        decision=decided.decision if decided else None,
        amount=decided.amount if decided else None,
        reason=decided.reason if decided else None,
        self_total=own.total_score if own else None,
        self_problems=own.problems if own else None,
        finance_total=finance.total_score if finance else None,
    )


async def linkage_lines(db: Database, *, actor: Actor, year: int) -> list[LinkageLine]:
    """Every issued project of `year`, worst first (差 before 中 before 良/优, unrated last)."""
    async with db.sessions() as session:
        await access.authorize(session, actor, Action.REVIEW_BUDGET, scope=access.BUREAU)
        projects = await session.scalars(
            select(Project)
            .where(Project.year == year, Project.status == ProjectStatus.issued.value)
            .order_by(Project.id)
        )
        lines = [await line_of(session, project) for project in projects]
    order = {Grade.poor.value: 0, Grade.average.value: 1, Grade.good.value: 2}
    return sorted(lines, key=lambda line: order.get(line.grade or "", 3 if line.grade else 4))


def amount_needed(answers: Answers) -> bool:
    return answers.get("decision") == LinkageDecision.adjusted.value


def positive(value: Decimal, _answers: Answers) -> Problem | None:
    return Problem("must_be_positive") if value <= 0 else None


async def submit_linkage(
    session: AsyncSession,
    *,
    person_id: int,
    draft: FormDraft,
    answers: Answers,
    now: dt.datetime,
    **_: Any,
) -> LinkageLine:
    """Record (or replace) the budget section's decision for the project."""
    actor = await load_actor(session, person_id=person_id)
    project = await session.get(Project, draft.subject_id or 0)
    if actor is None or project is None:
        raise AccessDenied(Action.REVIEW_BUDGET)
    await access.authorize(session, actor, Action.REVIEW_BUDGET, scope=access.BUREAU)
    grade, _, _, _ = _in_force(*await _evaluations(session, project.id or 0))
    row = await session.scalar(select(BudgetLinkage).where(BudgetLinkage.project_id == project.id))
    if row is None:
        row = BudgetLinkage(project_id=project.id or 0, decision="", reason="")
        session.add(row)
    row.grade, row.recommendation = grade, recommend(grade)
    row.decision, row.amount = answers.get("decision"), answers.get("amount")
    row.reason, row.decided_by_id, row.decided_at = answers.get("reason"), person_id, now
    await session.flush()
    audit.record(
        session,
        action="budget_linkage",
        actor_id=person_id,
        object_type="project",
        object_id=project.id,
        detail={"decision": row.decision, "amount": str(row.amount), "grade": grade},
    )
    return await line_of(session, project)


async def linkage_context(
    _session: Any, _person_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    return dict(data.get(META) or {})


FORM = FormSpec(
    LINKAGE_FORM,
    entries=(
        FieldSpec(
            "decision", Kind.choice, choices=tuple(Choice(kind.value) for kind in LinkageDecision)
        ),
        FieldSpec("amount", Kind.money, parse_money, ask_if=amount_needed, validators=(positive,)),
        FieldSpec("reason", Kind.text, partial(parse_text, limit=1000)),
    ),
    load_context=linkage_context,
    context_reads=(),
    submit=submit_linkage,
)


async def start_linkage(
    db: Database, *, actor: Actor, project_id: int, now: dt.datetime
) -> DraftResult | Problem:
    """⚖️ pressed: the project's result and recommendation shown, the decision asked."""
    async with db.sessions() as session:
        await access.authorize(session, actor, Action.REVIEW_BUDGET, scope=access.BUREAU)
        project = await session.get(Project, project_id)
        if project is None or project.status != ProjectStatus.issued.value:
            return Problem("selection_not_issued")
        line = await line_of(session, project)
    meta = {
        "project": line.project,
        "grade": line.grade,
        "total": None if line.total is None else str(line.total),
        "graded_by": line.graded_by,
        "recommendation": line.recommendation,
        "tags": list(line.tags),
        "open_rectifications": line.open_rectifications,
    }
    assert actor.person_id is not None
    return await drafts.start_draft(
        db,
        person_id=actor.person_id,
        form_name=LINKAGE_FORM,
        now=now,
        subject_type="project",
        subject_id=project_id,
        initial={META: meta},
    )
