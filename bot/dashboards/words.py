"""The words of the figures (templates/dashboards.toml) and the rows a chart shows.

A chart shows at most `CHART_LIMIT` rows, the rest added up as 其他 (rates recomputed from
the sums); the workbook and the web table keep every row.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import lru_cache
from typing import Any

from bot.ui import vocabulary
from templates import TEMPLATES
from workflow.dashboards.registry import Measure, View

CHART_LIMIT = 12


@lru_cache(maxsize=1)
def words() -> dict[str, Any]:
    """Every entry of templates/dashboards.toml."""
    return tomllib.loads((TEMPLATES / "dashboards.toml").read_text(encoding="utf-8"))


def _view_words(view: View) -> dict[str, Any]:
    return words()["views"].get(view.key, {})


def title(view: View) -> str:
    return _view_words(view).get("title", view.key)


def sheet_name(view: View) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    return str(_view_words(view).get("sheet", view.key))[:31]


def header(view: View, key: str) -> str:
    return _view_words(view).get("columns", {}).get(key, key)


def headers(view: View) -> list[str]:
    """The column headers, money columns with their unit."""
    unit = words()["money_unit"]
    return [
        f"{header(view, c.key)}（{unit}）" if c.measure is Measure.money else header(view, c.key)
        for c in view.columns
    ]


def label(view: View, value: object) -> str:
    """A row's label: a stored value named by its section, or the value itself."""
    if view.label_section is None:
        return str(value)
    own = words().get("labels", {}).get(view.label_section)
    if own is not None:
        return own.get(str(value), str(value))
    return vocabulary.labels(view.label_section).get(str(value), str(value))


def other() -> str:
    return words()["other"]


def labelled_rows(view: View) -> list[tuple[Any, ...]]:
    """Every row with its label in words."""
    return [(label(view, row[0]), *row[1:]) for row in view.rows]


def chart_rows(view: View, limit: int = CHART_LIMIT) -> list[tuple[Any, ...]]:
    """The rows a chart shows: all when few, else the first `limit - 1` and 其他."""
    rows = labelled_rows(view)
    if len(rows) <= limit or not view.summable:
        return rows[:limit]
    shown, rest = rows[: limit - 1], rows[limit - 1 :]
    keys = [column.key for column in view.columns]
    summed: list[Any] = [other()]
    for index, column in enumerate(view.columns[1:], start=1):
        if column.key in view.ratios:
            summed.append(None)
        else:
            summed.append(sum((row[index] or 0 for row in rest), start=0))
    for key, (numerator, denominators) in view.ratios.items():
        top = summed[keys.index(numerator)]
        bottom = sum(summed[keys.index(name)] or 0 for name in denominators)
        summed[keys.index(key)] = Decimal(top) / Decimal(bottom) if bottom else None
    return [*shown, tuple(summed)]


def percent(value: object) -> str:
    """A fraction as a percentage with one decimal; a dash when unknown."""
    if value is None:
        return "—"
    return f"{Decimal(str(value)) * 100:.1f}%"


def value_text(measure: Measure, value: Any) -> str:
    """A chart bar's value as it reads at the bar's end; a dash when unknown."""
    if value is None:
        return "—"
    if measure is Measure.rate:
        return percent(value)
    if measure in (Measure.money, Measure.days, Measure.score):
        return f"{Decimal(str(value)):,.1f}"
    return f"{int(value):,}"


def number(value: Any) -> float:
    """A value as a bar's length (nothing is zero)."""
    return float(value) if value is not None else 0.0
