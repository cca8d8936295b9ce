"""What a person can do right now: their projects still in draft and their /todo count.

The answer to a message the bot has no handler for (an unknown command, chatter, a
sticker): instead of silence, where the person stands and what to send next.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Project
from storage.models.enums import ProjectStatus
from workflow.core import access
from workflow.core.access import Action, Actor
from workflow.review.todo import todo

SHOWN_DRAFTS = 3


@dataclass(frozen=True, slots=True)
class Standing:
    """The person's open work: draft projects (newest first, a few) and pending reviews."""

    drafts: tuple[str, ...]  # "2026 年 · 项目名"
    draft_count: int
    todo_count: int


async def standing(db: Database, *, actor: Actor) -> Standing:
    """The drafts this person may continue and how many items wait in their /todo."""
    async with db.sessions() as session:
        organisations = await access.organisations_where(session, actor, Action.DECLARE_GOAL)
        mine = (Project.organisation_id.in_(organisations), Project.status == ProjectStatus.draft)
        count = await session.scalar(select(func.count()).select_from(Project).where(*mine))
        rows = await session.execute(
            select(Project.year, Project.name)
            .where(*mine)
            .order_by(Project.year.desc(), Project.id.desc())
            .limit(SHOWN_DRAFTS)
        )
        drafts = tuple(f"{year} 年 · {name}" for year, name in rows)
    pending = await todo(db, actor=actor) if access.may_ever(actor, Action.VIEW_PROJECT) else []
    return Standing(drafts, int(count or 0), len(pending))
