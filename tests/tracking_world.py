"""Issued projects for the tracking tests, built on the review world's bureau."""

from __future__ import annotations

from sqlalchemy import update

from storage.models import GoalVersion, Project
from tests.review_world import World, make_goal


async def set_status(world: World, goal_version_id: int, version: str, project: str) -> int:
    """Put a goal version and its project in the given states; the project id."""
    async with world.db.transaction() as session:
        goal = await session.get(GoalVersion, goal_version_id)
        assert goal is not None
        await session.execute(
            update(GoalVersion).where(GoalVersion.id == goal_version_id).values(status=version)
        )
        await session.execute(
            update(Project).where(Project.id == goal.project_id).values(status=project)
        )
        return goal.project_id


async def issued_project(world: World, **kwargs: object) -> tuple[int, int]:
    """A project whose goals were issued: (project id, goal version id)."""
    goal_version_id = await make_goal(world, **kwargs)  # type: ignore[arg-type]
    return await set_status(world, goal_version_id, "issued", "issued"), goal_version_id
