"""How a draft looks in the chat: one question, a sub-form menu, a row, or the summary.

Every button carries `fm:<draft id>:<draft version>:<action>[:<argument>]` (well under
Telegram's 64 bytes), so a button pressed after the form moved on is recognised as stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversations.form_text import (
    button,
    catalog,
    display,
    field_texts,
    jinja,
    label,
    problem_text,
)
from bot.ui.callbacks import FormPress
from bot.ui.render import render
from workflow.forms import summary as form_summary
from workflow.forms.draft_store import DraftView
from workflow.forms.flow import row_complete
from workflow.forms.spec import Answers, Choice, FieldSpec, Problem, SubFormSpec

Keyboard = list[list[InlineKeyboardButton]]


@dataclass(frozen=True, slots=True)
class Reply:
    """A message to send: Telegram HTML and its keyboard."""

    text: str
    markup: InlineKeyboardMarkup | None = None


def data(view: DraftView, action: str, argument: object | None = None) -> str:
    """Callback data of a form button."""
    tail = None if argument is None else str(argument)
    return FormPress(view.id, view.version, action, tail).data()


def _button(text: str, view: DraftView, action: str, argument: object | None = None) -> Any:
    return InlineKeyboardButton(text, callback_data=data(view, action, argument))


def _grid(buttons: Sequence[InlineKeyboardButton], longest: int) -> Keyboard:
    """Short labels three to a row, longer ones two or one."""
    width = 3 if longest <= 6 else 2 if longest <= 12 else 1
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def title(view: DraftView) -> str:
    """The form's title."""
    return catalog(view.form.name).get("title", view.form.name)


def formatted_answers(view: DraftView) -> dict[str, str]:
    """Every top-level answer as people read it (for prompts)."""
    answers = view.form.answers(view.data, view.context)
    return {
        spec.name: display(spec, answers.get(spec.name), spec.choices_for(answers))
        for spec in view.form.fields()
        if answers.answered(spec.name)
    }


def formatted_row(sub: SubFormSpec, row: Answers) -> dict[str, str]:
    """One sub-form row's answers as people read them."""
    return {
        spec.name: display(spec, row.get(spec.name), spec.choices_for(row))
        for spec in sub.fields
        if row.get(spec.name) is not None
    }


def _row_line(view: DraftView, sub: SubFormSpec, row: Answers) -> Markup:
    texts = catalog(view.form.name).get("subforms", {}).get(sub.name, {})
    values = formatted_row(sub, row)
    if "row" not in texts:
        return jinja("{{ values | join(' · ') }}", values=list(values.values()))
    return jinja(texts["row"], row=_Lenient(values))


class _Lenient(dict):  # a row not filled in yet still renders: missing answers read empty
    def __getattr__(self, name: str) -> str:
        return self.get(name, "")


def _prompt(view: DraftView, spec: FieldSpec, sub: SubFormSpec | None, row: Answers | None) -> Any:
    texts = field_texts(view.form.name, spec.name, sub.name if sub else None)
    values = {
        "answers": _Lenient(formatted_answers(view)),
        "row": _Lenient(formatted_row(sub, row) if sub and row else {}),
        "context": view.context,
    }
    if "prompt_template" in texts:
        return Markup(render(texts["prompt_template"], **values))
    return jinja(texts.get("prompt", ""), **values)


def _choice_buttons(view: DraftView, choices: Sequence[Choice], spec: FieldSpec) -> Keyboard:
    labels = [display(spec, choice.value, choices) for choice in choices]
    buttons = [_button(text, view, "c", i) for i, text in enumerate(labels)]
    return _grid(buttons, max((len(text) for text in labels), default=0))


def question(view: DraftView, problem: Problem | None = None, notice: Any = None) -> Reply:
    """The current question, with its buttons, after an optional problem or notice."""
    step = view.step
    spec, sub = step.field, step.sub
    assert spec is not None
    row = None
    if sub is not None:
        row = view.form.rows(sub, view.data, view.context)[step.index or 0]
    text = render(
        "form_step",
        title=title(view),
        number=step.number,
        total=step.total,
        section=label(view.form.name, sub.name) if sub else None,
        row_number=(step.index or 0) + 1 if sub else None,
        label=label(view.form.name, spec.name, sub.name if sub else None),
        prompt=_prompt(view, spec, sub, row),
        current=display(spec, step.current, step.choices) if step.answered else None,
        problem=problem_text(view.form.name, problem),
        notice=notice,
    )
    keyboard = _choice_buttons(view, step.choices, spec)
    if step.answered:
        keyboard.append([_button(button("keep"), view, "k")])
    first = step.number == 1 and sub is None
    navigation = [] if first else [_button(button("back"), view, "b")]
    if spec.optional:
        navigation.append(_button(button("skip"), view, "s"))
    navigation.append(_button(button("cancel"), view, "x"))
    keyboard.append(navigation)
    return Reply(text, InlineKeyboardMarkup(keyboard))


def menu(view: DraftView, problem: Problem | None = None, notice: Any = None) -> Reply:
    """A sub-form's rows with add / done / edit."""
    step = view.step
    sub = step.sub
    assert sub is not None
    texts = catalog(view.form.name).get("subforms", {}).get(sub.name, {})
    rows = [
        {"line": _row_line(view, sub, row), "complete": row_complete(sub, row)} for row in step.rows
    ]
    text = render(
        "form_menu",
        title=title(view),
        number=step.number,
        total=step.total,
        label=texts.get("label", sub.name),
        menu=jinja(texts.get("menu", ""), count=len(rows)),
        rows=rows,
        problem=problem_text(view.form.name, problem),
        notice=notice,
    )
    edits = [_button(button("edit_row", number=i + 1), view, "v", i) for i in range(len(rows))]
    keyboard = [edits[i : i + 4] for i in range(0, len(edits), 4)]
    keyboard.append([_button(button("add"), view, "a"), _button(button("done"), view, "d")])
    keyboard.append([_button(button("back"), view, "b"), _button(button("cancel"), view, "x")])
    return Reply(text, InlineKeyboardMarkup(keyboard))


def row_view(view: DraftView, index: int) -> Reply | None:
    """One row of the shown sub-form, with a button per answer to change it, and delete."""
    sub = view.step.sub
    if sub is None or not 0 <= index < len(view.step.rows):
        return None
    row = view.step.rows[index]
    fields = [(position, spec) for position, spec in enumerate(sub.fields) if spec.asked(row)]
    lines = [
        {
            "label": label(view.form.name, spec.name, sub.name),
            "value": display(spec, row.get(spec.name), spec.choices_for(row), full=True)
            if row.answered(spec.name)
            else None,
        }
        for _, spec in fields
    ]
    text = render(
        "form_row", section=label(view.form.name, sub.name), number=index + 1, lines=lines
    )
    edits = [
        _button(
            button("edit_row_field", label=label(view.form.name, spec.name, sub.name)),
            view,
            "rf",
            f"{index}.{spec.name}",
        )
        for _, spec in fields
    ]
    keyboard = [edits[i : i + 2] for i in range(0, len(edits), 2)]
    keyboard.append(
        [
            _button(button("delete_row"), view, "rd", index),
            _button(button("back_to_form"), view, "r"),
        ]
    )
    return Reply(text, InlineKeyboardMarkup(keyboard))


def summary(view: DraftView, problem: Problem | None = None, notice: Any = None) -> Reply:
    """Every answer, numbered, with "edit N" buttons and confirm."""
    answers = view.form.answers(view.data, view.context)
    entries = []
    for line in form_summary.summary(view.form, view.data, view.context):
        entry: dict[str, Any] = {
            "number": line.number,
            "label": label(view.form.name, line.entry.name),
        }
        if isinstance(line.entry, SubFormSpec):
            entry["rows"] = [_row_line(view, line.entry, row) for row in line.rows]
        else:
            entry["value"] = display(line.entry, line.value, line.entry.choices_for(answers))
        entries.append(entry)
    text = render(
        "form_summary",
        title=title(view),
        organisation=(view.context.get("organisation") or {}).get("name"),
        entries=entries,
        problem=problem_text(view.form.name, problem),
        notice=notice,
    )
    numbers = [_button(str(e["number"]), view, "e", e["number"]) for e in entries]
    keyboard = [numbers[i : i + 6] for i in range(0, len(numbers), 6)]
    keyboard.append([_button(button("confirm"), view, "ok")])
    keyboard.append([_button(button("back"), view, "b"), _button(button("cancel"), view, "x")])
    return Reply(text, InlineKeyboardMarkup(keyboard))


def step(view: DraftView, problem: Problem | None = None, notice: Any = None) -> Reply:
    """Whatever the draft's cursor shows now."""
    kind = view.step.kind
    if kind == "summary":
        return summary(view, problem, notice)
    if kind == "menu":
        return menu(view, problem, notice)
    return question(view, problem, notice)


def cancel_confirmation(view: DraftView) -> Reply:
    """Are you sure? Cancelling drops every answer."""
    keyboard = [[_button(button("cancel_yes"), view, "xy"), _button(button("continue"), view, "r")]]
    return Reply(render("form_cancel_confirm", title=title(view)), InlineKeyboardMarkup(keyboard))


def busy(view: DraftView) -> Reply:
    """A command arrived while a form is open: finish or cancel it first."""
    keyboard = [[_button(button("continue"), view, "r"), _button(button("cancel"), view, "x")]]
    name = catalog(view.form.name).get("busy_name", title(view))
    return Reply(render("form_busy", name=name), InlineKeyboardMarkup(keyboard))
