"""The form engine on a small form: order, ask-if, back, skip, edit, rows, final checks."""

from __future__ import annotations

from decimal import Decimal

from workflow.forms import flow as form_flow
from workflow.forms import rows as form_rows
from workflow.forms import summary as form_summary
from workflow.forms.parsers import parse_money, parse_name, parse_number, parse_yes_no
from workflow.forms.spec import (
    Answers,
    Choice,
    Cursor,
    FieldSpec,
    FormSpec,
    Kind,
    Problem,
    SubFormSpec,
)


def at_most_total(value: Decimal, answers: Answers) -> Problem | None:
    total = answers.get("total")
    return Problem("over_total", {"total": total}) if total is not None and value > total else None


def rows_sum_not_zero(rows: list[Answers], parent: Answers) -> Problem | None:
    return Problem("all_zero") if sum(row.get("qty") for row in rows) == 0 else None


ITEMS = SubFormSpec(
    "items",
    fields=(
        FieldSpec(
            "kind", Kind.choice, choices=(Choice("a", "甲"), Choice("b", "乙")), clears=("qty",)
        ),
        FieldSpec("label", Kind.text, parse_name),
        FieldSpec("qty", Kind.number, parse_number, ask_if=lambda row: row.get("kind") == "a"),
    ),
    min_items=1,
    validators=(rows_sum_not_zero,),
)

FORM = FormSpec(
    "sample",
    entries=(
        FieldSpec("name", Kind.text, parse_name),
        FieldSpec("total", Kind.money, parse_money),
        FieldSpec("annual", Kind.money, parse_money, validators=(at_most_total,)),
        FieldSpec("extra", Kind.boolean, parse_yes_no, choices=(Choice(True), Choice(False))),
        FieldSpec(
            "note", Kind.text, parse_name, optional=True, ask_if=lambda a: a.get("extra") is True
        ),
        ITEMS,
        FieldSpec("done", Kind.boolean, parse_yes_no),
    ),
)


def run(*texts: str, data=None, cursor=None):
    """Answer questions in order from the start; return the last outcome."""
    outcome = form_flow.start(FORM, {}) if data is None else form_flow.Outcome(data, cursor)
    for text in texts:
        outcome = form_flow.answer_text(FORM, outcome.data, outcome.cursor, text, {})
        assert outcome.problem is None, (text, outcome.problem)
    return outcome


def test_fields_are_asked_in_order_and_ask_if_hides_one() -> None:
    outcome = form_flow.start(FORM, {})
    assert str(outcome.cursor) == "name"
    outcome = run("培训项目", "120万", "100", "否")
    # note is hidden (extra is no); the empty sub-form starts its first row at once
    assert str(outcome.cursor) == "items#0.kind"
    assert outcome.data["total"] == "120"
    assert "note" not in outcome.data


def test_wrong_answer_keeps_the_question_and_says_why() -> None:
    outcome = run("培训项目", "120")
    refused = form_flow.answer_text(FORM, outcome.data, outcome.cursor, "abc", {})
    assert refused.problem == Problem("not_a_number", {})
    assert refused.cursor == outcome.cursor and refused.data == outcome.data
    over = form_flow.answer_text(FORM, outcome.data, outcome.cursor, "130", {})
    assert over.problem.code == "over_total"
    assert over.problem.params == {"total": Decimal(120)}


def test_choice_by_button_or_by_typing_its_label() -> None:
    outcome = run("培训项目", "120", "100", "是")
    assert str(outcome.cursor) == "note"
    by_button = form_flow.choose(FORM, outcome.data, outcome.cursor, 5, {})
    assert by_button.problem.code == "not_now"
    outcome = form_flow.skip(FORM, outcome.data, outcome.cursor, {})
    assert outcome.data["note"] is None and str(outcome.cursor) == "items#0.kind"
    typed = form_flow.answer_text(FORM, outcome.data, outcome.cursor, "乙", {})
    assert typed.data["items"] == [{"kind": "b"}]
    pressed = form_flow.choose(FORM, outcome.data, outcome.cursor, 0, {})
    assert pressed.data["items"] == [{"kind": "a"}]
    assert str(pressed.cursor) == "items#0.label"
    nonsense = form_flow.answer_text(FORM, outcome.data, outcome.cursor, "丙", {})
    assert nonsense.problem.code == "choose_button"


def test_required_questions_cannot_be_skipped() -> None:
    outcome = form_flow.start(FORM, {})
    assert form_flow.skip(FORM, outcome.data, outcome.cursor, {}).problem.code == "required"


def test_back_keeps_answers_and_answering_returns_to_where_one_was() -> None:
    outcome = run("培训项目", "120", "100")
    assert str(outcome.cursor) == "extra"
    back = form_flow.back(FORM, outcome.data, outcome.cursor, {})
    assert str(back.cursor) == "annual" and back.data["annual"] == "100"
    back = form_flow.back(FORM, back.data, back.cursor, {})
    assert str(back.cursor) == "total"
    again = form_flow.answer_text(FORM, back.data, back.cursor, "150", {})
    assert str(again.cursor) == "extra"  # the next unanswered question, not "annual"
    assert again.data["total"] == "150" and again.data["annual"] == "100"
    first = form_flow.start(FORM, {})
    assert form_flow.back(FORM, first.data, first.cursor, {}).problem.code == "at_first"


def test_keep_moves_on_without_changing() -> None:
    outcome = run("培训项目", "120", "100")
    back = form_flow.back(FORM, outcome.data, outcome.cursor, {})
    kept = form_flow.keep(FORM, back.data, back.cursor, {})
    assert str(kept.cursor) == "extra" and kept.data == back.data


def full_outcome():
    outcome = run("培训项目", "120", "100", "否", "甲", "培训人次", "300")
    assert str(outcome.cursor) == "items#menu"
    outcome = form_rows.finish_rows(FORM, outcome.data, outcome.cursor, {})
    assert str(outcome.cursor) == "done"
    return run("是", data=outcome.data, cursor=outcome.cursor)


def test_rows_add_edit_delete_done() -> None:
    outcome = run("培训项目", "120", "100", "否", "甲", "培训人次", "0")
    menu = outcome.cursor
    refused = form_rows.finish_rows(FORM, outcome.data, menu, {})
    assert refused.problem == Problem("all_zero", {}, "items")
    added = form_rows.add_row(FORM, outcome.data, menu, {})
    assert str(added.cursor) == "items#1.kind"
    second = run("乙", "满意度", data=added.data, cursor=added.cursor)
    assert second.data["items"][1] == {"kind": "b", "label": "满意度"}  # qty not asked for 乙
    assert str(second.cursor) == "items#menu"
    edit = form_rows.edit_row_field(FORM, second.data, second.cursor, 0, "qty", {})
    assert str(edit.cursor) == "items#0.qty"
    edited = run("50", data=edit.data, cursor=edit.cursor)
    assert edited.data["items"][0]["qty"] == "50" and str(edited.cursor) == "items#menu"
    deleted = form_rows.delete_row(FORM, edited.data, edited.cursor, 1, {})
    assert [row["label"] for row in deleted.data["items"]] == ["培训人次"]
    done = form_rows.finish_rows(FORM, deleted.data, deleted.cursor, {})
    assert done.problem is None and str(done.cursor) == "done"


def test_changing_a_choice_clears_what_depended_on_it() -> None:
    outcome = run("培训项目", "120", "100", "否", "甲", "培训人次", "300")
    edit = form_rows.edit_row_field(FORM, outcome.data, outcome.cursor, 0, "kind", {})
    changed = form_flow.answer_text(FORM, edit.data, edit.cursor, "乙", {})
    assert changed.data["items"][0] == {"kind": "b", "label": "培训人次"}
    back_to_a = form_flow.answer_text(FORM, edit.data, edit.cursor, "甲", {})
    assert back_to_a.data["items"][0]["qty"] == "300"  # unchanged answer: nothing cleared


def test_back_from_an_untouched_row_removes_it_and_keeps_filled_rows() -> None:
    outcome = run("培训项目", "120", "100", "否", "甲", "培训人次", "300")
    added = form_rows.add_row(FORM, outcome.data, outcome.cursor, {})
    back = form_flow.back(FORM, added.data, added.cursor, {})
    assert str(back.cursor) == "items#menu" and len(back.data["items"]) == 1
    partial = run("甲", data=added.data, cursor=added.cursor)
    back = form_flow.back(FORM, partial.data, partial.cursor, {})
    back = form_flow.back(FORM, back.data, back.cursor, {})
    assert str(back.cursor) == "items#menu" and len(back.data["items"]) == 2
    incomplete = form_rows.finish_rows(FORM, back.data, back.cursor, {})
    assert incomplete.problem == Problem("row_incomplete", {"row": 2}, "items")


def test_summary_edit_and_return_to_summary() -> None:
    outcome = full_outcome()
    assert outcome.cursor.is_summary
    lines = form_summary.summary(FORM, outcome.data, {})
    assert [line.entry.name for line in lines] == [
        "name",
        "total",
        "annual",
        "extra",
        "items",
        "done",
    ]
    assert lines[1].value == Decimal(120) and len(lines[4].rows) == 1
    edit = form_flow.edit_entry(FORM, outcome.data, outcome.cursor, 2, {})
    assert str(edit.cursor) == "total"
    edited = form_flow.answer_text(FORM, edit.data, edit.cursor, "200", {})
    assert edited.cursor.is_summary and edited.data["total"] == "200"
    rows = form_flow.edit_entry(FORM, edited.data, edited.cursor, 5, {})
    assert str(rows.cursor) == "items#menu"
    assert form_flow.edit_entry(FORM, outcome.data, outcome.cursor, 9, {}).problem.code == (
        "no_such_entry"
    )


def test_a_question_that_starts_to_apply_is_asked_after_an_edit() -> None:
    outcome = full_outcome()
    edit = form_flow.edit_entry(FORM, outcome.data, outcome.cursor, 4, {})
    changed = form_flow.answer_text(FORM, edit.data, edit.cursor, "是", {})
    assert str(changed.cursor) == "note"
    assert form_flow.answer_text(FORM, changed.data, changed.cursor, "备注", {}).cursor.is_summary


def test_final_check_sends_the_person_to_what_is_now_wrong() -> None:
    outcome = full_outcome()
    edit = form_flow.edit_entry(FORM, outcome.data, outcome.cursor, 2, {})
    lowered = form_flow.answer_text(FORM, edit.data, edit.cursor, "50", {})
    assert lowered.cursor.is_summary
    checked = form_summary.confirm_check(FORM, lowered.data, lowered.cursor, {})
    assert checked.problem == Problem("over_total", {"total": Decimal(50)}, "annual")
    assert str(checked.cursor) == "annual"
    fixed = form_flow.answer_text(FORM, checked.data, checked.cursor, "50", {})
    assert fixed.cursor.is_summary
    assert form_summary.confirm_check(FORM, fixed.data, fixed.cursor, {}).problem is None


def test_resume_replaces_a_question_that_no_longer_applies() -> None:
    outcome = run("培训项目", "120", "100", "是")
    data = {**outcome.data, "extra": False}
    resumed = form_flow.resume(FORM, data, outcome.cursor, {})
    assert str(resumed.cursor) == "items#0.kind"
    assert form_flow.resume(FORM, outcome.data, outcome.cursor, {}).cursor == outcome.cursor


def test_cursor_strings_round_trip() -> None:
    for text in ("name", "items#menu", "items#12.qty", "#summary"):
        assert str(Cursor.parse(text)) == text
    assert Cursor.parse(None).is_summary is True


def test_describe_gives_buttons_progress_and_current_value() -> None:
    outcome = run("培训项目", "120", "100")
    back = form_flow.back(FORM, outcome.data, outcome.cursor, {})
    step = form_flow.describe(FORM, back.data, back.cursor, {})
    assert step.kind == "field" and step.field.name == "annual"
    assert step.current == Decimal(100) and step.answered is True
    assert (step.number, step.total) == (3, 6)
    extra = form_flow.describe(FORM, outcome.data, outcome.cursor, {})
    assert [c.value for c in extra.choices] == [True, False]


def test_a_number_typed_at_the_summary_edits_that_entry() -> None:
    outcome = full_outcome()
    typed = form_flow.answer_text(FORM, outcome.data, outcome.cursor, " 2 ", {})
    assert str(typed.cursor) == "total" and typed.problem is None
    full_width = form_flow.answer_text(FORM, outcome.data, outcome.cursor, "２", {})
    assert str(full_width.cursor) == "total"
    beyond = form_flow.answer_text(FORM, outcome.data, outcome.cursor, "9", {})
    assert beyond.problem == Problem("no_such_entry", {"count": 6}) and beyond.cursor.is_summary
    for text in ("²", "改第二项", "-1"):
        other = form_flow.answer_text(FORM, outcome.data, outcome.cursor, text, {})
        assert other.problem.code == "use_buttons" and other.cursor.is_summary
