"""Text that is not text: invisible characters, direction overrides, odd digits, units."""

from __future__ import annotations

import pytest

from storage.db import Database
from tests.goal_world import begin, build_goal_world, say
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome
from workflow.forms.parsers import ParseError, parse_money, parse_name, parse_text, parse_unit

INVISIBLE = [
    "\u200b",
    "\ufeff",
    "\u200f",
    "\u200b\u200b\ufeff",
    " \u200b \u3000",
    "\u202e",
    "\u2060",
]


@pytest.mark.parametrize("text", INVISIBLE)
def test_a_name_or_goal_of_invisible_characters_is_refused(text: str) -> None:
    for parse in (parse_name, parse_text):
        with pytest.raises(ParseError) as refused:
            parse(text)
        assert refused.value.code == "empty"


def test_format_characters_are_stripped_from_names_and_text() -> None:
    assert parse_name("张\u202e三\u200b") == "张三"
    assert parse_name("\ufeff职业\u200f技能培训") == "职业技能培训"
    assert parse_text("目标\u200b明确 👨\u200d👩\u200d👧") == "目标明确 👨\u200d👩\u200d👧"
    assert parse_name("ＡＢＣ培训") == "ABC培训"  # full-width letters folded (NFKC)
    assert parse_name("①号楼") == "①号楼"  # circled digits keep their meaning


@pytest.mark.parametrize("text", ["²", "①②③", "1²", "٣"])
def test_digits_python_accepts_are_not_amounts(text: str) -> None:
    with pytest.raises(ParseError):
        parse_money(text)


@pytest.mark.parametrize("text", ["%", "人次", " 万元 ", "％", "平方米"])
def test_listed_units_are_accepted(text: str) -> None:
    assert parse_unit(text) == text.strip().replace("％", "%")


@pytest.mark.parametrize(
    "text",
    [
        "\u200b",
        "🙂",
        "<b>",
        "123",
        "人次人次人次人次",
        "DROP TABLE",
        "其他：",
        "其他：12",
        "其他：一二三四五六七八九十一",
        "m",
        "null",
        "     ",
    ],
)
def test_anything_else_is_refused_as_a_unit(text: str) -> None:
    with pytest.raises(ParseError):
        parse_unit(text)


def test_other_units_take_the_free_path() -> None:
    assert parse_unit("其他：架次") == "架次"
    assert parse_unit("其他 kWh") == "kWh"
    assert parse_unit("\u202e%") == "%"  # the override is stripped, the unit is listed


async def test_the_goal_form_refuses_an_invisible_project_name(database: Database) -> None:
    world = await build_goal_world(database)
    await begin(database, world.staff)
    await say(database, world.staff, "2026", expect_at="year")
    await say(database, world.staff, "新增", expect_at="attribute")

    refused = await drafts.answer(
        database, person_id=world.staff, text="\u200b\ufeff\u200f", now=None
    )  # type: ignore[arg-type]

    assert refused.outcome is not DraftOutcome.moved
    assert refused.problem is not None and refused.problem.code == "empty"
    current = await drafts.current_draft(database, person_id=world.staff)
    assert str(current.view.cursor) == "name"
