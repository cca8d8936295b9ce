"""The sample Q3-shaped form through the draft store and the runner's views: ticks survive
a restart (a second process reads the draft from the database) and the answers submitted
keep the computed values, the rows' keys and the chosen reasons as a list."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.conversations import form_view
from storage.db import Database
from storage.models import FormDraft, Person
from tests.q3_sample_form import NAME, REASONS, register
from tests.test_form_view import check
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome, DraftResult

NOW = dt.datetime(2025, 10, 8, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def sample_form(monkeypatch: pytest.MonkeyPatch) -> None:
    register(monkeypatch)


async def make_person(db: Database) -> int:
    async with db.transaction() as session:
        person = Person(name="李娜")
        session.add(person)
        await session.flush()
        return person.id


async def say(db: Database, person: int, text: str) -> DraftResult:
    result = await drafts.answer(db, person_id=person, text=text, now=NOW)
    assert result.outcome is DraftOutcome.moved, (text, result.problem)
    return result


async def press(db: Database, person: int, operation, **kwargs) -> DraftResult:
    view = (await drafts.current_draft(db, person_id=person)).view
    return await operation(
        db, person_id=person, draft_id=view.id, version=view.version, now=NOW, **kwargs
    )


def buttons(result: DraftResult) -> list[str]:
    reply = form_view.step(result.view, result.problem)
    return [b.text for row in reply.markup.inline_keyboard for b in row]


async def test_ticks_survive_a_restart_and_the_submitted_draft_keeps_everything(
    database: Database, second_process: Database
) -> None:
    person = await make_person(database)
    started = await drafts.start_draft(database, person_id=person, form_name=NAME, now=NOW)
    assert started.outcome is DraftOutcome.moved and str(started.view.cursor) == "budget"
    await say(database, person, "200")
    red = await say(database, person, "120")
    assert "❗ 预算执行率亮黄灯或红灯" in check(form_view.step(red.view))
    skipped = await drafts.skip(database, person_id=person, now=NOW)
    assert skipped.outcome is DraftOutcome.refused
    assert "必须说明偏差原因" in check(form_view.step(skipped.view, skipped.problem))
    await say(database, person, "采购延后")
    await say(database, person, "700")
    asked = await say(database, person, "有可能")
    assert str(asked.view.cursor) == "indicators#0.reasons"
    for reason in ("经费保障", "其他"):
        ticked = await press(database, person, drafts.toggle_choice, index=REASONS.index(reason))
        assert ticked.outcome is DraftOutcome.moved
    assert "✅ 其他" in buttons(ticked)

    # the bot restarts: another process reads the draft from the database and resumes it
    resumed = await drafts.resume(second_process, person_id=person, now=NOW)
    assert resumed.outcome is DraftOutcome.shown
    assert str(resumed.view.cursor) == "indicators#0.reasons"
    assert resumed.view.step.picked == ("经费保障", "其他")
    labels = buttons(resumed)
    assert "✅ 经费保障" in labels and "✅ 其他" in labels and "制度保障" in labels
    assert "已选：经费保障、其他" in check(form_view.step(resumed.view))

    done = await press(second_process, person, drafts.confirm_choices)
    assert str(done.view.cursor) == "indicators#0.other_reason"
    assert "❗ 选择了“其他”，请写明具体原因。" in check(form_view.step(done.view))
    await say(second_process, person, "场地改造延期")
    await say(second_process, person, "95")
    await say(second_process, person, "确定能")
    menu = await drafts.skip(second_process, person_id=person, now=NOW)
    assert menu.view.step.kind == "menu" and "2/2 已填写" in check(form_view.step(menu.view))
    assert "➕ 再添加一条" not in buttons(menu)
    refused = await press(second_process, person, drafts.add_row)
    assert refused.outcome is DraftOutcome.refused and refused.problem.code == "fixed_rows"
    summary = await press(second_process, person, drafts.finish_rows)
    text = check(form_view.step(summary.view))
    assert "3. 执行率：60%" in text and "经费保障、其他" in text
    submitted = await press(second_process, person, drafts.submit)
    assert submitted.outcome is DraftOutcome.submitted

    async with database.transaction() as session:
        stored = await session.get(FormDraft, started.view.id)
    assert stored.status == "submitted"
    assert stored.data["rate"] == "0.6000" and stored.data["light"] == "red"
    first, second = stored.data["indicators"]
    assert (first["_key"], second["_key"]) == (41, 42)
    assert first["reasons"] == ["经费保障", "其他"] and first["achieved"] == "0.7000"
    assert first["other_reason"] == "场地改造延期" and second["reasons"] is None
    assert "picking" not in stored.data.get("_meta", {})
