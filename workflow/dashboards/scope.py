"""What a person's figures cover: the year, the organisations they may see, the departments.

The same access policy as the chat (`Action.VIEW_STATS`): a department head sees their
department and its units, a business section the departments it is responsible for, the
performance and budget sections (where the bureau's leaders sit) everything.
Figures are grouped by organisation in SQL, then folded into the chart's departments here:
a department's units count with it, and the chart is read once (not per row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Organisation
from workflow.core import access
from workflow.core.access import Action, Actor
from workflow.people.departments import department_in_chart


@dataclass(frozen=True, slots=True)
class StatsScope:
    """One person's view of one year."""

    year: int
    today: dt.date
    organisation_ids: frozenset[int] | None  # None: the whole bureau
    department_of: Mapping[int, int]  # organisation id -> its department's id (or itself)
    names: Mapping[int, str]  # organisation id -> name

    @property
    def whole_bureau(self) -> bool:
        return self.organisation_ids is None

    def within(self, column: Any) -> list[Any]:
        """The WHERE conditions keeping `column` (an organisation id) inside the scope."""
        if self.organisation_ids is None:
            return []
        return [column.in_(sorted(self.organisation_ids))]

    def department_name(self, organisation_id: int) -> str:
        """The name of the department an organisation's figures count for."""
        department = self.department_of.get(organisation_id, organisation_id)
        return self.names.get(department, str(department))

    def fold(self, rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Rows of (organisation id, value, ...) summed per department, largest first.

        Every value column must be additive (counts, sums): rates are computed afterwards.
        """
        totals: dict[str, list[Any]] = {}
        for organisation_id, *values in rows:
            name = self.department_name(organisation_id)
            known = totals.get(name)
            if known is None:
                totals[name] = [value or 0 for value in values]
            else:
                totals[name] = [a + (b or 0) for a, b in zip(known, values, strict=True)]
        return [(name, *values) for name, values in totals.items()]


async def stats_scope(
    session: AsyncSession, actor: Actor, *, year: int, today: dt.date
) -> StatsScope:
    """The scope of `actor` for `year`; AccessDenied (audited) when they may see nothing."""
    rows = list(
        await session.execute(
            select(Organisation.id, Organisation.parent_id, Organisation.kind, Organisation.name)
        )
    )
    parent_of = {row[0]: row[1] for row in rows}
    kind_of = {row[0]: row[2] for row in rows}
    departments = {
        row[0]: department_in_chart(row[0], parent_of, kind_of) or row[0] for row in rows
    }
    names = {row[0]: row[3] for row in rows}
    if access.decide(actor, Action.VIEW_STATS, access.BUREAU):
        return StatsScope(year, today, None, departments, names)
    visible = await access.organisations_where(session, actor, Action.VIEW_STATS)
    if not visible:
        # Nothing anywhere: refused (and audited) like any other action.
        await access.authorize(session, actor, Action.VIEW_STATS, object_type="stats")
    return StatsScope(year, today, visible, departments, names)
