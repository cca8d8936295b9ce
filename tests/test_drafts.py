"""Drafts in the database: saved at every answer, one per person, stale buttons harmless."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import sys
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import AuditEntry, FormDraft, Person
from workflow.core import audit
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome
from workflow.forms.parsers import parse_money, parse_name
from workflow.forms.registry import FORM_MODULES
from workflow.forms.spec import Choice, FieldSpec, FormSpec, Kind, Problem, SubmitRefused

NOW = dt.datetime(2025, 9, 1, 8, 0, tzinfo=dt.UTC)


async def load_context(session: Any, person_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"colours": ["红", "蓝"]}


async def make_record(session: Any, *, person_id: int, answers: Any, **_: Any) -> int:
    if answers.get("name") == "已占用":
        raise SubmitRefused(Problem("name_taken", {}, "name"))
    entry = audit.record(
        session, action="sample.submit", actor_id=person_id, detail={"name": answers.get("name")}
    )
    await session.flush()
    return entry.id


FORM = FormSpec(
    "test_sample",
    entries=(
        FieldSpec("name", Kind.text, parse_name),
        FieldSpec("amount", Kind.money, parse_money),
        FieldSpec(
            "colour", Kind.choice, choices=lambda a: [Choice(c, c) for c in a.context["colours"]]
        ),
        FieldSpec("note", Kind.text, parse_name, optional=True),
    ),
    load_context=load_context,
    submit=make_record,
)


@pytest.fixture(autouse=True)
def sample_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(FORM_MODULES, "test_sample", __name__)


async def make_person(db: Database, name: str = "王芳") -> int:
    async with db.transaction() as session:
        person = Person(name=name)
        session.add(person)
        await session.flush()
        return person.id


async def stored(db: Database, draft_id: int) -> FormDraft:
    async with db.transaction() as session:
        return await session.get(FormDraft, draft_id)


async def started(db: Database, person_id: int) -> drafts.DraftResult:
    result = await drafts.start_draft(db, person_id=person_id, form_name="test_sample", now=NOW)
    assert result.outcome is DraftOutcome.moved
    return result


async def test_every_answer_is_in_the_database_at_once(database: Database) -> None:
    person = await make_person(database)
    result = await started(database, person)
    assert str(result.view.cursor) == "name"
    result = await drafts.answer(database, person_id=person, text="职业技能培训", now=NOW)
    row = await stored(database, result.view.id)
    assert row.data == {"name": "职业技能培训"} and row.current_field == "amount"
    assert row.version == 2 and row.status == "active"
    result = await drafts.answer(database, person_id=person, text="1,200.50万元", now=NOW)
    assert (await stored(database, result.view.id)).data["amount"] == "1200.50"
    assert result.view.step.field.name == "colour"
    assert [c.label for c in result.view.step.choices] == ["红", "蓝"]


async def test_a_wrong_answer_is_refused_and_nothing_changes(database: Database) -> None:
    person = await make_person(database)
    await started(database, person)
    await drafts.answer(database, person_id=person, text="培训", now=NOW)
    result = await drafts.answer(database, person_id=person, text="NaN", now=NOW)
    assert result.outcome is DraftOutcome.refused and result.problem.code == "not_a_number"
    row = await stored(database, result.view.id)
    assert row.version == 2 and row.current_field == "amount"


async def test_one_active_draft_per_person(database: Database) -> None:
    person = await make_person(database)
    first = await started(database, person)
    await drafts.answer(database, person_id=person, text="培训", now=NOW)
    again = await drafts.start_draft(database, person_id=person, form_name="test_sample", now=NOW)
    assert again.outcome is DraftOutcome.exists and again.view.id == first.view.id
    assert again.view.data == {"name": "培训"}
    fresh = await drafts.start_draft(
        database, person_id=person, form_name="test_sample", now=NOW, replace=True
    )
    assert fresh.outcome is DraftOutcome.moved and fresh.view.id != first.view.id
    assert (await stored(database, first.view.id)).status == "cancelled"


async def test_two_starts_at_the_same_moment_make_one_draft(database: Database) -> None:
    person = await make_person(database)
    results = await asyncio.gather(
        *(
            drafts.start_draft(database, person_id=person, form_name="test_sample", now=NOW)
            for _ in range(2)
        )
    )
    assert sorted(r.outcome for r in results) == [DraftOutcome.exists, DraftOutcome.moved]
    async with database.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(FormDraft))
    assert count == 1


async def test_stale_and_double_pressed_buttons_change_nothing(database: Database) -> None:
    person = await make_person(database)
    await started(database, person)
    await drafts.answer(database, person_id=person, text="培训", now=NOW)
    shown = await drafts.answer(database, person_id=person, text="120", now=NOW)
    draft_id, version = shown.view.id, shown.view.version
    first = await drafts.choose(
        database, person_id=person, draft_id=draft_id, version=version, index=1, now=NOW
    )
    second = await drafts.choose(
        database, person_id=person, draft_id=draft_id, version=version, index=0, now=NOW
    )
    assert first.outcome is DraftOutcome.moved and second.outcome is DraftOutcome.stale
    row = await stored(database, draft_id)
    assert row.data["colour"] == "蓝" and row.version == version + 1


async def test_a_button_of_someone_elses_draft_is_stale(database: Database) -> None:
    owner, other = await make_person(database), await make_person(database, "李雷")
    view = (await started(database, owner)).view
    result = await drafts.back(
        database, person_id=other, draft_id=view.id, version=view.version, now=NOW
    )
    assert result.outcome is DraftOutcome.stale
    assert (await drafts.current_draft(database, person_id=other)).outcome is DraftOutcome.none


async def test_back_skip_edit_and_resume(database: Database) -> None:
    person = await make_person(database)
    await started(database, person)
    for text in ("培训", "120", "红"):
        await drafts.answer(database, person_id=person, text=text, now=NOW)
    skipped = await drafts.skip(database, person_id=person, now=NOW)
    assert skipped.view.cursor.is_summary and skipped.view.data["note"] is None
    back = await drafts.back(database, person_id=person, now=NOW)
    assert back.view.step.field.name == "note"
    await drafts.skip(database, person_id=person, now=NOW)
    edit = await drafts.edit_field(database, person_id=person, number=2, now=NOW)
    assert edit.view.step.field.name == "amount" and edit.view.step.current == 120
    await database.dispose()  # as after a restart: nothing is kept in memory
    resumed = await drafts.resume(database, person_id=person, now=NOW)
    assert resumed.outcome is DraftOutcome.shown and resumed.view.step.field.name == "amount"
    done = await drafts.answer(database, person_id=person, text="150", now=NOW)
    assert done.view.cursor.is_summary and done.view.data["amount"] == "150"


async def test_cancel_closes_the_draft(database: Database) -> None:
    person = await make_person(database)
    view = (await started(database, person)).view
    result = await drafts.cancel(
        database, person_id=person, draft_id=view.id, version=view.version, now=NOW
    )
    assert result.outcome is DraftOutcome.cancelled
    assert (await stored(database, view.id)).status == "cancelled"
    assert (await drafts.current_draft(database, person_id=person)).outcome is DraftOutcome.none
    again = await drafts.answer(database, person_id=person, text="x", now=NOW)
    assert again.outcome is DraftOutcome.none


async def answered(database: Database, person: int, name: str) -> drafts.DraftResult:
    await started(database, person)
    for text in (name, "120", "红"):
        await drafts.answer(database, person_id=person, text=text, now=NOW)
    return await drafts.skip(database, person_id=person, now=NOW)


async def test_submit_makes_the_record_once(database: Database) -> None:
    person = await make_person(database)
    view = (await answered(database, person, "培训")).view
    result = await drafts.submit(
        database, person_id=person, draft_id=view.id, version=view.version, now=NOW
    )
    assert result.outcome is DraftOutcome.submitted and result.record is not None
    twice = await drafts.submit(
        database, person_id=person, draft_id=view.id, version=view.version, now=NOW
    )
    assert twice.outcome is DraftOutcome.stale
    assert (await stored(database, view.id)).status == "submitted"
    async with database.transaction() as session:
        entries = (await session.execute(select(AuditEntry))).scalars().all()
    assert [e.detail for e in entries] == [{"name": "培训"}]


async def test_submit_refused_sends_the_person_to_the_field(database: Database) -> None:
    person = await make_person(database)
    view = (await answered(database, person, "已占用")).view
    result = await drafts.submit(
        database, person_id=person, draft_id=view.id, version=view.version, now=NOW
    )
    assert result.outcome is DraftOutcome.refused and result.problem.code == "name_taken"
    assert result.view.step.field.name == "name"
    row = await stored(database, view.id)
    assert row.status == "active" and row.current_field == "name"


async def test_submit_only_from_the_summary(database: Database) -> None:
    person = await make_person(database)
    view = (await started(database, person)).view
    result = await drafts.submit(
        database, person_id=person, draft_id=view.id, version=view.version, now=NOW
    )
    assert result.outcome is DraftOutcome.refused and result.problem.code == "not_now"


async def test_the_forms_facts_are_loaded_once_per_answer(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded_for: list[dict[str, Any]] = []

    async def counted(session: Any, person_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        loaded_for.append(dict(data))
        return await load_context(session, person_id, data)

    reading_name = dataclasses.replace(FORM, load_context=counted, context_reads=("name",))
    monkeypatch.setattr(sys.modules[__name__], "FORM", reading_name)
    person = await make_person(database)
    await started(database, person)
    loaded_for.clear()
    await drafts.answer(database, person_id=person, text="培训", now=NOW)
    assert loaded_for == [{}, {"name": "培训"}]  # the answer it reads changed: loaded again
    loaded_for.clear()
    moved = await drafts.answer(database, person_id=person, text="120", now=NOW)
    assert loaded_for == [{"name": "培训"}]  # the amount is not read: the same facts serve
    assert [c.label for c in moved.view.step.choices] == ["红", "蓝"]
    loaded_for.clear()
    refused = await drafts.answer(database, person_id=person, text="紫", now=NOW)
    assert refused.problem.code == "choose_button" and len(loaded_for) == 1
