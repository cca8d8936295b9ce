"""Storage behaves the same on SQLite and PostgreSQL: exact money, UTC, constraints, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage.db import Database
from storage.models import (
    AuditEntry,
    BudgetYear,
    FormDraft,
    GoalVersion,
    Indicator,
    Organisation,
    Person,
    Project,
)


async def _project(db: Database) -> GoalVersion:
    async with db.transaction() as session:
        section = Organisation(code="S01", name="行政政法科", kind="business_section")
        session.add(section)
        await session.flush()
        department = Organisation(
            code="D01", name="市教育局", kind="department", section_id=section.id
        )
        session.add_all([department, BudgetYear(year=2027)])
        await session.flush()
        project = Project(year=2027, organisation_id=department.id, name="教师培训")
        session.add(project)
        await session.flush()
        goal = GoalVersion(project_id=project.id, funds_total=Decimal("1200.50"))
        session.add(goal)
    return goal


async def test_money_is_exact_after_a_round_trip(database: Database) -> None:
    goal = await _project(database)
    amounts = {
        "funds_total": Decimal("123456789012.123456"),
        "funds_fiscal": Decimal("0.1"),
        "funds_carryover": Decimal("0.2"),
        "funds_other": Decimal("0.000001"),
        "annual_amount": Decimal("100"),
    }
    async with database.transaction() as session:
        await session.execute(update(GoalVersion).where(GoalVersion.id == goal.id).values(amounts))
    async with database.sessions() as session:
        stored = await session.get(GoalVersion, goal.id)
    assert stored.funds_total == Decimal("123456789012.123456")
    # 0.1 + 0.2 is 0.30000000000000004 in floats; stored Decimals must add up exactly.
    assert stored.funds_fiscal + stored.funds_carryover == Decimal("0.3")
    assert stored.funds_other == Decimal("0.000001")
    assert isinstance(stored.annual_amount, Decimal)


async def test_money_refuses_floats(database: Database) -> None:
    goal = await _project(database)
    with pytest.raises(Exception, match="float"):
        async with database.transaction() as session:
            await session.execute(
                update(GoalVersion).where(GoalVersion.id == goal.id).values(funds_total=0.1)
            )


async def test_datetimes_come_back_timezone_aware_utc(database: Database) -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    moment = dt.datetime(2026, 10, 1, 9, 30, tzinfo=shanghai)
    async with database.transaction() as session:
        person = Person(name="张三", created_at=moment)
        session.add(person)
    async with database.sessions() as session:
        stored = await session.get(Person, person.id)
    assert stored.created_at.utcoffset() == dt.timedelta(0)
    assert stored.created_at == moment
    assert stored.created_at.hour == 1


async def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive"):
        async with database.transaction() as session:
            session.add(Person(name="李四", created_at=dt.datetime(2026, 1, 1)))


async def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            session.add(Project(year=2027, organisation_id=99999, name="孤儿项目"))


async def test_status_check_constraint(database: Database) -> None:
    goal = await _project(database)
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            await session.execute(
                update(GoalVersion).where(GoalVersion.id == goal.id).values(status="approvd")
            )


async def test_indicator_sign_check_constraint(database: Database) -> None:
    goal = await _project(database)
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            session.add(
                Indicator(goal_version_id=goal.id, level1="产出", level2="数量", name="x", sign="≈")
            )


async def test_audit_log_is_append_only(database: Database) -> None:
    async with database.transaction() as session:
        entry = AuditEntry(action="org.import", detail={"rows": 3})
        session.add(entry)
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.transaction() as session:
            await session.execute(text("UPDATE audit_log SET action = 'forged'"))
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.transaction() as session:
            await session.execute(text("DELETE FROM audit_log"))
    async with database.sessions() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert actions == ["org.import"]


async def test_one_active_draft_per_person(database: Database) -> None:
    async with database.transaction() as session:
        person = Person(name="王五")
        session.add(person)
        await session.flush()
        session.add(FormDraft(person_id=person.id, form="goal", data={"name": "甲"}))
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            session.add(FormDraft(person_id=person.id, form="goal"))
    async with database.transaction() as session:
        # A finished draft does not block the next one.
        await session.execute(update(FormDraft).values(status="submitted"))
        session.add(FormDraft(person_id=person.id, form="goal", data={"name": "乙"}))
    async with database.sessions() as session:
        drafts = (await session.scalars(select(FormDraft).order_by(FormDraft.id))).all()
    assert [(d.status, d.data["name"]) for d in drafts] == [("submitted", "甲"), ("active", "乙")]


async def test_telegram_ids_beyond_32_bits(database: Database) -> None:
    async with database.transaction() as session:
        person = Person(name="赵六", telegram_user_id=7_123_456_789)
        session.add(person)
    async with database.sessions() as session:
        found = await session.scalar(select(Person).where(Person.telegram_user_id == 7_123_456_789))
    assert found is not None and found.name == "赵六"
