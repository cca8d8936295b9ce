"""Disclosure (公开): a department's issued goals of a year, as data for the publication table.

Departments publish their issued goals on the provincial platform (DOMAIN §2.5). This
gathers, for one department (and its units) and one year, every project's goal version in
force (the issued one; an adjustment still in review does not count until it is issued),
with its funds, goals and indicators. `bot.documents.disclosure` lays it out as xlsx and docx.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    GoalVersion,
    GoalVersionStatus,
    Indicator,
    Organisation,
    OrgKind,
    Project,
    Role,
)
from workflow.core import access
from workflow.core.access import Action, Actor
from workflow.core.clock import local_day


@dataclass(frozen=True, slots=True)
class DisclosedIndicator:
    level1: str
    level2: str
    name: str
    sign: str
    value: str  # target number (exact) or grade text
    unit: str


@dataclass(frozen=True, slots=True)
class DisclosedProject:
    """One project's goals in force."""

    name: str
    organisation: str
    version_number: int
    adjusted: bool
    issued_on: dt.date | None
    funds_total: Decimal | None
    funds_fiscal: Decimal | None
    funds_carryover: Decimal | None  # 上年结转
    funds_other: Decimal | None  # 其他资金
    annual_amount: Decimal | None
    overall_goal: str
    annual_goal: str
    indicators: list[DisclosedIndicator] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Disclosure:
    """The publication table's content for one department and year."""

    year: int
    department: str
    projects: list[DisclosedProject]
    organisation_needed: bool = False  # a finance section must name the department
    unknown_code: bool = False  # the code given names no organisation

    @property
    def empty(self) -> bool:
        return not self.projects


def own_department(actor: Actor) -> int | None:
    """The organisation whose disclosure the actor exports by default (their own)."""
    for role in (Role.staff, Role.head):
        organisations = sorted(actor.organisations(role))
        if organisations:
            return organisations[0]
    return None


async def family_of(session: AsyncSession, organisation_id: int) -> list[int]:
    """The organisation and the units below it (any depth)."""
    found, frontier = [organisation_id], [organisation_id]
    while frontier:
        children = list(
            await session.scalars(
                select(Organisation.id).where(
                    Organisation.parent_id.in_(frontier),
                    Organisation.kind == OrgKind.unit.value,
                    Organisation.id.not_in(found),
                )
            )
        )
        found += children
        frontier = children
    return found


def _disclosed_indicator(indicator: Any) -> DisclosedIndicator:
    """An indicator (a stored one or a row of its columns) as published."""
    value = indicator.target_text or ""
    if indicator.target_value is not None:
        value = format(indicator.target_value.normalize(), "f")
    return DisclosedIndicator(
        indicator.level1,
        indicator.level2,
        indicator.name,
        indicator.sign,
        value,
        indicator.unit or "",
    )


async def disclosure(
    db: Database,
    *,
    actor: Actor,
    year: int,
    organisation_id: int | None = None,
    organisation_code: str | None = None,
) -> Disclosure:
    """The issued goals of `year` for the actor's department, or the one named.

    Departments and units export their own by default; the finance sections, which have
    none, name the department (by id or code), else `organisation_needed` says so.
    """
    async with db.transaction() as session:
        if not access.may_ever(actor, Action.EXPORT_DISCLOSURE):
            await access.authorize(
                session, actor, Action.EXPORT_DISCLOSURE, object_type="organisation"
            )
        if organisation_code is not None:
            organisation_id = await session.scalar(
                select(Organisation.id).where(
                    func.upper(Organisation.code) == organisation_code.strip().upper()
                )
            )
        elif organisation_id is None:
            organisation_id = own_department(actor)
            if organisation_id is None:
                return Disclosure(year, "", [], organisation_needed=True)
        # An unknown code has the empty scope: refused like another's, but for bureau roles.
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
            return Disclosure(year, organisation_code or "", [], unknown_code=True)
        family = await family_of(session, organisation_id)
        projects = await _issued_projects(session, year, family)
        return Disclosure(year, department.name, projects)


async def _issued_projects(
    session: AsyncSession, year: int, organisations: list[int]
) -> list[DisclosedProject]:
    """The issued versions and all their indicators: one query per table, columns only."""
    in_force = (
        select(GoalVersion.id)
        .join(Project, Project.id == GoalVersion.project_id)
        .where(
            Project.year == year,
            Project.organisation_id.in_(organisations),
            GoalVersion.status == GoalVersionStatus.issued.value,
        )
    )
    indicators: dict[int, list[DisclosedIndicator]] = {}
    for row in await session.execute(
        select(
            Indicator.goal_version_id,
            Indicator.level1,
            Indicator.level2,
            Indicator.name,
            Indicator.sign,
            Indicator.target_value,
            Indicator.target_text,
            Indicator.unit,
        )
        .where(Indicator.goal_version_id.in_(in_force))
        .order_by(Indicator.goal_version_id, Indicator.position, Indicator.id)
    ):
        indicators.setdefault(row.goal_version_id, []).append(_disclosed_indicator(row))
    rows = await session.execute(
        select(
            GoalVersion.id,
            GoalVersion.number,
            GoalVersion.kind,
            GoalVersion.issued_at,
            GoalVersion.funds_total,
            GoalVersion.funds_fiscal,
            GoalVersion.funds_carryover,
            GoalVersion.funds_other,
            GoalVersion.annual_amount,
            GoalVersion.overall_goal,
            GoalVersion.annual_goal,
            Project.name,
            Organisation.name.label("organisation"),
        )
        .join(Project, Project.id == GoalVersion.project_id)
        .join(Organisation, Organisation.id == Project.organisation_id)
        .where(GoalVersion.id.in_(in_force))
        .order_by(Organisation.code, Project.name)
    )
    return [
        DisclosedProject(
            name=row.name,
            organisation=row.organisation,
            version_number=row.number,
            adjusted=row.kind == "adjustment",
            issued_on=local_day(row.issued_at) if row.issued_at else None,
            funds_total=row.funds_total,
            funds_fiscal=row.funds_fiscal,
            funds_carryover=row.funds_carryover,
            funds_other=row.funds_other,
            annual_amount=row.annual_amount,
            overall_goal=row.overall_goal or "",
            annual_goal=row.annual_goal or "",
            indicators=indicators.get(row.id, []),
        )
        for row in rows
    ]
