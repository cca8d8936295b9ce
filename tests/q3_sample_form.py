"""A test-only form in the shape of the Q3 tracking form: every newer form-engine feature.

Fixed rows copied from the context (one per issued indicator, keyed by its id), read-only
targets, computed 执行率 and light, required_when (a yellow or red light needs a reason;
"其他" needs an explanation), and a multi-select of deviation reasons. Tests register it
with `register` (the registry maps form names to modules; this module is one).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.conversations import form_text
from workflow.forms.parsers import parse_money, parse_number, parse_text
from workflow.forms.registry import FORM_MODULES
from workflow.forms.spec import (
    ROW_KEY,
    Answers,
    Choice,
    Context,
    Data,
    FieldSpec,
    FormSpec,
    Kind,
    SubFormSpec,
)

NAME = "q3_sample"
CATALOG = Path(__file__).parent / "forms" / f"{NAME}.toml"
ISSUED = [
    {"id": 41, "name": "培训人次", "sign": "≥", "target": "1000", "unit": "人次"},
    {"id": 42, "name": "结业率", "sign": "≥", "target": "90", "unit": "%"},
]
REASONS = ("经费保障", "制度保障", "人员保障", "硬件条件保障", "其他")


def register(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make this form (and its texts) known for one test."""
    monkeypatch.setitem(FORM_MODULES, NAME, __name__)
    monkeypatch.setitem(form_text.EXTRA_CATALOGS, NAME, CATALOG)


async def load_context(session: Any, person_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    return context()


def context() -> dict[str, Any]:
    """The issued goal's indicators and the share of the year gone (0.75 after Q3)."""
    return {"indicators": ISSUED, "share": Decimal("0.75"), "band": Decimal("0.10")}


def issued_rows(facts: Context) -> list[Data]:
    return [
        {ROW_KEY: i["id"], "name": i["name"], "sign": i["sign"], "target": i["target"]}
        | {"unit": i["unit"]}
        for i in facts["indicators"]
    ]


def execution_rate(answers: Answers) -> Decimal | None:
    """执行率 B/A, to a hundredth of a percent."""
    budget, spent = answers.get("budget"), answers.get("spent")
    if budget is None or spent is None or budget == 0:
        return None
    return (spent / budget).quantize(Decimal("0.0001"))


def budget_light(answers: Answers) -> str | None:
    """Green at or above the time share, yellow within the band below it, red beyond."""
    rate = answers.get("rate")
    if rate is None:
        return None
    share = answers.context["share"]
    if rate >= share:
        return "green"
    return "yellow" if rate >= share - answers.context["band"] else "red"


def achieved(row: Answers) -> Decimal | None:
    """实际完成值 as a share of the target."""
    actual, target = row.get("actual"), row.get("target")
    return None if actual is None else (actual / target).quantize(Decimal("0.0001"))


def light_not_green(answers: Answers) -> bool:
    return answers.get("light") in ("yellow", "red")


def not_certain(row: Answers) -> bool:
    return row.get("likelihood") not in (None, "确定能")


def other_chosen(row: Answers) -> bool:
    return "其他" in (row.get("reasons") or [])


INDICATORS = SubFormSpec(
    "indicators",
    fields=(
        FieldSpec("name", Kind.text, read_only=True),
        FieldSpec("sign", Kind.text, read_only=True),
        FieldSpec("target", Kind.number, read_only=True),
        FieldSpec("unit", Kind.text, read_only=True),
        FieldSpec("actual", Kind.number, parse_number),
        FieldSpec("achieved", Kind.percent, compute=achieved),
        FieldSpec(
            "likelihood", Kind.choice, choices=tuple(Choice(v, v) for v in ("确定能", "有可能"))
        ),
        FieldSpec(
            "reasons",
            Kind.choices,
            choices=tuple(Choice(reason, reason) for reason in REASONS),
            optional=True,
            required_when=not_certain,
            required_reason="reason_when_uncertain",
            max_count=3,
        ),
        FieldSpec(
            "other_reason",
            Kind.text,
            parse_text,
            optional=True,
            ask_if=lambda row: bool(row.get("reasons")),
            required_when=other_chosen,
            required_reason="explain_other",
        ),
    ),
    fixed_rows=issued_rows,
)

FORM = FormSpec(
    NAME,
    entries=(
        FieldSpec("budget", Kind.money, parse_money),
        FieldSpec("spent", Kind.money, parse_money),
        FieldSpec("rate", Kind.percent, compute=execution_rate),
        FieldSpec("light", Kind.choice, compute=budget_light),
        FieldSpec(
            "budget_reason",
            Kind.text,
            parse_text,
            optional=True,
            required_when=light_not_green,
            required_reason="reason_for_light",
        ),
        INDICATORS,
    ),
    load_context=load_context,
)
