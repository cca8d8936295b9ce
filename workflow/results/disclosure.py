"""Disclosure of evaluation results (信息披露): a department's projects of a year with their
self-evaluation score, finance's score where there was one, the grade in force, the main
problems and the state of their rectification, for the publication table.

Access is the goals' disclosure's (`Action.EXPORT_DISCLOSURE`): a department exports its
own (with its units), finance names the department; nobody sees another department's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from storage.db import Database
from storage.models import (
    Organisation,
    Project,
    ProjectStatus,
)
from workflow.core import access
from workflow.core.access import Action, Actor
from workflow.goals.disclosure import family_of, own_department
from workflow.results.linkage import line_of


@dataclass(frozen=True, slots=True)
class DisclosedResult:
    """One project's results as published."""

    project: str
    organisation: str
    annual: Decimal | None
    self_total: Decimal | None
    finance_total: Decimal | None
    grade: str | None
    problems: tuple[str, ...]  # problem types tagged by finance
    self_problems: str | None  # the department's own 存在问题
    open_rectifications: int


@dataclass(frozen=True, slots=True)
class ResultsDisclosure:
    """The results table of one department and year."""

    year: int
    department: str
    results: list[DisclosedResult]
    organisation_needed: bool = False


async def results_disclosure(
    db: Database, *, actor: Actor, year: int, organisation_code: str | None = None
) -> ResultsDisclosure:
    """The evaluation results of `year` for the actor's department, or the one named."""
    async with db.sessions() as session:
        if organisation_code is not None:
            organisation_id = await session.scalar(
                select(Organisation.id).where(Organisation.code == organisation_code)
            )
        else:
            organisation_id = own_department(actor)
            if organisation_id is None:
                return ResultsDisclosure(year, "", [], organisation_needed=True)
        scope = (
            await access.organisation_scope(session, organisation_id)
            if organisation_id is not None
            else access.BUREAU
        )
        await access.authorize(
            session,
            actor,
            Action.EXPORT_DISCLOSURE,
            scope=scope,
            object_type="organisation",
            object_id=organisation_id,
        )
        department = await session.get(Organisation, organisation_id) if organisation_id else None
        if department is None:
            return ResultsDisclosure(year, organisation_code or "", [])
        family = await family_of(session, department.id or 0)
        rows = await session.execute(
            select(Project, Organisation)
            .join(Organisation, Organisation.id == Project.organisation_id)
            .where(
                Project.year == year,
                Project.organisation_id.in_(family),
                Project.status == ProjectStatus.issued.value,
            )
            .order_by(Organisation.code, Project.id)
        )
        results = []
        for project, organisation in rows:
            line = await line_of(session, project)
            results.append(
                DisclosedResult(
                    project=project.name,
                    organisation=organisation.name,
                    annual=line.annual,
                    self_total=line.self_total,
                    finance_total=line.finance_total,
                    grade=line.grade,
                    problems=line.tags,
                    self_problems=line.self_problems,
                    open_rectifications=line.open_rectifications,
                )
            )
        return ResultsDisclosure(year, department.name, results)
