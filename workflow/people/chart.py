"""The org chart's facts, read once per process and again only after it changed.

Every answer of a form and every access decision reads the chart (who is whose department,
which section is responsible, the departments to choose from). A province has ~2,000
organisations and they change only by an import, so the whole chart is kept in memory and
checked against a stamp: one indexed query (`max` of id, created_at and updated_at) instead
of loading it. The import calls `forget()`; another process's import changes the stamp.
Within one transaction the stamp is checked once (`session.info`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Organisation, OrgKind
from workflow.people.departments import department_in_chart

T = TypeVar("T")
Stamp = tuple[int | None, dt.datetime | None, dt.datetime | None]
_SESSION_KEY = "perfbot.org_chart"


@dataclass(frozen=True, slots=True)
class OrgFacts:
    """One organisation as the chart keeps it."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    section_id: int | None
    active: bool


@dataclass(frozen=True, slots=True)
class Chart:
    """Every organisation by id, and what is derived from the whole chart."""

    stamp: Stamp
    organisations: Mapping[int, OrgFacts]
    departments: tuple[OrgFacts, ...] = ()  # active departments, by code
    _department_of: dict[int, int | None] = field(default_factory=dict)
    _derived: dict[str, Any] = field(default_factory=dict)

    def remember(self, name: str, compute: Callable[[], T]) -> T:
        """Something derived from the whole chart, computed once for this chart."""
        if name not in self._derived:
            self._derived[name] = compute()
        return self._derived[name]

    def department_of(self, organisation_id: int) -> int | None:
        """The department an organisation belongs to (itself for a department)."""
        if organisation_id not in self._department_of:
            parent_of = {o.id: o.parent_id for o in self.organisations.values()}
            kind_of = {o.id: o.kind for o in self.organisations.values()}
            for org in self.organisations:
                self._department_of[org] = department_in_chart(org, parent_of, kind_of)
        return self._department_of.get(organisation_id)


_charts: dict[str, Chart] = {}  # by database (engine URL)


def forget() -> None:
    """Drop every cached chart: the import changed it."""
    _charts.clear()


def _key(session: AsyncSession) -> str:
    bind = session.bind
    return bind.url.render_as_string(hide_password=True) if bind is not None else ""


async def chart(session: AsyncSession) -> Chart:
    """The current chart: the cached one while its stamp holds, else loaded in one query."""
    known = session.info.get(_SESSION_KEY)
    if known is not None:
        return known
    stamp: Stamp = tuple(  # type: ignore[assignment]
        (
            await session.execute(
                select(
                    func.max(Organisation.id),
                    func.max(Organisation.created_at),
                    func.max(Organisation.updated_at),
                )
            )
        ).one()
    )
    key = _key(session)
    cached = _charts.get(key)
    if cached is None or cached.stamp != stamp:
        cached = await _load(session, stamp)
        _charts[key] = cached
    session.info[_SESSION_KEY] = cached
    return cached


async def _load(session: AsyncSession, stamp: Stamp) -> Chart:
    rows = await session.execute(
        select(
            Organisation.id,
            Organisation.code,
            Organisation.name,
            Organisation.kind,
            Organisation.parent_id,
            Organisation.section_id,
            Organisation.active,
        ).order_by(Organisation.code)
    )
    organisations = {row[0]: OrgFacts(*row) for row in rows}
    departments = tuple(
        o for o in organisations.values() if o.kind == OrgKind.department.value and o.active
    )
    return Chart(stamp=stamp, organisations=organisations, departments=departments)
