"""An organisation's department: up through units (however deep), never round a loop."""

from __future__ import annotations

from storage.db import Database
from storage.models import Organisation
from workflow.people.departments import department_name, department_of


async def chart(database: Database) -> dict[str, int]:
    """A department with a unit under a unit, a finance section, and two units in a loop."""
    ids: dict[str, int] = {}
    async with database.transaction() as session:
        for code, name, kind, parent in [
            ("EDU", "市教育局", "department", None),
            ("SCHOOL", "市第一中学", "unit", "EDU"),
            ("LAB", "一中实验室", "unit", "SCHOOL"),
            ("BIZ", "教科文科", "business_section", None),
            ("LOOP_A", "甲单位", "unit", None),
            ("LOOP_B", "乙单位", "unit", "LOOP_A"),
        ]:
            organisation = Organisation(
                code=code, name=name, kind=kind, parent_id=ids.get(parent) if parent else None
            )
            session.add(organisation)
            await session.flush()
            ids[code] = organisation.id  # type: ignore[assignment]
        loop_a = await session.get(Organisation, ids["LOOP_A"])
        loop_a.parent_id = ids["LOOP_B"]  # type: ignore[union-attr]
    return ids


async def test_departments_through_units_sections_and_loops(database: Database) -> None:
    ids = await chart(database)
    async with database.transaction() as session:
        found = {code: await department_of(session, ids[code]) for code in ids}
        names = {
            code: await department_name(session, await session.get(Organisation, ids[code]))
            for code in ("LAB", "BIZ", "LOOP_B")
        }
    departments = {code: org.code if org else None for code, org in found.items()}
    assert departments == {
        "EDU": "EDU",
        "SCHOOL": "EDU",
        "LAB": "EDU",  # a unit under a unit still belongs to the department
        "BIZ": None,
        "LOOP_A": None,
        "LOOP_B": None,
    }
    assert names == {"LAB": "市教育局", "BIZ": "教科文科", "LOOP_B": "乙单位"}
