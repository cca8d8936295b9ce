"""What one form answer costs in SQL: a fixed budget, the same with 4 or 2,000 organisations."""

from __future__ import annotations

from sqlalchemy import insert, select

from bench.common import StatementCounter
from storage.db import Database
from storage.models import Organisation, Project
from tests.goal_world import (
    HEADER_ANSWERS,
    NOW,
    begin,
    build_goal_world,
)
from workflow.forms import drafts

# Statements of one answer: the draft, the person, the chart's stamp, the years, the
# organisation's projects, the save. The year's answer reloads what depends on it (the
# person, the years, the organisation's projects). Raise these only with a reason.
BUDGET = 6
BUDGET_RELOADING = {"year": 9}


async def _statements_per_answer(db: Database, person: int, counter: StatementCounter) -> list[int]:
    """Declare the header, answer by answer; the statements of each answer."""
    await begin(db, person)
    counts = []
    for _, text in HEADER_ANSWERS:
        before = counter.count
        await drafts.answer(db, person_id=person, text=text, now=NOW)
        counts.append(counter.count - before)
    return counts


async def _add_departments(db: Database, number: int, section: int) -> None:
    async with db.transaction() as session:
        await session.execute(
            insert(Organisation),
            [
                {"code": f"P{n:05d}", "name": f"省直部门{n}", "kind": "department"}
                | {"section_id": section, "active": True, "created_at": NOW}
                for n in range(number)
            ],
        )


async def test_an_answer_stays_within_its_statement_budget_whatever_the_chart_size(
    database: Database,
) -> None:
    world = await build_goal_world(database)
    counter = StatementCounter(database)
    small = await _statements_per_answer(database, world.staff, counter)
    for (field, _), count in zip(HEADER_ANSWERS, small, strict=True):
        assert count <= BUDGET_RELOADING.get(field, BUDGET), (field, small)

    await drafts.cancel(database, person_id=world.staff, now=NOW)
    await _add_departments(database, 2000, world.section)
    large = await _statements_per_answer(database, world.staff, counter)
    assert large == small

    # The answers were saved, not just counted: the draft holds the last answer given.
    current = await drafts.current_draft(database, person_id=world.staff)
    assert current.view.data["name"] == "职业技能提升培训"
    assert current.view.data["annual_goal"] == HEADER_ANSWERS[-1][1]
    async with database.sessions() as session:
        organisations = await session.scalar(
            select(Organisation.id).order_by(Organisation.id.desc())
        )
        assert organisations is not None and organisations > 2000
        assert list(await session.scalars(select(Project.id))) == []


async def test_a_department_imported_later_is_offered_as_a_co_department(
    database: Database,
) -> None:
    world = await build_goal_world(database)
    await begin(database, world.staff)
    first = await drafts.current_draft(database, person_id=world.staff)
    assert [d["code"] for d in first.view.context["departments"]] == ["D02"]
    await _add_departments(database, 1, world.section)
    after = await drafts.current_draft(database, person_id=world.staff)
    assert [d["code"] for d in after.view.context["departments"]] == ["D02", "P00000"]
