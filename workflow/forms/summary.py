"""The summary of a draft and the final check before it is submitted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflow.forms.derived import recompute
from workflow.forms.flow import Outcome, closed_subforms, go_to, refuse, visible_entries
from workflow.forms.rows import rows_problem
from workflow.forms.spec import (
    Answers,
    Context,
    Cursor,
    Data,
    Entry,
    FormSpec,
    Problem,
    SubFormSpec,
)


@dataclass(frozen=True, slots=True)
class SummaryEntry:
    """One numbered line of the summary."""

    number: int
    entry: Entry
    value: Any = None
    rows: tuple[Answers, ...] = ()
    editable: bool = True  # read-only and computed values are shown, not edited


def summary(form: FormSpec, data: Data, context: Context) -> list[SummaryEntry]:
    """The entries that apply, numbered, with their answers."""
    answers = form.answers(data, context)
    lines = []
    for number, entry in enumerate(visible_entries(form, data, context), start=1):
        if isinstance(entry, SubFormSpec):
            lines.append(SummaryEntry(number, entry, rows=tuple(form.rows(entry, data, context))))
        else:
            value = answers.get(entry.name)
            lines.append(SummaryEntry(number, entry, value=value, editable=entry.askable))
    return lines


def final_problem(form: FormSpec, data: Data, context: Context) -> Problem | None:
    """The first reason the form cannot be submitted, re-checking every answer together."""
    answers = form.answers(data, context)
    for entry in visible_entries(form, data, context):
        if isinstance(entry, SubFormSpec):
            if entry.name not in closed_subforms(data):
                return Problem("rows_not_done", {}, entry.name)
            problem = rows_problem(form, entry, data, context)
        elif not entry.askable:
            continue
        elif entry.name not in data or (data[entry.name] is None and not entry.optional):
            problem = Problem("missing", {}, entry.name)
        elif data[entry.name] is None and entry.required(answers):
            problem = Problem(entry.required_reason, {}, entry.name)
        else:
            value = answers.get(entry.name)
            checks = entry.validators if value is not None else ()
            problem = next((p for p in (check(value, answers) for check in checks) if p), None)
            if problem is not None:
                problem = Problem(problem.code, problem.params, entry.name)
        if problem is not None:
            return problem
    for validator in form.validators:
        problem = validator(answers)
        if problem is not None:
            return problem
    return None


def confirm_check(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
    """Before submitting: all good (no problem), or the cursor moved to what needs fixing."""
    if not cursor.is_summary:
        return refuse(data, cursor, "not_now")
    data = recompute(form, data, context)  # what is submitted carries up-to-date values
    problem = final_problem(form, data, context)
    if problem is None:
        return Outcome(data, cursor)
    return refuse_at(form, data, problem, context)


def refuse_at(form: FormSpec, data: Data, problem: Problem, context: Context) -> Outcome:
    """Move the cursor to the entry a problem names, so the person can fix it there."""
    if problem.field is None:
        return Outcome(data, Cursor(None), problem)
    moved = go_to(data, form.entry(problem.field))
    return Outcome(moved.data, moved.cursor, problem)
