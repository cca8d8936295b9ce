"""Moving through a form: apply an answer to a draft's data and compute the next question.

Pure functions over (FormSpec, data, cursor, context); the caller saves what they return.
The rule that keeps navigation simple: the next question is always the first one that
applies and has no answer yet (a skip is an answer), else the summary. So "back" and
"edit field N" just move the cursor, and answering returns to where the person was.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from workflow.core.numbers import whole_number
from workflow.forms import derived
from workflow.forms.parsers import ParseError
from workflow.forms.spec import (
    META,
    Answers,
    Choice,
    Context,
    Cursor,
    Data,
    Entry,
    FieldSpec,
    FormSpec,
    Kind,
    Problem,
    SubFormSpec,
    dump_value,
    field_cursor,
    menu_cursor,
    row_cursor,
)

StepKind = Literal["field", "menu", "summary"]


@dataclass(frozen=True, slots=True)
class Step:
    """What to show for a cursor: a question, a sub-form menu, or the summary."""

    kind: StepKind
    cursor: Cursor
    field: FieldSpec | None = None
    sub: SubFormSpec | None = None
    index: int | None = None  # row of the sub-form
    choices: tuple[Choice, ...] = ()
    current: Any = None  # typed current answer, when there is one
    answered: bool = False
    number: int = 0  # 1-based position among the entries that apply
    total: int = 0
    rows: tuple[Answers, ...] = ()  # for a menu
    picked: tuple[Any, ...] = ()  # the choices ticked so far, for a multi-select
    required: bool = False  # an optional question that must be answered now


@dataclass(frozen=True, slots=True)
class Outcome:
    """The data and cursor after an action; `problem` set means nothing changed."""

    data: Data
    cursor: Cursor
    problem: Problem | None = None


# --- reading ------------------------------------------------------------------------------


def visible_entries(form: FormSpec, data: Mapping[str, Any], context: Context) -> list[Entry]:
    """The top-level entries that apply given the answers so far."""
    answers = form.answers(data, context)
    return [entry for entry in form.entries if entry.asked(answers)]


def closed_subforms(data: Mapping[str, Any]) -> list[str]:
    return list((data.get(META) or {}).get("closed", []))


def set_closed(data: Data, sub: str, closed: bool) -> None:
    meta = data.setdefault(META, {})
    names = [name for name in meta.get("closed", []) if name != sub]
    meta["closed"] = [*names, sub] if closed else names


def row_fields(sub: SubFormSpec, row: Answers) -> list[FieldSpec]:
    """The questions of a row that the person answers (not read-only, not computed)."""
    return [spec for spec in sub.fields if spec.askable and spec.asked(row)]


def needs_answer(spec: FieldSpec, answers: Answers) -> bool:
    """Unanswered, or left empty while `required_when` now says it must be filled."""
    if not answers.answered(spec.name):
        return True
    late = spec.optional and spec.required_when is not None
    return late and answers.data.get(spec.name) is None and spec.required(answers)


def _missing_in_row(sub: SubFormSpec, row: Answers) -> FieldSpec | None:
    return next((s for s in row_fields(sub, row) if needs_answer(s, row)), None)


def row_complete(sub: SubFormSpec, row: Answers) -> bool:
    """Whether every question of the row that applies has an answer."""
    return _missing_in_row(sub, row) is None


def describe(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Step:
    """What the person should see at `cursor`."""
    entries = visible_entries(form, data, context)
    total = len(entries)
    if cursor.is_summary:
        return Step("summary", cursor, number=total, total=total)
    names = [entry.name for entry in entries]
    number = names.index(cursor.entry) + 1 if cursor.entry in names else 0
    entry = form.entry(cursor.entry or "")
    if isinstance(entry, SubFormSpec):
        rows = form.rows(entry, data, context)
        if cursor.is_menu:
            return Step("menu", cursor, sub=entry, number=number, total=total, rows=tuple(rows))
        row = rows[cursor.index or 0]
        return _question(entry.field(cursor.field or ""), row, cursor, number, total, entry)
    return _question(entry, form.answers(data, context), cursor, number, total)


def _question(
    spec: FieldSpec,
    answers: Answers,
    cursor: Cursor,
    number: int,
    total: int,
    sub: SubFormSpec | None = None,
) -> Step:
    return Step(
        "field",
        cursor,
        field=spec,
        sub=sub,
        index=cursor.index,
        choices=spec.choices_for(answers),
        current=answers.get(spec.name),
        answered=answers.answered(spec.name),
        number=number,
        total=total,
        picked=tuple(derived.picked(spec, answers, cursor)) if spec.multiple else (),
        required=spec.optional and spec.required(answers),
    )


# --- where next ---------------------------------------------------------------------------


def next_cursor(form: FormSpec, data: Data, context: Context) -> tuple[Data, Cursor]:
    """The first question that applies and has no answer; a sub-form not yet done; else
    the summary. Reaching an empty sub-form starts its first row at once. Computed values
    are brought up to date first."""
    data = derived.recompute(form, data, context)
    answers = form.answers(data, context)
    for entry in visible_entries(form, data, context):
        if isinstance(entry, FieldSpec):
            if entry.askable and needs_answer(entry, answers):
                return data, field_cursor(entry.name)
            continue
        if entry.name in closed_subforms(data):
            continue
        rows = form.rows(entry, data, context)
        for index, row in enumerate(rows):
            missing = _missing_in_row(entry, row)
            if missing is not None:
                return data, row_cursor(entry.name, index, missing.name)
        if not rows and entry.min_items > 0:
            data = {**data, entry.name: [{}]}
            first = row_fields(entry, form.rows(entry, data, context)[0])[0]
            return data, row_cursor(entry.name, 0, first.name)
        return data, menu_cursor(entry.name)
    return data, Cursor(None)


def start(form: FormSpec, context: Context, initial: Data | None = None) -> Outcome:
    """A fresh draft: the given (else prefilled) answers, fixed rows, the first question."""
    if initial is not None:
        data: Data = dict(initial)
    else:
        data = dict(form.prefill(context)) if form.prefill else {}
    data = derived.open_fixed_rows(form, data, context)
    data, cursor = next_cursor(form, data, context)
    return Outcome(data, cursor)


def resume(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
    """Where to continue: the stored cursor if it still applies, else the next question."""
    if _cursor_valid(form, data, cursor, context):
        return Outcome(data, cursor)
    data = copy.deepcopy(data)
    data, cursor = next_cursor(form, data, context)
    return Outcome(data, cursor)


def _cursor_valid(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> bool:
    if cursor.is_summary:
        return True
    entries = {entry.name: entry for entry in visible_entries(form, data, context)}
    entry = entries.get(cursor.entry or "")
    if entry is None:
        return False
    if isinstance(entry, FieldSpec):
        return entry.askable and not cursor.in_row and not cursor.is_menu
    if cursor.is_menu:
        return True
    rows = form.rows(entry, data, context)
    if cursor.index is None or cursor.index >= len(rows):
        return False
    return any(spec.name == cursor.field for spec in row_fields(entry, rows[cursor.index]))


# --- answering ----------------------------------------------------------------------------


def refuse(data: Data, cursor: Cursor, code: str, **params: Any) -> Outcome:
    return Outcome(data, cursor, Problem(code, params))


def question_scope(
    form: FormSpec, data: Data, cursor: Cursor, context: Context
) -> tuple[FieldSpec, Data, Answers]:
    """The question at `cursor`, the dict its answer goes into, and typed answers of it."""
    entry = form.entry(cursor.entry or "")
    if isinstance(entry, SubFormSpec):
        row_data = data[entry.name][cursor.index or 0]
        parent = form.answers(data, context)
        return (
            entry.field(cursor.field or ""),
            row_data,
            Answers(entry.fields, row_data, context, parent),
        )
    return entry, data, form.answers(data, context)


def count_problem(spec: FieldSpec, values: list[Any]) -> Problem | None:
    """Why a multi-select answer has too few or too many choices, if it has."""
    if len(values) < spec.min_count:
        return Problem("too_few_choices", {"minimum": spec.min_count})
    if spec.max_count is not None and len(values) > spec.max_count:
        return Problem("too_many_choices", {"limit": spec.max_count})
    return None


def apply_value(
    form: FormSpec, data: Data, cursor: Cursor, value: Any, context: Context
) -> Outcome:
    """Check a parsed value, store it, drop what depended on the old one, move on."""
    spec, _, answers = question_scope(form, data, cursor, context)
    problem = count_problem(spec, value) if spec.multiple else None
    for validator in spec.validators if problem is None else ():
        problem = validator(value, answers)
        if problem is not None:
            break
    if problem is not None:
        return Outcome(data, cursor, problem)
    new = derived.without_picking(copy.deepcopy(data))
    _, scope, answers = question_scope(form, new, cursor, context)
    raw = dump_value(spec.kind, value)
    if spec.name in scope and scope[spec.name] != raw:
        for dependent in spec.clears:
            scope.pop(dependent, None)
    scope[spec.name] = raw
    if spec.on_answer is not None:
        new = spec.on_answer(value, new, answers)
    new, following = next_cursor(form, new, context)
    return Outcome(new, following)


def answer_text(form: FormSpec, data: Data, cursor: Cursor, text: str, context: Context) -> Outcome:
    """A typed answer to the question at `cursor`; at the summary, the number of an entry."""
    entry = whole_number(text, high=10_000) if cursor.is_summary else None
    if entry is not None:
        return edit_entry(form, data, cursor, entry, context)
    if cursor.is_summary or cursor.is_menu:
        return refuse(data, cursor, "use_buttons")
    spec, _, answers = question_scope(form, data, cursor, context)
    if spec.kind is Kind.files:
        return refuse(data, cursor, "file_expected")
    choices = spec.choices_for(answers)
    typed = text.strip()
    if spec.multiple:
        return apply_value(form, data, cursor, _typed_choices(choices, typed), context)
    for choice in choices:
        if typed in (choice.label, str(choice.value)):
            return apply_value(form, data, cursor, choice.value, context)
    if spec.parser is None:
        return refuse(data, cursor, "choose_button")
    try:
        value = spec.parser(text)
    except ParseError as error:
        return Outcome(data, cursor, Problem(error.code, dict(error.params)))
    return apply_value(form, data, cursor, value, context)


def _typed_choices(choices: tuple[Choice, ...], typed: str) -> list[Any]:
    """Several choices typed by label or number ("经费保障、其他" or "1 3"), in list order."""
    words = {word for word in re.split(r"[\s,，、;；]+", typed) if word}
    chosen = []
    for number, choice in enumerate(choices, start=1):
        if words & {choice.label, str(choice.value), str(number)}:
            chosen.append(choice.value)
    return chosen


def choose(form: FormSpec, data: Data, cursor: Cursor, index: int, context: Context) -> Outcome:
    """A button of the question at `cursor`, by position."""
    if cursor.is_summary or cursor.is_menu:
        return refuse(data, cursor, "not_now")
    spec, _, answers = question_scope(form, data, cursor, context)
    choices = spec.choices_for(answers)
    if not 0 <= index < len(choices) or spec.multiple:
        return refuse(data, cursor, "not_now")
    return apply_value(form, data, cursor, choices[index].value, context)


def keep(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
    """Keep the current answer of the question at `cursor` and move on."""
    if cursor.is_summary or cursor.is_menu:
        return refuse(data, cursor, "not_now")
    spec, scope, _ = question_scope(form, data, cursor, context)
    if spec.name not in scope:
        return refuse(data, cursor, "not_now")
    new = derived.without_picking(copy.deepcopy(data))
    new, following = next_cursor(form, new, context)
    return Outcome(new, following)


def skip(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
    """Leave an optional question empty."""
    if cursor.is_summary or cursor.is_menu:
        return refuse(data, cursor, "not_now")
    spec, _, answers = question_scope(form, data, cursor, context)
    if spec.required(answers):
        return refuse(data, cursor, spec.required_reason if spec.optional else "required")
    new = derived.without_picking(copy.deepcopy(data))
    _, scope, _ = question_scope(form, new, cursor, context)
    scope[spec.name] = None
    new, following = next_cursor(form, new, context)
    return Outcome(new, following)


# --- going back and editing ---------------------------------------------------------------


def go_to(data: Data, entry: Entry) -> Outcome:
    """The cursor of an entry; a sub-form is reopened at its menu."""
    if isinstance(entry, FieldSpec):
        return Outcome(data, field_cursor(entry.name))
    new = copy.deepcopy(data)
    set_closed(new, entry.name, False)
    return Outcome(new, menu_cursor(entry.name))


def back(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
    """The previous question (its answer is kept and shown)."""
    original = data
    entries = [e for e in visible_entries(form, data, context) if e.askable]
    if cursor.is_summary:
        return go_to(data, entries[-1])
    entry = form.entry(cursor.entry or "")
    if isinstance(entry, SubFormSpec) and cursor.in_row:
        index = cursor.index or 0
        row = form.rows(entry, data, context)[index]
        names = [spec.name for spec in row_fields(entry, row)]
        position = names.index(cursor.field) if cursor.field in names else 0
        if position > 0:
            return Outcome(data, row_cursor(entry.name, index, names[position - 1]))
        new = copy.deepcopy(data)
        if not new[entry.name][index]:  # a row with no answer yet: nothing to keep
            del new[entry.name][index]
        set_closed(new, entry.name, False)
        if new[entry.name]:
            return Outcome(new, menu_cursor(entry.name))
        data = new  # no rows at all: an empty menu is no place to stop, go further back
    names = [e.name for e in entries]
    position = names.index(entry.name) if entry.name in names else 0
    if position == 0:
        return refuse(original, cursor, "at_first")
    return go_to(data, entries[position - 1])


def edit_entry(
    form: FormSpec, data: Data, cursor: Cursor, number: int, context: Context
) -> Outcome:
    """From the summary: ask entry `number` (1-based, as listed) again."""
    if not cursor.is_summary:
        return refuse(data, cursor, "not_now")
    entries = visible_entries(form, data, context)
    if not 1 <= number <= len(entries):
        return refuse(data, cursor, "no_such_entry", count=len(entries))
    if not entries[number - 1].askable:
        return refuse(data, cursor, "not_editable")
    return go_to(data, entries[number - 1])
