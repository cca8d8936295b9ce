"""/stats charts as PNG, readable on a phone: large type, horizontal bars, ≤ 12 per chart.

matplotlib (Agg) is imported only when a chart is drawn, so the bot starts as fast without.
The Chinese font is Noto Sans SC (SIL Open Font License 1.1), installed with the project as
the package pylopdf-fonts-zh-cn: no system font is assumed, so labels never show as boxes.
`missing_glyphs` says which characters of a text the font lacks (tests check every label).
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.dashboards import words
from workflow.dashboards.registry import Chart, Measure, View

WIDTH_INCHES = 7.2  # × DPI = 1080 px, a phone screen's width
DPI = 150
FONT_SIZE = 15
TITLE_SIZE = 18
COLOURS = ("#2f6fb5", "#e39b2f", "#c8453c", "#5a9e5a", "#8a6bb8")


def font_path() -> Path:
    """The bundled Noto Sans SC file."""
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


@lru_cache(maxsize=1)
def _font_family() -> str:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(font_path()))
    return font_manager.FontProperties(fname=str(font_path())).get_name()


@lru_cache(maxsize=1)
def _cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(font_path()), lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str) -> set[str]:
    """The characters of `text` the chart font has no glyph for (white space aside)."""
    covered = _cmap()
    return {char for char in text if not char.isspace() and ord(char) not in covered}


def draw(view: View) -> Any:
    """The view as a matplotlib Figure (for tests; `png` for the chat)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    rows = words.chart_rows(view)
    charted = [(i, c) for i, c in enumerate(view.columns) if i and c.charted]
    rc = {
        "font.family": _font_family(),
        "font.size": FONT_SIZE,
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with matplotlib.rc_context(rc):
        height = 1.9 + 0.62 * max(len(rows), 1) * (
            1 if view.chart is not Chart.bars else len(charted) ** 0.5
        )
        figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
        axes = figure.add_subplot()
        figure.suptitle(words.title(view), fontsize=TITLE_SIZE)
        labels = [str(row[0]) for row in reversed(rows)]
        positions = list(range(len(rows)))
        shown = list(reversed(rows))
        if view.chart is Chart.rate_vs_share:
            _rate_bars(axes, view, shown, positions, labels)
        elif view.chart is Chart.stacked:
            _stacked(axes, view, shown, positions, charted)
        else:
            _grouped(axes, view, shown, positions, charted)
        axes.set_yticks(positions, labels)
        axes.tick_params(axis="y", length=0)
        if view.chart is not Chart.rate_vs_share:
            from matplotlib.ticker import MaxNLocator

            integers = all(column.measure is Measure.count for _, column in charted)
            axes.xaxis.set_major_locator(MaxNLocator(integer=integers))
        legend = len(charted) > 1 or view.chart is Chart.rate_vs_share
        if legend:
            figure.legend(loc="lower center", ncols=3, fontsize=FONT_SIZE - 1, frameon=False)
        _margins(figure, labels, height, legend)
    return figure


def _text_inches(text: str, size: float) -> float:
    """A label's width estimated from its characters (wide CJK, narrow Latin and digits):
    cheaper than a layout engine measuring every text twice, and close enough for margins."""
    ems = sum(1.0 if ord(char) > 0x2E7F else 0.6 for char in text)
    return ems * size / 72


def _margins(figure: Any, labels: list[str], height: float, legend: bool) -> None:
    """Room for the title, the row labels, the x ticks and the legend."""
    line = FONT_SIZE / 72
    left = max((_text_inches(label, FONT_SIZE) for label in labels), default=0) + 0.3
    top = TITLE_SIZE / 72 * 2.0
    bottom = line * (2.0 + (2.0 if legend else 0))
    figure.subplots_adjust(
        left=min(left / WIDTH_INCHES, 0.6),
        right=0.97,
        top=1 - top / height,
        bottom=bottom / height,
    )


def _grouped(axes: Any, view: View, rows: list, positions: list[int], charted: list) -> None:
    width = 0.8 / max(len(charted), 1)
    for n, (index, column) in enumerate(charted):
        offsets = [p + ((len(charted) - 1) / 2 - n) * width for p in positions]
        values = [words.number(row[index]) for row in rows]
        bars = axes.barh(
            offsets,
            values,
            height=width,
            color=COLOURS[n % 5],
            label=words.header(view, column.key),
        )
        axes.bar_label(
            bars, [words.value_text(column.measure, row[index]) for row in rows], padding=3
        )
    axes.margins(x=0.18)


def _stacked(axes: Any, view: View, rows: list, positions: list[int], charted: list) -> None:
    left = [0.0] * len(rows)
    for n, (index, column) in enumerate(charted):
        values = [words.number(row[index]) for row in rows]
        axes.barh(
            positions, values, left=left, color=COLOURS[n % 5], label=words.header(view, column.key)
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    rate_columns = [i for i, c in enumerate(view.columns) if c.measure is Measure.rate]
    for position, total, row in zip(positions, left, rows, strict=True):
        note = words.percent(row[rate_columns[0]]) if rate_columns else f"{int(total):,}"
        axes.annotate(
            note, (total, position), xytext=(4, 0), textcoords="offset points", va="center"
        )
    axes.margins(x=0.2)


def _rate_bars(axes: Any, view: View, rows: list, positions: list[int], labels: list) -> None:
    index = next(i for i, c in enumerate(view.columns) if c.measure is Measure.rate)
    values = [words.number(row[index]) * 100 for row in rows]
    share = words.number(view.reference) * 100
    colours = [COLOURS[0] if value >= share else COLOURS[2] for value in values]
    bars = axes.barh(
        positions, values, color=colours, label=words.header(view, view.columns[index].key)
    )
    axes.bar_label(bars, [words.percent(row[index]) for row in rows], padding=3)
    axes.axvline(
        share,
        color="#444444",
        linestyle="--",
        linewidth=2,
        label=f"{words.words()['rate_reference']} {share:.0f}%",
    )
    axes.set_xlim(0, max([share, *values]) * 1.25 or 100)


def png(view: View) -> bytes:
    """The chart of `view` as PNG bytes."""
    figure = draw(view)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
