"""Forms as data: fields, repeated sub-forms, and the pure rules for moving through them.

A FormSpec lists entries in order: FieldSpecs (one question each) and SubFormSpecs
(repeated rows such as indicators). A draft is a JSON dict of answers plus a cursor
string; the functions in `workflow.forms.flow` apply an answer to that dict and compute
the next question. Nothing here touches the database or Telegram.

Cursor strings (stored in form_draft.current_field, at most 64 characters):
    "<field>"                a top-level question
    "<sub>#menu"             the "add another / done / edit / delete" menu of a sub-form
    "<sub>#<index>.<field>"  a question of one row of a sub-form
    "#summary"               the summary with "edit field N" and confirm

Besides questions, a form may show values nobody types: read-only ones (copied in by a
prefill or by a fixed sub-form's rows) and computed ones (a pure function of the other
answers, recomputed after every change). A fixed sub-form's rows are given when the draft
opens (one per issued indicator, say), each with a stable key under ROW_KEY; the person
fills them but cannot add or delete rows. A multi-select question (Kind.choices) keeps the
choices toggled so far in the draft's META until "done", so a restart loses none of them.
A files question (Kind.files) takes files, not text: each one is stored as it arrives and
the question stays until "done".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

Data = dict[str, Any]  # JSON-safe answers of a draft (or of one sub-form row)
Context = Mapping[str, Any]  # facts loaded for the form: choices, last year's goals...

SUMMARY = "#summary"
MENU = "menu"
META = "_meta"
ROW_KEY = "_key"  # a fixed row's stable key (e.g. the indicator id), kept in the row's data
FILES_LIMIT = 5  # files one question takes unless its max_count says otherwise


class Kind(StrEnum):
    """How an answer is stored in JSON and read back."""

    text = "text"
    money = "money"  # Decimal in 万元, stored as its exact string
    number = "number"  # Decimal, stored as its exact string
    date = "date"  # ISO date string
    integer = "integer"
    boolean = "boolean"
    choice = "choice"  # the chosen Choice.value (JSON scalar)
    names = "names"  # list of strings
    choices = "choices"  # several Choice.values (multi-select), stored as a list
    percent = "percent"  # a Decimal ratio (0.875 reads 87.5%), stored as its exact string
    files = "files"  # files sent to the question: a list of {"id", "name", "size"}


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain digits without trailing zeros: 120.000000 → "120", never "1.2E+2"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def grouped_text(value: Decimal) -> str:
    """1200.50 → "1,200.5": no trailing zeros (0.0 → "0"), thousands grouped."""
    return f"{Decimal(decimal_text(value)):,f}"


def dump_value(kind: Kind, value: Any) -> Any:
    """A typed answer as JSON."""
    if value is None:
        return None
    if kind in (Kind.money, Kind.number, Kind.percent):
        return str(value)
    if kind is Kind.date:
        return value.isoformat()
    if kind in (Kind.names, Kind.choices, Kind.files):
        return list(value)
    return value


def load_value(kind: Kind, raw: Any) -> Any:
    """A stored JSON answer as its typed value."""
    if raw is None:
        return None
    if kind in (Kind.money, Kind.number, Kind.percent):
        return Decimal(raw)
    if kind is Kind.date:
        return dt.date.fromisoformat(raw)
    if kind in (Kind.choices, Kind.files):
        return list(raw)
    return raw


@dataclass(frozen=True, slots=True)
class Choice:
    """A button; `label` None means the bot's text catalog names the value."""

    value: Any
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """Why an answer (or the whole form) is refused; `field` is where to go to fix it."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    field: str | None = None


class SubmitRefused(Exception):
    """A draft that passed its checks still cannot become records (e.g. a name now taken)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.code)
        self.problem = problem


class Answers:
    """Typed, read-only access to a draft's answers (or a row's, with its form as parent)."""

    def __init__(
        self,
        fields: Sequence[FieldSpec],
        data: Mapping[str, Any],
        context: Context,
        parent: Answers | None = None,
    ) -> None:
        self._kinds = {spec.name: spec.kind for spec in fields}
        self.data = data
        self.context = context
        self.parent = parent

    def get(self, name: str, default: Any = None) -> Any:
        """The typed answer of `name`, or `default` when unanswered or skipped."""
        raw = self.data.get(name)
        if raw is None:
            return default
        return load_value(self._kinds.get(name, Kind.text), raw)

    def answered(self, name: str) -> bool:
        """Whether `name` has been answered (a skip counts as an answer)."""
        return name in self.data


Validator = Callable[[Any, Answers], Problem | None]
Predicate = Callable[[Answers], bool]
ChoiceSource = Callable[[Answers], Sequence[Choice]]
RowsValidator = Callable[[list[Answers], Answers], Problem | None]
FormValidator = Callable[[Answers], Problem | None]
# Loads the facts a form needs (choices from the database, last year's goals) for a person
# and the answers so far; runs in the same transaction as the answer it serves.
ContextLoader = Callable[["AsyncSession", int, Mapping[str, Any]], Awaitable[dict[str, Any]]]
# Computes a value from the answers so far (None while it cannot be known yet).
Compute = Callable[[Answers], Any]
# The rows of a fixed sub-form, from the form's context (each with its key under ROW_KEY).
RowsLoader = Callable[[Context], Sequence[Data]]
# Turns a checked draft into records: (session, *, person_id, draft, answers, now) -> result.
# It raises SubmitRefused before writing anything when the records cannot be made.
Submitter = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One question.

    `parser` turns typed text into a value (None: buttons only); `choices` are shown as
    buttons (a callable gets the answers so far); `ask_if` hides the question unless true;
    `validators` check the parsed value against the other answers; `clears` names the
    answers that depend on this one and are dropped when it changes; `on_answer` may add
    derived answers (e.g. copy last year's indicators) and returns the new data.

    `read_only` values are shown, never asked; `compute` derives the value from the other
    answers (never asked either). `required_when` makes an optional question required while
    it holds, `required_reason` names the problem text that says why. A multi-select
    (Kind.choices) takes between `min_count` and `max_count` choices.
    """

    name: str
    kind: Kind = Kind.text
    parser: Callable[[str], Any] | None = None
    choices: Sequence[Choice] | ChoiceSource = ()
    optional: bool = False
    ask_if: Predicate | None = None
    validators: tuple[Validator, ...] = ()
    clears: tuple[str, ...] = ()
    on_answer: Callable[[Any, Data, Answers], Data] | None = None
    read_only: bool = False
    compute: Compute | None = None
    required_when: Predicate | None = None
    required_reason: str = "required"
    min_count: int = 1
    max_count: int | None = None

    @property
    def askable(self) -> bool:
        """Whether the person answers this (not read-only, not computed)."""
        return not self.read_only and self.compute is None

    @property
    def multiple(self) -> bool:
        """Whether the answer is a set of choices toggled one by one."""
        return self.kind is Kind.choices

    def required(self, answers: Answers) -> bool:
        """Whether an empty answer is refused given the answers so far."""
        if not self.optional:
            return True
        return self.required_when is not None and self.required_when(answers)

    def choices_for(self, answers: Answers) -> tuple[Choice, ...]:
        """The buttons for this question given the answers so far."""
        source = self.choices
        return tuple(source(answers) if callable(source) else source)

    def asked(self, answers: Answers) -> bool:
        """Whether this question applies given the answers so far."""
        return self.ask_if is None or self.ask_if(answers)


@dataclass(frozen=True, slots=True)
class SubFormSpec:
    """Repeated rows (indicators, schedule rows): add another / done / edit / delete.

    With `fixed_rows` the rows come from the context when the draft opens (one per issued
    indicator, say) and the person fills them in but cannot add or delete any.
    """

    name: str
    fields: tuple[FieldSpec, ...]
    min_items: int = 0
    max_items: int = 50
    ask_if: Predicate | None = None
    validators: tuple[RowsValidator, ...] = ()
    row_validators: tuple[FormValidator, ...] = ()
    fixed_rows: RowsLoader | None = None

    @property
    def fixed(self) -> bool:
        """Whether the rows are given (no add, no delete)."""
        return self.fixed_rows is not None

    @property
    def askable(self) -> bool:
        """A sub-form is always worked through by the person."""
        return True

    def asked(self, answers: Answers) -> bool:
        """Whether this sub-form applies given the answers so far."""
        return self.ask_if is None or self.ask_if(answers)

    def field(self, name: str) -> FieldSpec:
        """The row field called `name`."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)


Entry = FieldSpec | SubFormSpec


@dataclass(frozen=True, slots=True)
class FormSpec:
    """A whole form: its entries in order, final checks, context and what submit does.

    `context_reads` names the answers `load_context` reads (None: any of them may matter);
    after an answer that changes none of them, the context already loaded still holds.
    """

    name: str
    entries: tuple[Entry, ...]
    validators: tuple[FormValidator, ...] = ()
    load_context: ContextLoader | None = None
    context_reads: tuple[str, ...] | None = None
    prefill: Callable[[Context], Data] | None = None
    submit: Submitter | None = None

    def context_changed(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
        """Whether the context loaded for `before` may differ from the one for `after`."""
        if self.load_context is None:
            return False
        if self.context_reads is None:
            return before != after
        return any(before.get(name) != after.get(name) for name in self.context_reads)

    def entry(self, name: str) -> Entry:
        """The top-level field or sub-form called `name`."""
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def fields(self) -> tuple[FieldSpec, ...]:
        """The top-level fields (not sub-forms)."""
        return tuple(e for e in self.entries if isinstance(e, FieldSpec))

    def answers(self, data: Mapping[str, Any], context: Context) -> Answers:
        """Typed access to a draft's top-level answers."""
        return Answers(self.fields(), data, context)

    def rows(self, sub: SubFormSpec, data: Mapping[str, Any], context: Context) -> list[Answers]:
        """Typed access to each row of a sub-form."""
        parent = self.answers(data, context)
        return [Answers(sub.fields, row, context, parent) for row in data.get(sub.name) or []]


@dataclass(frozen=True, slots=True)
class Cursor:
    """A parsed cursor string."""

    entry: str | None  # None for the summary
    index: int | None = None  # sub-form row
    field: str | None = None  # field within the row; None with a sub-form means its menu

    @property
    def is_summary(self) -> bool:
        return self.entry is None

    @property
    def is_menu(self) -> bool:
        return self.entry is not None and self.index is None and self.field == MENU

    @property
    def in_row(self) -> bool:
        return self.index is not None

    def __str__(self) -> str:
        if self.entry is None:
            return SUMMARY
        if self.field == MENU:
            return f"{self.entry}#{MENU}"
        if self.index is not None:
            return f"{self.entry}#{self.index}.{self.field}"
        return self.entry

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        """Read a stored cursor string."""
        if not text or text == SUMMARY:
            return cls(None)
        entry, _, rest = text.partition("#")
        if not rest:
            return cls(entry)
        if rest == MENU:
            return cls(entry, None, MENU)
        index, _, name = rest.partition(".")
        return cls(entry, int(index), name)


def field_cursor(name: str) -> Cursor:
    """The cursor of a top-level question."""
    return Cursor(name)


def menu_cursor(sub: str) -> Cursor:
    """The cursor of a sub-form's menu."""
    return Cursor(sub, None, MENU)


def row_cursor(sub: str, index: int, name: str) -> Cursor:
    """The cursor of one question of one row."""
    return Cursor(sub, index, name)
