"""A view as an inline SVG bar chart for the web dashboard (no script, no CDN): the geometry
here, the markup in templates/web/_chart.svg.j2, a tooltip per bar."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dashboards import words
from bot.dashboards.charts import COLOURS
from workflow.dashboards.registry import Chart, Measure, View

WIDTH = 480
LABEL_WIDTH = 150
ROW = 38
TOP = 10
VALUE_ROOM = 70


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    tip: str


@dataclass(frozen=True, slots=True)
class SvgChart:
    """Everything the template draws."""

    title: str
    width: int
    height: int
    labels: tuple[tuple[float, str], ...]  # (y, text)
    bars: tuple[Bar, ...]
    notes: tuple[tuple[float, float, str], ...]  # (x, y, text) at the bar ends
    legend: tuple[tuple[str, str], ...]  # (colour, text)
    reference: tuple[float, str] | None  # (x, text) of a dashed line


def svg_chart(view: View) -> SvgChart:
    """The chart's geometry: horizontal bars, as on the phone's PNG."""
    rows = words.chart_rows(view)
    charted = [(i, c) for i, c in enumerate(view.columns) if i and c.charted]
    plot = WIDTH - LABEL_WIDTH - VALUE_ROOM
    bars: list[Bar] = []
    notes: list[tuple[float, float, str]] = []
    reference = None
    if view.chart is Chart.rate_vs_share:
        index = next(i for i, c in enumerate(view.columns) if c.measure is Measure.rate)
        share = words.number(view.reference)
        top = max([share, *(words.number(row[index]) for row in rows)]) or 1.0
        for n, row in enumerate(rows):
            value = words.number(row[index])
            colour = COLOURS[0] if value >= share else COLOURS[2]
            y = TOP + n * ROW + 4
            tip = f"{row[0]}：{words.percent(row[index])}"
            bars.append(Bar(LABEL_WIDTH, y, plot * value / top, ROW - 8, colour, tip))
            notes.append(
                (LABEL_WIDTH + plot * value / top + 4, y + ROW / 2, words.percent(row[index]))
            )
        reference = (
            LABEL_WIDTH + plot * share / top,
            f"{words.words()['rate_reference']} {words.percent(share)}",
        )
        legend: tuple[tuple[str, str], ...] = (
            (COLOURS[0], words.header(view, view.columns[index].key)),
        )
    else:
        stacked = view.chart is Chart.stacked
        totals = [
            sum(words.number(row[i]) for i, _ in charted)
            if stacked
            else max([words.number(row[i]) for i, _ in charted] or [0.0])
            for row in rows
        ]
        top = max(totals or [1.0]) or 1.0
        height = (ROW - 8) / (1 if stacked else max(len(charted), 1))
        for n, row in enumerate(rows):
            left = LABEL_WIDTH
            for k, (i, column) in enumerate(charted):
                width = plot * words.number(row[i]) / top
                y = TOP + n * ROW + 4 + (0 if stacked else k * height)
                shown = words.value_text(column.measure, row[i])
                tip = f"{row[0]} · {words.header(view, column.key)}：{shown}"
                bars.append(Bar(left, y, width, height, COLOURS[k % len(COLOURS)], tip))
                if stacked:
                    left += width
                else:
                    notes.append((left + width + 4, y + height / 2, shown))
            if stacked:
                rates = [i for i, c in enumerate(view.columns) if c.measure is Measure.rate]
                note = words.percent(row[rates[0]]) if rates else f"{int(totals[n]):,}"
                notes.append((left + 4, TOP + n * ROW + ROW / 2, note))
        legend = tuple(
            (COLOURS[k % len(COLOURS)], words.header(view, column.key))
            for k, (_, column) in enumerate(charted)
        )
    labels = tuple((TOP + n * ROW + ROW / 2, str(row[0])) for n, row in enumerate(rows))
    return SvgChart(
        words.title(view),
        WIDTH,
        TOP * 2 + ROW * max(len(rows), 1),
        labels,
        tuple(bars),
        tuple(notes),
        legend,
        reference,
    )
