"""Which projects finance checks: a drawn spot-check sample, projects added by hand, and key
projects marked for 重点评价 (DOMAIN §2.7: "具体项目由财政部门确定").

Drawing stores the rule, the seed and the population's size and hash with the sample, and
one selection per drawn project (source "drawn"); a project added by hand carries its
reason (source "added", or "key" for a key evaluation). Each selection is written to the
audit log and the project's department is told once. `preview` re-draws without writing,
for the chat's confirmation and for `perfbot evaluation sample`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    EvaluationSample,
    EvaluationSelection,
    FinanceEvaluation,
    GoalVersion,
    Organisation,
    Project,
    ProjectStatus,
    ReportStatus,
    SelfEvaluation,
)
from storage.models.enums import FinanceCheck
from storage.types import utcnow
from workflow.core import access, audit
from workflow.core.access import Action, Actor
from workflow.evaluation.scoring import shown
from workflow.forms.spec import Problem
from workflow.notify.queue import queue_for_people
from workflow.people.departments import department_of
from workflow.results.sampling import Candidate, SampleRule, draw, population_hash
from workflow.tracking.tasks import responsible_people

SUBMITTED = (ReportStatus.submitted.value, ReportStatus.accepted.value)
KEY_MARKABLE = (
    ProjectStatus.submitted.value,
    ProjectStatus.in_review.value,
    ProjectStatus.returned.value,
    ProjectStatus.approved.value,
    ProjectStatus.issued.value,
)
REASON_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Preview:
    """A draw not yet kept: the population and what the rule picks from it."""

    year: int
    rule: SampleRule
    population: int
    population_hash: str
    chosen: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class Drawn:
    """A kept draw: the sample's id, the projects newly selected and those already were."""

    sample_id: int
    preview: Preview
    selected: tuple[int, ...]  # project ids selected by this draw
    already: tuple[int, ...]  # drawn, but selected for a spot check before


@dataclass(frozen=True, slots=True)
class SelectionLine:
    """One selected project, as finance's list shows it."""

    project_id: int
    project: str
    department: str
    check_kind: str
    source: str
    reason: str | None
    seed: str | None
    grade: str | None  # the department's self-evaluation grade
    selection_id: int = 0
    finance_total: Decimal | None = None  # finance's own scoring, once done
    finance_grade: str | None = None
    report_issued: bool = False

    @property
    def next_step(self) -> str | None:
        """What finance does next: "evaluate" a submitted self-evaluation, then "issue" the
        report; None once the report is out (or while there is nothing to evaluate)."""
        if self.grade and self.finance_grade is None:
            return "evaluate"
        if self.finance_grade is not None and not self.report_issued:
            return "issue"
        return None


async def candidates(session: AsyncSession, year: int) -> list[Candidate]:
    """The year's submitted self-evaluations with their department and annual amount."""
    rows = await session.execute(
        select(SelfEvaluation, Project, GoalVersion.annual_amount)
        .join(Project, Project.id == SelfEvaluation.project_id)
        .join(GoalVersion, GoalVersion.id == SelfEvaluation.goal_version_id)
        .where(Project.year == year, SelfEvaluation.status.in_(SUBMITTED))
        .order_by(Project.id)
    )
    found = []
    departments: dict[int, Organisation | None] = {}
    for evaluation, project, amount in rows:
        organisation_id = project.organisation_id
        if organisation_id not in departments:
            departments[organisation_id] = await department_of(session, organisation_id)
        department = departments[organisation_id] or await session.get(
            Organisation, organisation_id
        )
        assert department is not None and department.id is not None
        found.append(
            Candidate(
                self_evaluation_id=evaluation.id or 0,
                project_id=project.id or 0,
                project=project.name,
                department_id=department.id,
                department=department.name,
                amount=amount,
            )
        )
    return found


async def preview(db: Database, *, year: int, rule: SampleRule) -> Preview | Problem:
    """What the rule draws from the year's population now (nothing written).

    Unauthenticated on purpose: it is the re-draw anyone checking a sample runs, and it
    shows only what the sample itself shows (project names and departments).
    """
    code = rule.problem()
    if code is not None:
        return Problem(code)
    async with db.sessions() as session:
        population = await candidates(session, year)
    if not population:
        return Problem("sample_empty", {"year": year})
    return Preview(
        year, rule, len(population), population_hash(population), tuple(draw(population, rule))
    )


async def _authorize(session: AsyncSession, actor: Actor, project_id: int | None = None) -> None:
    scope = (
        await access.project_scope(session, project_id) if project_id is not None else access.BUREAU
    )
    await access.authorize(
        session,
        actor,
        Action.SELECT_FINANCE_CHECK,
        scope=scope,
        object_type="project" if project_id else "evaluation_sample",
        object_id=project_id,
    )


async def _tell(session: AsyncSession, project: Project, check: str, reason: str | None) -> None:
    """The department hears once that finance will check the project."""
    queue_for_people(
        session,
        await responsible_people(session, project.organisation_id),
        template="finance_check_selected",
        context={"project": project.name, "year": project.year, "check": check, "reason": reason},
        dedupe_prefix=f"finance-check:{project.id}.{check}",
    )


async def _selected(session: AsyncSession, project_id: int, check: str) -> bool:
    found = await session.scalar(
        select(EvaluationSelection.id).where(
            EvaluationSelection.project_id == project_id, EvaluationSelection.check_kind == check
        )
    )
    return found is not None


async def draw_sample(
    db: Database, *, actor: Actor, year: int, rule: SampleRule, now: dt.datetime | None = None
) -> Drawn | Problem:
    """Draw and keep the spot-check sample of `year`; the department of each is told."""
    now = now or utcnow()
    drawn = await preview(db, year=year, rule=rule)
    if isinstance(drawn, Problem):
        return drawn
    spot = FinanceCheck.spot_check.value
    async with db.transaction() as session:
        await _authorize(session, actor)
        sample = EvaluationSample(
            year=year,
            share=rule.share,
            count=rule.count,
            stratify=rule.stratify,
            seed=rule.seed,
            population=drawn.population,
            population_hash=drawn.population_hash,
            drawn_by_id=actor.person_id,
            created_at=now,
        )
        session.add(sample)
        await session.flush()
        selected, already = [], []
        for candidate in drawn.chosen:
            if await _selected(session, candidate.project_id, spot):
                already.append(candidate.project_id)
                continue
            await _keep(session, actor, candidate.project_id, spot, "drawn", None, now, sample.id)
            selected.append(candidate.project_id)
        audit.record(
            session,
            action="spot_check_sample_drawn",
            actor_id=actor.person_id,
            object_type="evaluation_sample",
            object_id=sample.id,
            detail={"seed": rule.seed, "hash": drawn.population_hash, "projects": selected},
        )
        return Drawn(sample.id or 0, drawn, tuple(selected), tuple(already))


async def _keep(
    session: AsyncSession,
    actor: Actor,
    project_id: int,
    check: str,
    source: str,
    reason: str | None,
    now: dt.datetime,
    sample_id: int | None = None,
) -> EvaluationSelection:
    project = await session.get(Project, project_id)
    assert project is not None
    evaluation = await session.scalar(
        select(SelfEvaluation).where(SelfEvaluation.project_id == project_id)
    )
    row = EvaluationSelection(
        year=project.year,
        project_id=project_id,
        self_evaluation_id=evaluation.id if evaluation else None,
        check_kind=check,
        source=source,
        sample_id=sample_id,
        reason=reason,
        selected_by_id=actor.person_id,
        created_at=now,
    )
    session.add(row)
    if evaluation is not None:
        evaluation.finance_check = check
    await session.flush()
    audit.record(
        session,
        action=f"finance_check_{source}",
        actor_id=actor.person_id,
        object_type="project",
        object_id=project_id,
        detail={"check": check, "reason": reason, "sample": sample_id},
    )
    await _tell(session, project, check, reason)
    return row


async def select_by_hand(
    db: Database,
    *,
    actor: Actor,
    project_id: int,
    check: FinanceCheck,
    reason: str,
    now: dt.datetime | None = None,
) -> EvaluationSelection | Problem:
    """Add one project to the spot checks, or mark it for key evaluation, with a reason."""
    now = now or utcnow()
    reason = reason.strip()
    async with db.transaction() as session:
        await _authorize(session, actor, project_id)
        if not reason:
            return Problem("selection_reason_required")
        if len(reason) > REASON_LIMIT:
            return Problem("too_long", {"limit": REASON_LIMIT, "length": len(reason)})
        project = await session.get(Project, project_id)
        key = check is FinanceCheck.key_evaluation
        # A key project may be named while its goals are still in review (the expert review
        # then applies); a spot check needs the issued project's submitted self-evaluation.
        allowed = KEY_MARKABLE if key else (ProjectStatus.issued.value,)
        if project is None or project.status not in allowed:
            return Problem("selection_not_issued")
        if await _selected(session, project_id, check.value):
            return Problem("selection_exists", {"project": project.name})
        if not key and not await _submitted(session, project_id):
            return Problem("selection_not_evaluated", {"project": project.name})
        if key and not project.is_key:
            project.is_key = True  # finance decides the key projects, not only the department
        source = "key" if key else "added"
        return await _keep(session, actor, project_id, check.value, source, reason, now)


async def _submitted(session: AsyncSession, project_id: int) -> bool:
    status = await session.scalar(
        select(SelfEvaluation.status).where(SelfEvaluation.project_id == project_id)
    )
    return status in SUBMITTED


async def selections(db: Database, *, actor: Actor, year: int) -> list[SelectionLine]:
    """Every project selected for a check in `year`, with how and why."""
    async with db.sessions() as session:
        await _authorize(session, actor)
        rows = await session.execute(
            select(
                EvaluationSelection,
                Project,
                EvaluationSample.seed,
                SelfEvaluation.grade,
                FinanceEvaluation.total_score,
                FinanceEvaluation.grade,
                FinanceEvaluation.report_issued_at,
            )
            .join(Project, Project.id == EvaluationSelection.project_id)
            .outerjoin(FinanceEvaluation, FinanceEvaluation.selection_id == EvaluationSelection.id)
            .outerjoin(EvaluationSample, EvaluationSample.id == EvaluationSelection.sample_id)
            .outerjoin(SelfEvaluation, SelfEvaluation.project_id == Project.id)
            .where(EvaluationSelection.year == year)
            .order_by(EvaluationSelection.check_kind, Project.id)
        )
        lines = []
        for selection, project, seed, grade, finance_total, finance_grade, issued in rows:
            department = await department_of(session, project.organisation_id)
            lines.append(
                SelectionLine(
                    project_id=project.id or 0,
                    project=project.name,
                    department=department.name if department else "",
                    check_kind=selection.check_kind,
                    source=selection.source,
                    reason=selection.reason,
                    seed=seed,
                    grade=grade,
                    selection_id=selection.id or 0,
                    finance_total=None if finance_total is None else shown(finance_total),
                    finance_grade=finance_grade,
                    report_issued=issued is not None,
                )
            )
        return lines
