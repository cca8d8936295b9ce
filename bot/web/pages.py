"""The web dashboard's HTML: Jinja2 templates in templates/web (autoescape on)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.dashboards import charts, words
from bot.dashboards.summary import summary_context
from bot.dashboards.svg import LABEL_WIDTH, svg_chart
from bot.ui import vocabulary
from bot.ui.render import render
from storage.models import BudgetLight, ProjectStatus
from templates import TEMPLATES
from workflow.core.clock import bureau_tz
from workflow.dashboards.projects import ProjectPage, Timeline
from workflow.dashboards.stats import Stats

WEB = TEMPLATES / "web"
FONT = "font.otf"  # the charts' Noto Sans SC: the page's last fallback for Chinese
STATIC = {"dashboard.js": "text/javascript", "dashboard.css": "text/css", FONT: "font/otf"}


def _local_time(moment: dt.datetime) -> str:
    return moment.astimezone(bureau_tz()).strftime("%Y-%m-%d %H:%M")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(WEB),
        autoescape=select_autoescape(enabled_extensions=("html", "j2", "svg"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["label"] = vocabulary.label
    env.filters["local_time"] = _local_time
    return env


def _page(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def index() -> str:
    """The shell: no data, only the script that fetches it with the launch data."""
    return _page("index.html.j2", access_denied=render("access_denied"))


def static(name: str) -> bytes | None:
    """A bundled asset by name; None for anything not on the list."""
    if name == FONT:
        return charts.font_path().read_bytes()
    return (WEB / name).read_bytes() if name in STATIC else None


def overview(stats: Stats) -> str:
    charts = [svg_chart(view) for view in stats.views if not view.empty]
    return _page(
        "overview.html.j2", charts=charts, label_x=LABEL_WIDTH - 8, **summary_context(stats)
    )


def projects(page: ProjectPage) -> str:
    return _page(
        "projects.html.j2",
        page=page,
        columns=list(words.words()["web"]["columns"].items()),
        statuses=[(s.value, vocabulary.label(s.value, "project_status")) for s in ProjectStatus],
        lights=[(light.value, vocabulary.label(light.value, "light")) for light in BudgetLight],
    )


def timeline(found: Timeline) -> str:
    kinds = {
        key.removeprefix("kind."): text
        for key, text in words.words()["views"]["review.waiting"]["columns"].items()
        if key.startswith("kind.")
    }
    return _page("timeline.html.j2", timeline=found, kinds=kinds)
