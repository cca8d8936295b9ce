"""A filled-in template (an .xlsx uploaded instead of typing) applied to a draft.

Every cell goes through exactly what a typed answer goes through (`flow.answer_text`: the
parser, the choices, the validators, the computed values), in the form's order, so an
upload can never store what the chat would refuse. A refused cell is reported with where
it is and left unanswered; the good ones are kept; the draft then continues in the chat at
the first question still missing, or at the summary when nothing is.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field

from workflow.forms import flow
from workflow.forms.flow import row_complete, set_closed
from workflow.forms.rows import rows_problem
from workflow.forms.spec import (
    ROW_KEY,
    Context,
    Cursor,
    Data,
    FieldSpec,
    FormSpec,
    Problem,
    SubFormSpec,
    field_cursor,
    row_cursor,
)


@dataclass(frozen=True, slots=True)
class Cell:
    """One answer as found in the file: where it is ("绩效跟踪表!C12") and its text."""

    where: str
    text: str | None


@dataclass(frozen=True, slots=True)
class CellProblem:
    """Why a cell was not taken."""

    where: str
    problem: Problem


@dataclass(frozen=True, slots=True)
class Cells:
    """The answers of a file: top-level ones by field name, rows by their key and field."""

    fields: Mapping[str, Cell] = field(default_factory=dict)
    rows: Mapping[str, Mapping[str, Mapping[str, Cell]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Imported:
    """The draft's data and cursor after the import, and the cells refused."""

    data: Data
    cursor: Cursor
    problems: tuple[CellProblem, ...]
    taken: int  # cells whose answer was stored


def _blank(cell: Cell | None) -> bool:
    return cell is None or cell.text is None or not cell.text.strip()


class _Importer:
    def __init__(self, form: FormSpec, data: Data, context: Context) -> None:
        self.form, self.data, self.context = form, data, context
        self.problems: list[CellProblem] = []
        self.taken = 0

    def answer(self, spec: FieldSpec, cursor: Cursor, cell: Cell | None, scope: Data) -> None:
        """One cell as a typed answer; an empty one skips an optional question not yet
        answered (unless it is required now), and never erases an answer."""
        if _blank(cell):
            if spec.name in scope:
                return  # a blank cell never erases what the draft already keeps
            answers = flow.question_scope(self.form, self.data, cursor, self.context)[2]
            if cell is not None and spec.optional and not spec.required(answers):
                self.data = flow.skip(self.form, self.data, cursor, self.context).data
            return
        assert cell is not None and cell.text is not None
        outcome = flow.answer_text(self.form, self.data, cursor, cell.text, self.context)
        if outcome.problem is not None:
            self.problems.append(CellProblem(cell.where, outcome.problem))
            return
        self.data = outcome.data
        self.taken += 1

    def top_level(self, spec: FieldSpec, cell: Cell | None) -> None:
        answers = self.form.answers(self.data, self.context)
        if spec.askable and spec.asked(answers):
            self.answer(spec, field_cursor(spec.name), cell, self.data)

    def rows(self, sub: SubFormSpec, cells: Mapping[str, Mapping[str, Cell]]) -> None:
        """Each fixed row by its key, its questions in order (earlier answers decide later)."""
        for index, row in enumerate(self.data.get(sub.name) or []):
            given = cells.get(str(row.get(ROW_KEY)), {})
            for spec in sub.fields:
                current = self.form.rows(sub, self.data, self.context)[index]
                if spec.askable and spec.asked(current):
                    scope = self.data[sub.name][index]
                    cursor = row_cursor(sub.name, index, spec.name)
                    self.answer(spec, cursor, given.get(spec.name), scope)
        rows = self.form.rows(sub, self.data, self.context)
        complete = all(row_complete(sub, row) for row in rows)
        if complete and rows_problem(self.form, sub, self.data, self.context) is None:
            new = copy.deepcopy(self.data)
            set_closed(new, sub.name, True)
            self.data = new


def import_cells(form: FormSpec, data: Data, cells: Cells, context: Context) -> Imported:
    """Apply a file's cells to a draft's data: what can be taken is, the rest is reported."""
    importer = _Importer(form, data, context)
    for entry in form.entries:
        if isinstance(entry, SubFormSpec):
            if entry.fixed and entry.asked(form.answers(importer.data, context)):
                importer.rows(entry, cells.rows.get(entry.name, {}))
        else:
            importer.top_level(entry, cells.fields.get(entry.name))
    new, cursor = flow.next_cursor(form, importer.data, context)
    return Imported(new, cursor, tuple(importer.problems), importer.taken)
