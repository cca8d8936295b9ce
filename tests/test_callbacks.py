"""Button data outside the review machine: built, parsed back, within 64 bytes, junk refused."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.conversations.form_text import catalog, jinja
from bot.handlers.evaluation import tasks as evaluation_handlers
from bot.handlers.goals import projects as project_handlers
from bot.handlers.people import admin as admin_handlers
from bot.ui.callbacks import (
    MAX_CALLBACK_BYTES,
    MAX_ID,
    EvaluationPress,
    FormPress,
    ProjectPress,
    button_data,
    evaluation,
    parse_evaluation,
    parse_form,
    parse_project,
    parse_revoke_invitation,
    revoke_invitation_data,
)
from bot.ui.render import render

BIG = MAX_ID  # the largest id a button may carry
YEAR = 2026
JUNK = ["", "pj", "pj:", "pj:zz:1", "pj:c:abc", "pj:c:", "fm:1", "adm:ri:", "adm:ri:x", "rv:ap:1:1"]
TOO_LARGE = [
    f"pj:c:{MAX_ID + 1}",
    f"pj:ls:{MAX_ID + 1}",
    f"pj:doc:{10**12 - 1}",
    f"adm:ri:{MAX_ID + 1}",
    f"adm:ri:{10**40}",
    f"fm:{MAX_ID + 1}:1:ok",
    "pj:c:0",
    "adm:ri:0",
    f"ev:c:{MAX_ID + 1}",
    f"ev:op:{YEAR}:{MAX_ID + 1}",
    "ev:c:0",
]
EVALUATION_JUNK = ["ev", "ev:", "ev:c", "ev:c:", "ev:zz:1", "ev:c:abc", "ev:c:1:x", "tk:c:1"]
EVALUATION_JUNK += ["ev:doc:", "ev:rd:1:x", "ev:rx::2026", "ev:rw:1:2026:3"]


def project_presses() -> list[ProjectPress]:
    presses = [ProjectPress("new"), ProjectPress("ls", 0), ProjectPress("ls", BIG)]
    presses += [
        ProjectPress(action, project) for action in ("c", "doc", "pv", "ed") for project in (1, BIG)
    ]
    return presses


def form_presses() -> list[FormPress]:
    simple = ["k", "s", "b", "a", "d", "xy", "ok", "v", "x", "r"]
    presses = [FormPress(BIG, 999_999_999, action) for action in simple]
    presses += [FormPress(BIG, 999_999_999, "c", "12"), FormPress(1, 0, "e", "3")]
    presses += [FormPress(BIG, 999_999_999, "rf", "19." + "x" * 34)]  # the longest that fits
    return presses


@pytest.mark.parametrize("press", project_presses(), ids=repr)
def test_project_buttons_parse_back(press: ProjectPress) -> None:
    data = press.data()
    assert data.startswith("pj:") and len(data.encode()) <= MAX_CALLBACK_BYTES
    assert parse_project(data) == press


@pytest.mark.parametrize("press", form_presses(), ids=repr)
def test_form_buttons_parse_back(press: FormPress) -> None:
    data = press.data()
    assert data.startswith("fm:") and len(data.encode()) <= MAX_CALLBACK_BYTES
    assert parse_form(data) == press


@pytest.mark.parametrize("invitation", [1, 42, BIG])
def test_revoke_buttons_parse_back(invitation: int) -> None:
    data = revoke_invitation_data(invitation)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert parse_revoke_invitation(data) == invitation


@pytest.mark.parametrize(
    "press",
    [
        EvaluationPress("c", 1),
        EvaluationPress("c", BIG),
        EvaluationPress("op", YEAR, BIG),
        EvaluationPress("doc", BIG),
        EvaluationPress("rw", BIG, YEAR),
        EvaluationPress("rd", 7, YEAR),
        EvaluationPress("rx", 7, YEAR),
    ],
    ids=repr,
)
def test_evaluation_buttons_parse_back(press: EvaluationPress) -> None:
    data = press.data()
    assert data.startswith("ev:") and len(data.encode()) <= MAX_CALLBACK_BYTES
    assert parse_evaluation(data) == press
    assert evaluation(press.action, press.number, press.second) == data


def test_the_stored_evaluation_button_is_built_at_delivery() -> None:
    assert button_data({"evaluation": ["c", 12]}) == "ev:c:12"
    assert button_data({"evaluation": ["op", YEAR, 3]}) == f"ev:op:{YEAR}:3"


@pytest.mark.parametrize("data", EVALUATION_JUNK + TOO_LARGE + JUNK)
def test_junk_evaluation_presses_are_refused(data: str) -> None:
    assert parse_evaluation(data) is None


def test_data_old_messages_hold_still_parses() -> None:
    # As the handlers wrote them before the callbacks moved to one module.
    assert parse_project("pj:new") == ProjectPress("new")
    assert parse_project("pj:ls:3") == ProjectPress("ls", 3)
    assert parse_project("pj:c:17") == ProjectPress("c", 17)
    assert parse_revoke_invitation("adm:ri:5") == 5
    assert parse_form("fm:8:3:rf:0.target") == FormPress(8, 3, "rf", "0.target")


def test_the_submitted_declaration_button_opens_the_project_card() -> None:
    [(label, source)] = catalog("goal_declaration")["submitted_buttons"]
    data = str(jinja(source, record={"project_id": 73}))
    assert label and parse_project(data) == ProjectPress("c", 73)


@pytest.mark.parametrize("data", JUNK + TOO_LARGE)
def test_junk_and_impossible_ids_are_refused(data: str) -> None:
    assert parse_project(data) is None
    assert parse_revoke_invitation(data) is None
    assert parse_form(data) is None


def test_a_builder_refuses_data_over_64_bytes() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        FormPress(1, 1, "rf", "x" * 60).data()


class FakeQuery:
    """A pressed button that records what the bot answers."""

    def __init__(self, data: str) -> None:
        self.data = data
        self.message = None
        self.answers: list[str | None] = []

    async def answer(self, text: str | None = None, **_: object) -> None:
        self.answers.append(text)


@pytest.mark.parametrize("data", ["pj:c:99999999999", "pj:doc:", "pj:new:5"])
async def test_a_junk_project_press_gets_the_old_button_answer(data: str) -> None:
    query = FakeQuery(data)
    update = SimpleNamespace(callback_query=query, effective_chat=SimpleNamespace(id=1))
    context = SimpleNamespace(perfbot_actor=object())  # a registered person (cached actor)
    await project_handlers.on_press(update, context)  # type: ignore[arg-type]
    assert query.answers == [render("button_expired")]


@pytest.mark.parametrize("data", ["ev:c:99999999999", "ev:op:2026", f"ev:c:{2**31}"])
async def test_a_junk_evaluation_press_gets_the_old_button_answer(data: str) -> None:
    query = FakeQuery(data)
    update = SimpleNamespace(callback_query=query, effective_chat=SimpleNamespace(id=1))
    context = SimpleNamespace(perfbot_actor=object())  # a registered person (cached actor)
    await evaluation_handlers.on_press(update, context)  # type: ignore[arg-type]
    assert query.answers == [render("button_expired")]


@pytest.mark.parametrize("data", ["adm:ri:abc", f"adm:ri:{2**63}"])
async def test_a_junk_revoke_press_gets_the_old_button_answer(data: str) -> None:
    query = FakeQuery(data)
    await admin_handlers.revoke_button(SimpleNamespace(callback_query=query), None)  # type: ignore[arg-type]
    assert query.answers == [render("button_expired")]
