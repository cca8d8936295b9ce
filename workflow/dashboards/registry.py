"""Where stages contribute their figures: /stats, the Excel summary and the web dashboard
iterate what is registered.

A **figure source** (`@figure_source("name", order=...)`) is an async function given the
session and a `StatsScope` (the year, the organisations the person may see, the chart's
departments); it returns `View`s, each one table of figures computed in SQL. A view names
its columns and how to draw it; the words (titles, headers) live in
templates/dashboards.toml under the view's key, so the workflow stays free of text.

A stage registers in its own package (e.g. workflow/goals/stats.py), listed in
workflow/stages.py; /stats, the workbook and the web page need no edit for a new stage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from workflow.dashboards.scope import StatsScope


class Measure(StrEnum):
    """What a column holds, which decides its chart axis and its Excel format."""

    label = "label"  # the row's name (a department, a stage, a grade)
    count = "count"
    rate = "rate"  # a fraction, shown as a percentage
    money = "money"  # 万元, exact Decimal
    days = "days"
    score = "score"


class Chart(StrEnum):
    """How a view is drawn."""

    bars = "bars"  # one bar per row and value column (grouped when several)
    stacked = "stacked"  # value columns stacked per row
    rate_vs_share = "rate_vs_share"  # a rate per row against a reference line (time share)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a view: its key (a header in the templates) and what it holds."""

    key: str
    measure: Measure
    charted: bool = True  # drawn on the chart (else only in the table and the workbook)


@dataclass(frozen=True, slots=True)
class View:
    """One table of figures: the first column labels the rows, the others are values."""

    key: str  # e.g. "goals.timeliness": title and headers in templates/dashboards.toml
    chart: Chart
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    label_section: str | None = None  # vocabulary section naming the label values
    order: int = 0
    reference: object = None  # the line a rate is measured against (a time share)
    # A rate column as numerator / sum(denominators) of other columns, so that rows grouped
    # as 其他 get their rate again from the sums; a view without it is never grouped.
    ratios: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    summable: bool = True  # rows may be grouped as 其他 by adding their values

    @property
    def empty(self) -> bool:
        return not self.rows


def counts_by_label(
    key: str,
    *,
    label: str,
    counted: str,
    counts: Mapping[object, int],
    in_order: Sequence[object],
    label_section: str,
    order: int,
) -> View:
    """A bar per label value with its count, in `in_order`; values counted none are left out."""
    return View(
        key,
        Chart.bars,
        (Column(label, Measure.label), Column(counted, Measure.count)),
        tuple((value, counts[value]) for value in in_order if counts.get(value)),
        label_section=label_section,
        order=order,
        summable=False,
    )


FigureSource = Callable[[AsyncSession, "StatsScope"], Awaitable[list[View]]]

_sources: dict[str, tuple[int, FigureSource]] = {}


def figure_source(name: str, *, order: int) -> Callable[[FigureSource], FigureSource]:
    """Register a stage's figures under `name`; views come out sorted by `order`."""

    def decorate(source: FigureSource) -> FigureSource:
        known = _sources.get(name)
        # The same function again is a re-import, not a clash.
        if known is not None and known[1] is not source:
            raise ValueError(f"a figure source named {name!r} is already registered")
        _sources[name] = (order, source)
        return source

    return decorate


def figure_sources() -> list[FigureSource]:
    """Every registered source, in order (the installed stages imported first)."""
    from workflow import stages

    stages.install()
    return [source for _order, source in sorted(_sources.values(), key=lambda item: item[0])]
