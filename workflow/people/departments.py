"""The budget department an organisation belongs to: walk up through units, never in circles."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Organisation, OrgKind

_UNIT, _DEPARTMENT = OrgKind.unit.value, OrgKind.department.value  # read once, not per call


def department_in_chart(
    organisation_id: int, parent_of: Mapping[int, int | None], kind_of: Mapping[int, str]
) -> int | None:
    """The department of an organisation in a loaded chart; None for a finance section or a
    unit whose chain is broken (no parent, a loop, or ending elsewhere than a department)."""
    current, seen = organisation_id, {organisation_id}
    while kind_of.get(current) == _UNIT:
        parent = parent_of.get(current)
        if parent is None or parent in seen:
            return None
        current = parent
        seen.add(current)
    return current if kind_of.get(current) == _DEPARTMENT else None


async def department_of(session: AsyncSession, organisation_id: int) -> Organisation | None:
    """The department of an organisation, read from the database level by level."""
    parent_of: dict[int, int | None] = {}
    kind_of: dict[int, str] = {}
    current: int | None = organisation_id
    while current is not None and current not in kind_of:  # stops at a loop
        organisation = await session.get(Organisation, current)
        if organisation is None:
            return None
        parent_of[current], kind_of[current] = organisation.parent_id, organisation.kind
        current = organisation.parent_id if organisation.kind == OrgKind.unit.value else None
    found = department_in_chart(organisation_id, parent_of, kind_of)
    return await session.get(Organisation, found) if found is not None else None


async def department_name(session: AsyncSession, organisation: Organisation) -> str:
    """The name of an organisation's department; its own name when it has none."""
    assert organisation.id is not None
    department = await department_of(session, organisation.id)
    return department.name if department is not None else organisation.name
