"""The texts of forms (templates/forms/*.toml) and how answers read in a chat."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from bot.ui import vocabulary
from bot.ui.render import TEMPLATES, environment, render
from workflow.forms.spec import Choice, FieldSpec, Kind, Problem, decimal_text, grouped_text

if TYPE_CHECKING:
    from jinja2 import Template

FORMS = TEMPLATES / "forms"
TEXT_PREVIEW = 80  # characters of a long answer shown in summaries
# Catalogs kept outside templates/forms, by form name (forms registered at run time: tests).
EXTRA_CATALOGS: dict[str, Path] = {}


@lru_cache(maxsize=16)
def catalog(form: str) -> dict[str, Any]:
    """templates/forms/<form>.toml (a form without one shows its field names).

    A catalog may say `extends = "<other form>"`: it then holds only what differs (the goal
    adjustment form is the goal declaration form with a reason first).
    """
    path = EXTRA_CATALOGS.get(form, FORMS / f"{form}.toml")
    if not path.exists():
        return {"title": form}
    texts = tomllib.loads(path.read_text(encoding="utf-8"))
    base = texts.pop("extends", None)
    return _merged(catalog(base), texts) if base else texts


def _merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `changes` laid over it, tables merged key by key."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def common() -> dict[str, Any]:
    """templates/forms/common.toml."""
    return catalog("common")


@lru_cache(maxsize=2048)
def _compiled(source: str) -> Template:
    """A catalog string compiled once (compiling is most of what rendering one costs)."""
    return environment().from_string(source)


def jinja(source: str, **values: Any) -> Markup:
    """Render one catalog string (autoescaped) as safe HTML."""
    return Markup(_compiled(source).render(**values).strip())


def button(key: str, **values: Any) -> str:
    """A button label (plain text: Telegram does not parse button HTML)."""
    return _compiled(common()["buttons"][key]).render(**values).strip()


def field_texts(form: str, name: str, sub: str | None = None) -> Mapping[str, str]:
    """Label and prompt of a question (of sub-form `sub` when given)."""
    texts = catalog(form)
    if sub is None:
        return texts.get("fields", {}).get(name, {"label": name})
    return texts.get("subforms", {}).get(sub, {}).get("fields", {}).get(name, {"label": name})


def choice_names(form: str, name: str, sub: str | None = None) -> Mapping[str, str] | None:
    """How a question's choice values read: its own `choices` table, or the vocabulary
    section it names (`vocabulary = "qualitative_band"`), so a label is kept in one place."""
    texts = field_texts(form, name, sub)
    if "vocabulary" in texts:
        return vocabulary.labels(str(texts["vocabulary"]))
    return texts.get("choices")


def label(form: str, name: str, sub: str | None = None) -> str:
    """The short name of a question or sub-form."""
    if sub is None and name in catalog(form).get("subforms", {}):
        return catalog(form)["subforms"][name].get("label", name)
    return field_texts(form, name, sub).get("label", name)


def money(value: Decimal) -> str:
    """1200.5 → "1,200.5" (no trailing zeros, thousands grouped)."""
    return grouped_text(value)


def date(value: dt.date) -> str:
    """2026-03-01 → "2026年3月1日"."""
    return f"{value.year}年{value.month}月{value.day}日"


def shown(value: Any) -> str:
    """Any parameter of a problem message as people read it."""
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, dt.date):
        return date(value)
    return str(value)


def choice_label(
    value: Any, choices: Sequence[Choice], names: Mapping[str, str] | None = None
) -> str | None:
    """The label of a choice value: the catalog's name for it, else the Choice's own."""
    if names and str(value) in names:
        return names[str(value)]
    return next((c.label for c in choices if c.value == value and c.label), None)


def percent(value: Decimal) -> str:
    """0.8753 → "87.53%"."""
    return f"{decimal_text(value * 100)}%"


def size_text(size: int) -> str:
    """48 → "48 B"; 1536 → "1.5 KB"; 2_500_000 → "2.4 MB"."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def files_text(files: Sequence[Mapping[str, Any]]) -> str:
    """The files of an answer: "复函.pdf（1.5 KB）、现场照片.jpg（2.4 MB）"."""
    values = common()["values"]
    return values["joiner"].join(
        f"{entry.get('name', '')}（{size_text(int(entry.get('size') or 0))}）" for entry in files
    )


def display(
    spec: FieldSpec,
    value: Any,
    choices: Sequence[Choice] = (),
    *,
    full: bool = False,
    names: Mapping[str, str] | None = None,
) -> str:
    """An answer as people read it: labels for choices, 万元 amounts, Chinese dates.

    `names` are the catalog's labels of choice values (`[fields.<name>.choices]`).
    """
    values = common()["values"]
    if value is None:
        return values["empty"]
    if spec.kind is Kind.boolean:
        return values["true"] if value else values["false"]
    if spec.kind is Kind.files:
        return files_text(value) if value else values["no_files"]
    if spec.kind is Kind.choices:
        shown = (choice_label(one, choices, names) or str(one) for one in value)
        return values["joiner"].join(shown) if value else values["none_chosen"]
    named = choice_label(value, choices, names)
    if named:
        return named
    if spec.kind is Kind.percent:
        return percent(value)
    if spec.kind is Kind.money:
        return money(value)
    if spec.kind is Kind.number:
        return decimal_text(value)
    if spec.kind is Kind.date:
        return date(value)
    if spec.kind is Kind.names:
        return "、".join(value)
    text = str(value)
    if not full and len(text) > TEXT_PREVIEW:
        return text[:TEXT_PREVIEW] + "…"
    return text


def problem_text(form: str, problem: Problem | None) -> Markup | None:
    """Why an answer was refused, in a sentence."""
    if problem is None:
        return None
    params = {key: shown(value) for key, value in problem.params.items()}
    if "status" in problem.params:
        params["status"] = vocabulary.label(problem.params["status"], "project_status")
    problems = {**common()["problems"], **catalog(form).get("problems", {})}
    source = problems.get(problem.code, problems["not_now"])
    text = jinja(source, **params)
    if "row" in problem.params and problem.code != "row_incomplete":
        text = Markup(render("form_row_prefix", row=problem.params["row"])) + text
    return text
