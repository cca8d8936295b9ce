"""One vocabulary: every stored value people can see has one Chinese label, used everywhere."""

from __future__ import annotations

import inspect
from enum import StrEnum

import pytest

from bot.ui import vocabulary
from bot.ui.render import environment, render
from storage.models import enums
from templates import TEMPLATES


def every_enum() -> set[type[StrEnum]]:
    return {
        member
        for _, member in inspect.getmembers(enums, inspect.isclass)
        if issubclass(member, StrEnum) and member is not StrEnum
    }


def test_every_enum_is_labelled_or_declared_unseen() -> None:
    assert every_enum() == set(vocabulary.SECTIONS.values()) | vocabulary.NOT_SHOWN


@pytest.mark.parametrize("section", sorted(vocabulary.SECTIONS))
def test_every_value_has_a_label(section: str) -> None:
    words = vocabulary.labels(section)
    for member in vocabulary.SECTIONS[section]:
        assert words.get(member.value, "").strip(), f"{section}.{member.value} has no label"
    assert set(words) <= {member.value for member in vocabulary.SECTIONS[section]}


def test_no_other_template_keeps_its_own_copy_of_a_label() -> None:
    copies = []
    files = [*TEMPLATES.rglob("*.j2"), *TEMPLATES.rglob("*.toml")]
    for path in files:
        if path.name in ("vocabulary.toml", "buttons.toml"):  # buttons name actions, not values
            continue
        text = path.read_text(encoding="utf-8")
        for section, enum in vocabulary.SECTIONS.items():
            for member in enum:
                word = vocabulary.label(member, section)
                for form in (f'"{member.value}": "{word}"', f'{member.value} = "{word}"'):
                    if form in text:
                        copies.append(f"{path.name}: {form}")
    assert copies == []


def test_messages_read_labels_through_the_filter() -> None:
    template = environment().from_string(
        '{{ "head"|label("stage") }}/{{ label("possible", "likelihood") }}/{{ none|label("role") }}'
    )
    assert template.render() == "部门主要领导审定/有可能/"
    assert vocabulary.label(enums.BudgetLight.red, "light") == "红"
    assert vocabulary.label("a_value_from_older_data", "stage") == "a_value_from_older_data"
    with pytest.raises(vocabulary.UnknownVocabularyError):
        vocabulary.label("head", "no_such_section")


def test_a_role_renders_from_the_vocabulary_in_messages() -> None:
    held = {"role": "performance", "organisation_name": "市财政局", "organisation_code": "CZ"}
    text = render("profile", name="王丽", roles=[held], greeting=False)
    assert "• 绩效管理科 · 市财政局（CZ）" in text


def test_typed_role_words_are_the_labels_aliases_and_codes() -> None:
    words = vocabulary.typed_roles()
    assert words["经办人"] == "staff" and words["专家"] == "expert" and words["admin"] == "admin"
