"""Repeated sub-forms (indicators, schedule rows): add another, edit, delete, done.

A fixed sub-form (its rows given when the draft opens) has no "add" and no "delete".
"""

from __future__ import annotations

import copy

from workflow.forms import derived
from workflow.forms.flow import Outcome, next_cursor, refuse, row_complete, row_fields, set_closed
from workflow.forms.spec import (
    Context,
    Cursor,
    Data,
    FormSpec,
    Problem,
    SubFormSpec,
    row_cursor,
)


def _menu_sub(form: FormSpec, cursor: Cursor) -> SubFormSpec | None:
    if not cursor.is_menu:
        return None
    entry = form.entry(cursor.entry or "")
    return entry if isinstance(entry, SubFormSpec) else None


def add_row(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
    """Start another row of the sub-form whose menu is shown."""
    sub = _menu_sub(form, cursor)
    if sub is None:
        return refuse(data, cursor, "not_now")
    if sub.fixed:
        return refuse(data, cursor, "fixed_rows")
    rows = list(data.get(sub.name) or [])
    if len(rows) >= sub.max_items:
        return refuse(data, cursor, "too_many_rows", limit=sub.max_items)
    new = copy.deepcopy(data)
    new[sub.name] = [*rows, {}]
    row = form.rows(sub, new, context)[-1]
    first = row_fields(sub, row)[0]
    return Outcome(new, row_cursor(sub.name, len(rows), first.name))


def edit_row_field(
    form: FormSpec, data: Data, cursor: Cursor, index: int, name: str, context: Context
) -> Outcome:
    """From the menu: ask one question of row `index` again."""
    sub = _menu_sub(form, cursor)
    if sub is None:
        return refuse(data, cursor, "not_now")
    rows = form.rows(sub, data, context)
    if not 0 <= index < len(rows):
        return refuse(data, cursor, "no_such_row")
    if name not in {spec.name for spec in row_fields(sub, rows[index])}:
        return refuse(data, cursor, "not_now")
    return Outcome(data, row_cursor(sub.name, index, name))


def delete_row(form: FormSpec, data: Data, cursor: Cursor, index: int, context: Context) -> Outcome:
    """From the menu: remove row `index`."""
    sub = _menu_sub(form, cursor)
    if sub is None:
        return refuse(data, cursor, "not_now")
    if sub.fixed:
        return refuse(data, cursor, "fixed_rows")
    rows = list(data.get(sub.name) or [])
    if not 0 <= index < len(rows):
        return refuse(data, cursor, "no_such_row")
    new = copy.deepcopy(data)
    del new[sub.name][index]
    return Outcome(derived.recompute(form, new, context), cursor)


def rows_problem(form: FormSpec, sub: SubFormSpec, data: Data, context: Context) -> Problem | None:
    """Why the rows of `sub` cannot be accepted as they are, if they cannot."""
    rows = form.rows(sub, data, context)
    if len(rows) < sub.min_items:
        return Problem("too_few_rows", {"minimum": sub.min_items}, sub.name)
    for number, row in enumerate(rows, start=1):
        for spec in row_fields(sub, row):
            if row.answered(spec.name) and row.get(spec.name) is None and spec.required(row):
                return Problem(spec.required_reason, {"row": number}, sub.name)
        if not row_complete(sub, row):
            return Problem("row_incomplete", {"row": number}, sub.name)
        for spec in row_fields(sub, row):
            value = row.get(spec.name)
            for validator in spec.validators if value is not None else ():
                problem = validator(value, row)
                if problem is not None:
                    return Problem(problem.code, {**problem.params, "row": number}, sub.name)
        for row_validator in sub.row_validators:
            problem = row_validator(row)
            if problem is not None:
                return Problem(problem.code, {**problem.params, "row": number}, sub.name)
    parent = form.answers(data, context)
    for validator in sub.validators:
        problem = validator(rows, parent)
        if problem is not None:
            return Problem(problem.code, problem.params, sub.name)
    return None


def finish_rows(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Outcome:
    """ "Done" on a sub-form menu: check the rows, close the sub-form, move on."""
    sub = _menu_sub(form, cursor)
    if sub is None:
        return refuse(data, cursor, "not_now")
    problem = rows_problem(form, sub, data, context)
    if problem is not None:
        return Outcome(data, cursor, problem)
    new = copy.deepcopy(data)
    set_closed(new, sub.name, True)
    new, following = next_cursor(form, new, context)
    return Outcome(new, following)
