"""What a draft holds that nobody typed: fixed rows, computed values, choices being picked.

Pure functions over a draft's data, like `workflow.forms.flow`, which calls them. They add
keys to the data and never change the shape of what was there, so older drafts still load.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from workflow.forms.spec import (
    META,
    ROW_KEY,
    Answers,
    Context,
    Cursor,
    Data,
    FieldSpec,
    FormSpec,
    SubFormSpec,
    dump_value,
)

PICKING = "picking"  # META key: {"at": cursor, "values": [...]} of a multi-select under way


def open_fixed_rows(form: FormSpec, data: Data, context: Context) -> Data:
    """`data` with the rows of every fixed sub-form not opened yet, copied from the context."""
    missing = [e for e in form.entries if isinstance(e, SubFormSpec) and e.fixed]
    missing = [sub for sub in missing if sub.name not in data]
    if not missing:
        return data
    new = copy.deepcopy(data)
    for sub in missing:
        assert sub.fixed_rows is not None
        rows = [dict(row) for row in sub.fixed_rows(context)]
        if any(ROW_KEY not in row for row in rows):
            raise ValueError(f"every fixed row of {sub.name!r} needs its {ROW_KEY!r}")
        new[sub.name] = rows
    return new


def _has_computed(form: FormSpec) -> bool:
    for entry in form.entries:
        fields = entry.fields if isinstance(entry, SubFormSpec) else (entry,)
        if any(spec.compute is not None for spec in fields):
            return True
    return False


def _store(scope: Data, spec: FieldSpec, value: Any) -> None:
    if value is None:
        scope.pop(spec.name, None)  # not known yet: absent, as an unanswered question
    else:
        scope[spec.name] = dump_value(spec.kind, value)


def recompute(form: FormSpec, data: Data, context: Context) -> Data:
    """`data` with every computed value brought up to date, in the order the form lists them."""
    if not _has_computed(form):
        return data
    new = copy.deepcopy(data)
    for entry in form.entries:
        if isinstance(entry, SubFormSpec):
            computed = [spec for spec in entry.fields if spec.compute is not None]
            for row in new.get(entry.name) or []:
                for spec in computed:
                    answers = Answers(entry.fields, row, context, form.answers(new, context))
                    _store(row, spec, spec.compute(answers))  # type: ignore[misc]
        elif entry.compute is not None:
            _store(new, entry, entry.compute(form.answers(new, context)))
    return new if new != data else data


def picked(spec: FieldSpec, answers: Answers, cursor: Cursor) -> list[Any]:
    """The choices ticked so far at a multi-select question (else its stored answer)."""
    top = answers.parent or answers  # the META of a row's question is the form's
    picking = (top.data.get(META) or {}).get(PICKING)
    if picking and picking.get("at") == str(cursor):
        return list(picking.get("values", []))
    return list(answers.get(spec.name) or [])


def with_picking(data: Data, cursor: Cursor, values: list[Any]) -> Data:
    """A copy of `data` remembering the choices ticked at `cursor`."""
    new = copy.deepcopy(data)
    new.setdefault(META, {})[PICKING] = {"at": str(cursor), "values": values}
    return new


def without_picking(data: Data) -> Data:
    """`data` (changed in place) forgetting any choices being ticked."""
    meta: Mapping[str, Any] = data.get(META) or {}
    if PICKING in meta:
        data[META] = {key: value for key, value in meta.items() if key != PICKING}
    return data
