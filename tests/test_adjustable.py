"""/adjust lists issued projects with any adjustment under way, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from storage.db import Database
from tests.review_world import YEAR, World, approve_through, build_world, make_goal
from tests.test_issuance import LATER, NOW, open_adjustment
from workflow.core import access
from workflow.core.access import Action
from workflow.goals import adjustment, issuance


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    """The SQL statements the database runs inside the block."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def issued(world: World, names: list[str]) -> list[int]:
    versions = [await make_goal(world, name=name) for name in names]
    for version in versions:
        await approve_through(world, version, now=NOW)
    await issuance.issue_year(
        world.db, actor=world["budget"], year=YEAR, expected=len(names), now=LATER
    )
    return versions


async def test_several_projects_one_query_for_their_adjustments(database: Database) -> None:
    world = await build_world(database)
    first, second, third = await issued(world, ["教师培训项目", "校园安全", "课后服务"])
    _, pending = await open_adjustment(world, first)
    staff = world["edu_staff"]

    with counted(database) as baseline:
        async with database.transaction() as session:
            await access.organisations_where(session, staff, Action.REQUEST_ADJUSTMENT)
    with counted(database) as statements:
        found = await adjustment.adjustable(database, actor=staff, year=YEAR)

    assert len(statements) == len(baseline) + 2  # the projects, then all their adjustments
    by_project = {item.project: item for item in found}
    assert sorted(by_project) == sorted(["教师培训项目", "校园安全", "课后服务"])
    assert by_project["教师培训项目"].goal_version_id == first
    assert (by_project["教师培训项目"].open_id, by_project["教师培训项目"].open_status) == (
        pending,
        "in_review",
    )
    for name, version in (("校园安全", second), ("课后服务", third)):
        assert by_project[name].goal_version_id == version and by_project[name].open_id is None
