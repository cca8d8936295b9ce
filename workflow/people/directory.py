"""The organisation directory (/orgs): codes, names, kinds, parents and people, searchable.

For administrators (inviting someone needs the organisation's code) and the finance
sections (naming a department in /disclosure). A search matches the code or the name, or
the parent's name (so a department's units come with it), case-insensitively; paged.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from storage.db import Database
from storage.models import Organisation, RoleAssignment
from workflow.core import access
from workflow.core.access import Action, Actor

PAGE_SIZE = 15


@dataclass(frozen=True, slots=True)
class OrganisationLine:
    """One organisation as the directory shows it."""

    code: str
    name: str
    kind: str
    parent: str | None  # a unit's department
    people: int  # people holding an active role there


@dataclass(frozen=True, slots=True)
class OrganisationPage:
    """A page of the directory for a search (None: everything)."""

    lines: tuple[OrganisationLine, ...]
    search: str | None
    page: int
    pages: int
    total: int
    page_size: int = PAGE_SIZE


async def organisations(
    db: Database, *, actor: Actor, search: str | None = None, page: int = 0
) -> OrganisationPage:
    """Active organisations matching `search` (code or name), ordered by code, one page."""
    search = (search or "").strip() or None
    async with db.transaction() as session:
        await access.authorize(
            session, actor, Action.VIEW_ORGANISATIONS, object_type="organisation"
        )
        parent = aliased(Organisation)
        conditions = [Organisation.active.is_(True)]
        if search is not None:
            pattern = f"%{search.lower()}%"
            conditions.append(
                or_(
                    func.lower(Organisation.code).like(pattern),
                    func.lower(Organisation.name).like(pattern),
                    func.lower(parent.name).like(pattern),
                )
            )
        total = int(
            await session.scalar(
                select(func.count(Organisation.id))
                .outerjoin(parent, parent.id == Organisation.parent_id)
                .where(*conditions)
            )
            or 0
        )
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        people = (
            select(func.count(func.distinct(RoleAssignment.person_id)))
            .where(
                RoleAssignment.organisation_id == Organisation.id,
                RoleAssignment.revoked_at.is_(None),
            )
            .scalar_subquery()
        )
        rows = await session.execute(
            select(Organisation, parent.name, people)
            .outerjoin(parent, parent.id == Organisation.parent_id)
            .where(*conditions)
            .order_by(Organisation.code)
            .offset(page * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        lines = tuple(
            OrganisationLine(org.code, org.name, org.kind, parent_name, int(count or 0))
            for org, parent_name, count in rows
        )
    return OrganisationPage(lines, search, page, pages, total)
