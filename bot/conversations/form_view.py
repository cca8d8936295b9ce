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
    choice_label,
    choice_names,
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
from workflow.forms.flow import needs_answer, row_complete, row_fields
from workflow.forms.spec import Answers, Choice, FieldSpec, Kind, Problem, SubFormSpec

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


def shown(
    form: str,
    spec: FieldSpec,
    answers: Answers,
    sub: SubFormSpec | None = None,
    *,
    full: bool = False,
) -> str:
    """The answer to `spec` as people read it, choice values named by the form's catalog."""
    names = choice_names(form, spec.name, sub.name if sub else None)
    value = answers.get(spec.name)
    return display(spec, value, spec.choices_for(answers), full=full, names=names)


def formatted_answers(view: DraftView) -> dict[str, str]:
    """Every top-level answer as people read it (for prompts)."""
    answers = view.form.answers(view.data, view.context)
    return {
        spec.name: shown(view.form.name, spec, answers)
        for spec in view.form.fields()
        if answers.answered(spec.name)
    }


def formatted_row(sub: SubFormSpec, row: Answers, form: str = "") -> dict[str, str]:
    """One sub-form row's answers as people read them."""
    return {
        spec.name: shown(form, spec, row, sub)
        for spec in sub.fields
        if row.get(spec.name) is not None
    }


def _facts(form: str, fields: Sequence[FieldSpec], answers: Answers, sub: Any) -> list[dict]:
    """The read-only and computed values known so far, shown above a question."""
    return [
        {"label": label(form, spec.name, sub.name if sub else None), "value": value}
        for spec in fields
        if not spec.askable and spec.asked(answers) and answers.get(spec.name) is not None
        for value in (shown(form, spec, answers, sub),)
    ]


def _row_line(view: DraftView, sub: SubFormSpec, row: Answers) -> Markup:
    texts = catalog(view.form.name).get("subforms", {}).get(sub.name, {})
    values = formatted_row(sub, row, view.form.name)
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
        "row": _Lenient(formatted_row(sub, row, view.form.name) if sub and row else {}),
        "context": view.context,
    }
    if "prompt_template" in texts:
        return Markup(render(texts["prompt_template"], **values))
    return jinja(texts.get("prompt", ""), **values)


def _choice_buttons(view: DraftView, choices: Sequence[Choice], spec: FieldSpec) -> Keyboard:
    sub = view.step.sub
    names = choice_names(view.form.name, spec.name, sub.name if sub else None)
    if spec.kind is not Kind.choices:
        labels = [display(spec, c.value, choices, names=names) for c in choices]
        buttons = [_button(text, view, "c", i) for i, text in enumerate(labels)]
        return _grid(buttons, max((len(text) for text in labels), default=0))
    labels = [choice_label(c.value, choices, names) or str(c.value) for c in choices]
    ticked = [c.value in view.step.picked for c in choices]
    labels = [
        button("picked", label=text) if on else text
        for text, on in zip(labels, ticked, strict=True)
    ]
    buttons = [_button(text, view, "t", i) for i, text in enumerate(labels)]
    keyboard = _grid(buttons, max((len(text) for text in labels), default=0))
    return [*keyboard, [_button(button("picks_done"), view, "mk")]]


def _picked_text(view: DraftView, spec: FieldSpec, picked: list[Any]) -> str:
    sub = view.step.sub
    names = choice_names(view.form.name, spec.name, sub.name if sub else None)
    return display(spec, picked, view.step.choices, names=names)


def question(view: DraftView, problem: Problem | None = None, notice: Any = None) -> Reply:
    """The current question, with its buttons, after an optional problem or notice."""
    step = view.step
    spec, sub = step.field, step.sub
    assert spec is not None
    answers = view.form.answers(view.data, view.context)
    if sub is not None:
        answers = view.form.rows(sub, view.data, view.context)[step.index or 0]
    fields = sub.fields if sub is not None else view.form.fields()
    required = problem_text(view.form.name, Problem(spec.required_reason))
    picked = list(step.picked) if spec.kind is Kind.choices else None
    files_sent = spec.kind is Kind.files and bool(step.current)
    text = render(
        "form_step",
        title=title(view),
        number=step.number,
        total=step.total,
        section=label(view.form.name, sub.name) if sub else None,
        row_number=(step.index or 0) + 1 if sub else None,
        label=label(view.form.name, spec.name, sub.name if sub else None),
        prompt=_prompt(view, spec, sub, answers if sub else None),
        facts=_facts(view.form.name, fields, answers, sub),
        required=required if step.required else None,
        picked=_picked_text(view, spec, picked) if picked is not None else None,
        current=shown(view.form.name, spec, answers, sub) if step.answered else None,
        received=shown(view.form.name, spec, answers, sub) if files_sent else None,
        received_count=len(step.current) if files_sent else 0,
        problem=problem_text(view.form.name, problem),
        notice=notice,
    )
    keyboard = _choice_buttons(view, step.choices, spec)
    if spec.kind is Kind.files and step.current:
        keyboard.append([_button(button("files_done", count=len(step.current)), view, "k")])
    elif step.answered:
        keyboard.append([_button(button("keep"), view, "k")])
    first = step.number == 1 and sub is None
    navigation = [] if first else [_button(button("back"), view, "b")]
    if spec.optional and not step.required:  # a required answer offers no 跳过
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
        {
            "line": _row_line(view, sub, row),
            "complete": row_complete(sub, row),
            "progress": _row_progress(sub, row) if sub.fixed else None,
        }
        for row in step.rows
    ]
    complete = sum(1 for row in rows if row["complete"])
    text = render(
        "form_menu",
        title=title(view),
        number=step.number,
        total=step.total,
        label=texts.get("label", sub.name),
        menu=jinja(texts.get("menu", ""), count=len(rows)),
        rows=rows,
        progress=f"{complete}/{len(rows)}" if sub.fixed else None,
        problem=problem_text(view.form.name, problem),
        notice=notice,
    )
    edits = [_button(button("edit_row", number=i + 1), view, "v", i) for i in range(len(rows))]
    keyboard = [edits[i : i + 4] for i in range(0, len(edits), 4)]
    adding = [] if sub.fixed else [_button(button("add"), view, "a")]
    keyboard.append([*adding, _button(button("done"), view, "d")])
    keyboard.append([_button(button("back"), view, "b"), _button(button("cancel"), view, "x")])
    return Reply(text, InlineKeyboardMarkup(keyboard))


def _row_progress(sub: SubFormSpec, row: Answers) -> str:
    """How many of a row's questions are answered: "2/4"."""
    asked = row_fields(sub, row)
    return f"{sum(1 for spec in asked if not needs_answer(spec, row))}/{len(asked)}"


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
            "value": shown(view.form.name, spec, row, sub, full=True)
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
        if spec.askable
    ]
    keyboard = [edits[i : i + 2] for i in range(0, len(edits), 2)]
    deleting = [] if sub.fixed else [_button(button("delete_row"), view, "rd", index)]
    keyboard.append([*deleting, _button(button("back_to_form"), view, "r")])
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
            entry["value"] = shown(view.form.name, line.entry, answers)
        entry["editable"] = line.editable
        entries.append(entry)
    text = render(
        "form_summary",
        title=title(view),
        organisation=(view.context.get("organisation") or {}).get("name"),
        entries=entries,
        problem=problem_text(view.form.name, problem),
        notice=notice,
    )
    numbers = [_button(str(e["number"]), view, "e", e["number"]) for e in entries if e["editable"]]
    keyboard = [numbers[i : i + 6] for i in range(0, len(numbers), 6)]
    confirm = catalog(view.form.name).get("confirm") or button("confirm")
    keyboard.append([_button(confirm, view, "ok")])
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
