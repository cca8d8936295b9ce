"""The department's self-evaluation report (部门自评价报告, 财预〔2011〕285号), as plain data.

The report has six parts: 一、基本概况 二、绩效目标及调整情况 三、管理措施及组织实施 and
六、下一步改进意见 are the department's own words (the `department_report` form), 四、绩效目标
完成情况 and 五、未完成目标及原因 are generated from the stored 自评表 of every project of the
department and its units for the year (submitted or accepted).

Where the narrative lives: the submitted `form_draft` of the `department_report` form
(subject_type "department_report", subject_id the department, the year in `_meta`), the
latest one read. A table of its own would need a migration for four texts that nothing else
queries; the draft keeps who wrote them and when, each edit is a new submitted draft, so
the history stays too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    DraftStatus,
    FormDraft,
    Organisation,
    OrgKind,
    Person,
    Project,
    ReportStatus,
    Role,
    SelfEvaluation,
)
from workflow.core import access
from workflow.core.access import AccessDenied, Action, Actor
from workflow.evaluation.documents import ScoreLine, score_lines
from workflow.evaluation.scoring import execution_row_name
from workflow.forms.spec import META
from workflow.people.departments import department_in_chart
from workflow.review.notices import money_text
from workflow.tracking.documents import execution_rate

REPORT_FORM = "department_report"
SUBJECT = "department_report"
NARRATIVE = ("overview", "goals", "management", "improvements")  # parts 一、二、三、六
EVALUATED = (ReportStatus.submitted.value, ReportStatus.accepted.value)


@dataclass(frozen=True, slots=True)
class Narrative:
    """The department's own words, who wrote them last, and when."""

    texts: dict[str, str]
    written_by: str | None
    written_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ProjectResult:
    """One evaluated project in 四、绩效目标完成情况."""

    evaluation_id: int
    project: str
    organisation: str
    budget_full_year: Decimal | None
    executed: Decimal | None
    total: Decimal | None
    grade: str | None

    @property
    def rate(self) -> Decimal | None:
        return execution_rate(self.budget_full_year, self.executed)


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A project's indicators scored below their weight (五、未完成目标及原因)."""

    project: str
    lines: tuple[ScoreLine, ...]


@dataclass(frozen=True, slots=True)
class DepartmentReport:
    """Everything in the report."""

    year: int
    department_id: int
    department: str
    narrative: Narrative | None
    results: tuple[ProjectResult, ...] = field(default_factory=tuple)
    shortfalls: tuple[Shortfall, ...] = field(default_factory=tuple)


async def find_department(session: AsyncSession, code: str) -> Organisation | None:
    """A department by its code, None when there is none (or it is not a department)."""
    found = await session.scalar(select(Organisation).where(Organisation.code == code.strip()))
    return found if found is not None and found.kind == OrgKind.department.value else None


async def own_department(session: AsyncSession, actor: Actor) -> Organisation | None:
    """The department whose report the actor writes: where they are staff or head."""
    ids = {org for role, org in actor.roles if role in (Role.staff, Role.head)}
    return await session.scalar(
        select(Organisation)
        .where(Organisation.id.in_(ids), Organisation.kind == OrgKind.department.value)
        .order_by(Organisation.code)
    )


async def authorized_department(
    session: AsyncSession, actor: Actor, department_id: int, action: Action
) -> Organisation:
    """The department, when the actor may `action` on its objects (AccessDenied if not)."""
    department = await session.get(Organisation, department_id)
    scope = await access.organisation_scope(session, department_id)
    await access.authorize(
        session,
        actor,
        action,
        scope=scope,
        object_type="department_report",
        object_id=department_id,
    )
    if department is None or department.kind != OrgKind.department.value:
        raise AccessDenied(action)
    return department


async def narrative(session: AsyncSession, department_id: int, year: int) -> Narrative | None:
    """The latest narrative the department submitted for `year`; None before the first."""
    drafts = await session.execute(
        select(FormDraft, Person.name)
        .outerjoin(Person, Person.id == FormDraft.person_id)
        .where(
            FormDraft.form == REPORT_FORM,
            FormDraft.subject_type == SUBJECT,
            FormDraft.subject_id == department_id,
            FormDraft.status == DraftStatus.submitted.value,
        )
        .order_by(FormDraft.updated_at.desc(), FormDraft.id.desc())
    )
    for draft, name in drafts:
        if (draft.data.get(META) or {}).get("year") == year:
            texts = {key: str(draft.data.get(key) or "") for key in NARRATIVE}
            return Narrative(texts, name, draft.updated_at)
    return None


async def department_projects(
    session: AsyncSession, department_id: int, year: int
) -> list[tuple[SelfEvaluation, Project, Organisation]]:
    """Every self-evaluation of `year` of the department and its units, by organisation."""
    chart = (
        await session.execute(select(Organisation.id, Organisation.parent_id, Organisation.kind))
    ).all()
    parent_of = {org: parent for org, parent, _ in chart}
    kind_of = {org: kind for org, _, kind in chart}
    family = [
        org for org in kind_of if department_in_chart(org, parent_of, kind_of) == department_id
    ]
    rows = await session.execute(
        select(SelfEvaluation, Project, Organisation)
        .join(Project, Project.id == SelfEvaluation.project_id)
        .join(Organisation, Organisation.id == Project.organisation_id)
        .where(Project.year == year, Project.organisation_id.in_(family))
    )
    # Sorted here, not in SQL: the databases' collations order Chinese names differently.
    found = [(evaluation, project, organisation) for evaluation, project, organisation in rows]
    return sorted(found, key=lambda row: (row[2].code, row[1].name, row[0].id or 0))


def _execution_line(
    evaluation: SelfEvaluation, weight: Decimal | None, score: Decimal | None
) -> ScoreLine:
    """The 预算执行率 as a line: 全年预算数 the target, 全年执行数 the actual."""
    return ScoreLine(
        level1="",
        level2="",
        name=execution_row_name(),
        target=money_text(evaluation.budget_full_year) or "",
        actual=money_text(evaluation.executed),
        weight=weight,
        score=score,
        deviation_reason=evaluation.execution_reason,
    )


async def all_lines(session: AsyncSession, evaluation: SelfEvaluation) -> tuple[ScoreLine, ...]:
    """The 预算执行率 line, then one per indicator."""
    execution, lines = await score_lines(session, evaluation)
    first = _execution_line(
        evaluation, execution.weight if execution else None, execution.score if execution else None
    )
    return (first, *lines)


async def department_report(
    db: Database, *, actor: Actor, department_id: int, year: int
) -> DepartmentReport:
    """The department's report for `year` (AccessDenied when not the actor's to see)."""
    async with db.sessions() as session:
        department = await authorized_department(
            session, actor, department_id, Action.VIEW_EVALUATION
        )
        results, shortfalls = [], []
        for evaluation, project, organisation in await department_projects(
            session, department_id, year
        ):
            if evaluation.status not in EVALUATED:
                continue
            results.append(
                ProjectResult(
                    evaluation_id=evaluation.id or 0,
                    project=project.name,
                    organisation=organisation.name,
                    budget_full_year=evaluation.budget_full_year,
                    executed=evaluation.executed,
                    total=evaluation.total_score,
                    grade=evaluation.grade,
                )
            )
            _, lines = await score_lines(session, evaluation)
            missed = [line for line in lines if line.applicable and not line.met]
            if missed:
                shortfalls.append(Shortfall(project.name, tuple(missed)))
        return DepartmentReport(
            year=year,
            department_id=department_id,
            department=department.name,
            narrative=await narrative(session, department_id, year),
            results=tuple(results),
            shortfalls=tuple(shortfalls),
        )


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One project and one of its rows, for the department's score workbook."""

    project: str
    organisation: str
    status: str
    line: ScoreLine
    total: Decimal | None
    grade: str | None


@dataclass(frozen=True, slots=True)
class ScoreBook:
    """The department's score workbook: whose, and its rows."""

    department: str
    year: int
    rows: tuple[ScoreRow, ...]


async def score_book(db: Database, *, actor: Actor, department_id: int, year: int) -> ScoreBook:
    """Every self-evaluation of the department's year, row by row (whatever its status)."""
    async with db.sessions() as session:
        department = await authorized_department(
            session, actor, department_id, Action.VIEW_EVALUATION
        )
        rows = []
        for evaluation, project, organisation in await department_projects(
            session, department_id, year
        ):
            for line in await all_lines(session, evaluation):
                rows.append(
                    ScoreRow(
                        project=project.name,
                        organisation=organisation.name,
                        status=evaluation.status,
                        line=line,
                        total=evaluation.total_score,
                        grade=evaluation.grade,
                    )
                )
        return ScoreBook(department.name, year, tuple(rows))


@dataclass(frozen=True, slots=True)
class ReportState:
    """What /evalreport shows: whose report, whether its narrative is written, what I may do."""

    year: int
    department_id: int
    department: str
    narrative: Narrative | None
    evaluated: int  # projects with a submitted or accepted 自评表
    total: int  # projects with a 自评表 at all
    may_write: bool


async def report_state(
    db: Database, *, actor: Actor, year: int, code: str | None = None
) -> ReportState | None:
    """The report of the actor's department (or the one named by `code`); None when there is
    no such department. AccessDenied when the actor may not see it."""
    async with db.sessions() as session:
        department = (
            await find_department(session, code) if code else await own_department(session, actor)
        )
        if department is None or department.id is None:
            return None
        await authorized_department(session, actor, department.id, Action.VIEW_EVALUATION)
        scope = await access.organisation_scope(session, department.id)
        projects = await department_projects(session, department.id, year)
        return ReportState(
            year=year,
            department_id=department.id,
            department=department.name,
            narrative=await narrative(session, department.id, year),
            evaluated=sum(1 for evaluation, _, _ in projects if evaluation.status in EVALUATED),
            total=len(projects),
            may_write=access.decide(actor, Action.FILL_SELF_EVALUATION, scope),
        )
