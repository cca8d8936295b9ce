"""/stats charts and workbook: every label drawn has a glyph in the bundled font, a long view
is cut to 12 bars with 其他 (rates recomputed), the workbook keeps every row with frozen
headers, filters and 万元 numbers."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.dashboards import charts, words
from bot.dashboards.workbook import write_workbook
from bot.ui import vocabulary
from storage.db import Database
from tests.dashboard_world import TODAY, build_dashboard_world
from tests.review_world import YEAR
from workflow.dashboards.registry import Chart, Column, Measure, View
from workflow.dashboards.timeliness import COLUMNS, RATE_OF
from workflow.tracking.lights import Q3_TIME_SHARE


def drawn_texts(view: View) -> list[str]:
    """Every piece of text on the chart: title, tick labels, legend, value labels."""
    from matplotlib.text import Text

    figure = charts.draw(view)
    figure.canvas.draw()  # lays out ticks and labels as they are rendered
    return [text.get_text() for text in figure.findobj(Text) if text.get_text()]


def many_departments(count: int) -> View:
    rows = tuple(
        (f"第{n}区人民政府办公室", n, 1, count - n, Decimal(n) / (count + 1)) for n in range(count)
    )
    return View("goals.timeliness", Chart.stacked, COLUMNS, rows, ratios=RATE_OF)


def test_the_font_check_can_fail() -> None:
    assert charts.missing_glyphs("市教育局 75.0%") == set()
    assert charts.missing_glyphs("预算😀") == {"😀"}


@pytest.fixture
async def sqlite_db(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    """One database is enough here: drawing does not depend on it (figures: both)."""
    path = tmp_path / "charts.db"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    yield db
    await db.dispose()


async def test_every_label_of_every_chart_has_a_glyph(sqlite_db: Database) -> None:
    from workflow.dashboards.stats import year_stats

    database = sqlite_db

    built = await build_dashboard_world(database)
    stats = await year_stats(database, actor=built.world["perf"], year=YEAR, today=TODAY)
    texts = [text for view in stats.views for text in drawn_texts(view)]
    assert "市教育局" in texts and "部门主要领导审定" in texts and "时间进度 75%" in texts
    assert {
        text: charts.missing_glyphs(text) for text in texts if charts.missing_glyphs(text)
    } == {}


def test_every_word_a_chart_may_show_has_a_glyph() -> None:
    shown = [words.other(), words.words()["rate_reference"], words.words()["money_unit"]]
    for entry in words.words()["views"].values():
        shown += [entry["title"], entry["sheet"], *entry["columns"].values()]
    for section in ("stage", "project_status", "light", "grade"):
        shown += vocabulary.labels(section).values()
    for labels in words.words()["labels"].values():
        shown += labels.values()
    assert {
        text: charts.missing_glyphs(text) for text in shown if charts.missing_glyphs(text)
    } == {}


def test_a_long_view_shows_twelve_bars_with_the_rest_as_other() -> None:
    view = many_departments(20)
    rows = words.chart_rows(view)
    assert len(rows) == 12 and rows[-1][0] == "其他"
    rest = view.rows[11:]
    on_time, late, overdue = (sum(row[i] for row in rest) for i in (1, 2, 3))
    assert rows[-1][1:4] == (on_time, late, overdue)
    assert rows[-1][4] == Decimal(on_time) / (on_time + late + overdue)
    ticks = [label.get_text() for label in charts.draw(view).axes[0].get_yticklabels()]
    assert len(ticks) == 12 and ticks[0] == "其他"  # drawn bottom up


def test_the_workbook_keeps_every_row_with_frozen_headers_filters_and_money(
    tmp_path: Path,
) -> None:
    execution = View(
        "tracking.execution",
        Chart.rate_vs_share,
        (
            Column("department", Measure.label),
            Column("forms", Measure.count),
            Column("budget", Measure.money),
            Column("executed", Measure.money),
            Column("execution_rate", Measure.rate),
        ),
        (("市教育局", 2, Decimal("1234.56"), Decimal("617.28"), Decimal("0.5")),),
        reference=Q3_TIME_SHARE,
    )
    path = tmp_path / "stats.xlsx"
    assert write_workbook([many_departments(20), execution], path) == 2
    book = load_workbook(path)
    timeliness, money = book["按时申报"], book["预算执行"]
    assert timeliness.max_row == 21  # every department, not only the charted 12
    assert timeliness.freeze_panes == "A2" and timeliness.auto_filter.ref == "A1:E21"
    assert [cell.value for cell in money[1]] == [
        "部门",
        "跟踪表数",
        "全年预算数（万元）",
        "1-9月执行数（万元）",
        "执行率",
    ]
    budget = money["C2"]
    assert budget.value == pytest.approx(1234.56) and "万元" in budget.number_format
    assert money["E2"].number_format == "0.0%" and money["E2"].value == pytest.approx(0.5)
