"""What the goal declaration form needs from the database, loaded for each answer.

The person's organisations (where they may declare), budget years, names already used,
last year's projects of the organisation and, once one is chosen, its issued goals,
indicators and evaluation result ("结合以前年度绩效评价结果"), and the departments that
may be named as co-departments of a shared project.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    BudgetYear,
    GoalVersion,
    Indicator,
    Project,
)
from storage.models.enums import GoalVersionStatus, IndicatorSign, OrgKind, ProjectStatus
from storage.types import utcnow
from workflow.core.access import Action, Actor, decide, organisations_where, project_scope
from workflow.evaluation.prior import year_result
from workflow.forms.spec import META, decimal_text
from workflow.goals.indicator_tree import DEFAULT_VERSION
from workflow.people import chart as org_chart
from workflow.people.persons import load_actor

DECLARING_KINDS = (OrgKind.department.value, OrgKind.unit.value)


async def declaring_organisations(session: AsyncSession, actor: Actor | None) -> list[dict]:
    """Departments and units the actor may declare goals for, by code."""
    if actor is None:
        return []
    allowed = await organisations_where(session, actor, Action.DECLARE_GOAL)
    known = (await org_chart.chart(session)).organisations
    rows = sorted(
        (known[org] for org in allowed if org in known),
        key=lambda o: o.code,
    )
    return [
        {"id": o.id, "name": o.name, "kind": o.kind, "parent_id": o.parent_id}
        for o in rows
        if o.active and o.kind in DECLARING_KINDS
    ]


async def _years(
    session: AsyncSession, year: int | None
) -> tuple[list[int], list[int], list[int], str]:
    """Configured budget years, the ones to offer as buttons, the issued ones, and the
    indicator tree version of the chosen year (one query).

    Offered: the configured years not issued yet; once every configured year is issued,
    the year after the newest (the next declaration round), so there is always a button.
    """
    rows = (
        await session.execute(
            select(BudgetYear.year, BudgetYear.issued_at, BudgetYear.indicator_tree_version)
        )
    ).all()
    configured = sorted(row[0] for row in rows)
    issued = sorted(row[0] for row in rows if row[1] is not None)
    open_years = sorted(row[0] for row in rows if row[1] is None)[-3:]
    version = next((row[2] for row in rows if row[0] == year), None) or DEFAULT_VERSION
    if configured:
        return configured, open_years or [configured[-1] + 1], issued, version
    this_year = utcnow().year  # nothing configured yet: suggest the coming budget year
    return configured, [this_year + 1, this_year], issued, version


def indicator_row(indicator: Indicator, *, copy: bool = True) -> dict[str, Any]:
    """A stored indicator as a draft row: a copy (linked to it) or the row itself, edited."""
    row: dict[str, Any] = {
        "level1": indicator.level1,
        "level2": indicator.level2,
        "name": indicator.name,
        "sign": indicator.sign,
        "weight": None if indicator.weight is None else decimal_text(indicator.weight),
        "source_id": indicator.id if copy else indicator.source_indicator_id,
    }
    if indicator.sign == IndicatorSign.qualitative.value:
        if indicator.target_text:
            row["target_text"] = indicator.target_text
    else:
        if indicator.target_value is not None:
            row["target_value"] = decimal_text(indicator.target_value)
        if indicator.unit:
            row["unit"] = indicator.unit
    return row


async def current_goal_version(session: AsyncSession, project_id: int) -> GoalVersion | None:
    """The issued version if there is one, else the newest."""
    versions = list(
        await session.scalars(
            select(GoalVersion)
            .where(GoalVersion.project_id == project_id)
            .order_by(GoalVersion.number.desc())
        )
    )
    issued = [v for v in versions if v.status == GoalVersionStatus.issued.value]
    return (issued or versions or [None])[0]


async def goal_indicators(session: AsyncSession, goal_version_id: int) -> list[Indicator]:
    """A version's indicators in form order."""
    return list(
        await session.scalars(
            select(Indicator)
            .where(Indicator.goal_version_id == goal_version_id)
            .order_by(Indicator.position, Indicator.id)
        )
    )


async def last_year(session: AsyncSession, project_id: int) -> dict[str, Any] | None:
    """Last year's project: its goals, indicators, evaluation result and open rectifications."""
    project = await session.get(Project, project_id)
    if project is None:
        return None
    version = await current_goal_version(session, project_id)
    indicators = await goal_indicators(session, version.id) if version is not None else []
    return {
        "id": project.id,
        "name": project.name,
        "year": project.year,
        "status": project.status,
        "issued": version is not None and version.status == GoalVersionStatus.issued.value,
        "overall_goal": version.overall_goal if version else None,
        "annual_goal": version.annual_goal if version else None,
        "indicators": [indicator_row(i) for i in indicators],
        # Its self-evaluation result and open rectifications (workflow.evaluation.prior).
        "evaluation": await year_result(session, project_id),
    }


# The answers load_goal_context reads: any other answer leaves the loaded context valid.
GOAL_CONTEXT_READS = ("year", "organisation", "predecessor", META)


async def load_goal_context(
    session: AsyncSession, person_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Everything the goal declaration form's choices and checks read."""
    actor = await load_actor(session, person_id=person_id)
    organisations = await declaring_organisations(session, actor)
    year, organisation_id = data.get("year"), data.get("organisation")
    configured, year_choices, issued_years, tree_version = await _years(session, year)
    own = next((o for o in organisations if o["id"] == organisation_id), None)
    editing = (data.get(META) or {}).get("project_id")
    context: dict[str, Any] = {
        "organisations": organisations,
        "organisation": own,
        "configured_years": configured,
        "year_choices": year_choices,
        "issued_years": issued_years,
        "tree_version": tree_version,
        "taken_names": [],
        "previous_projects": [],
        "predecessor": None,
    }
    if year is not None and own is not None:
        projects = await session.scalars(
            select(Project).where(
                Project.organisation_id == own["id"], Project.year.in_((year, year - 1))
            )
        )
        for project in projects:
            if project.year == year and project.id != editing:
                context["taken_names"].append(project.name)
            elif project.year == year - 1 and project.status != ProjectStatus.withdrawn.value:
                context["previous_projects"].append({"id": project.id, "name": project.name})
    predecessor = data.get("predecessor")
    # Last year's project is shown in full (goals, indicators, evaluation): only to someone
    # who may still view it, whatever id the draft holds.
    if predecessor is not None and actor is not None:
        if decide(actor, Action.VIEW_PROJECT, await project_scope(session, predecessor)):
            context["predecessor"] = await last_year(session, predecessor)
    context.update(await _departments(session, own))
    return context


async def _departments(session: AsyncSession, own: Mapping[str, Any] | None) -> dict[str, Any]:
    """Departments that may be co-departments (all but the declaring one's department)."""
    loaded = await org_chart.chart(session)
    own_department = loaded.department_of(own["id"]) if own is not None else None
    departments, own_name = [], None
    for org in loaded.departments:
        if org.id == own_department:
            own_name = org.name
        else:
            departments.append({"id": org.id, "code": org.code, "name": org.name})
    return {"departments": departments, "own_department_name": own_name}
