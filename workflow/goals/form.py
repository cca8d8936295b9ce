"""The 项目支出绩效目标申报表 as a FormSpec: header, funds, goals, schedule, indicators.

Field texts (labels, prompts) live in templates/forms/goal_declaration.toml; the choices
here are domain vocabulary (新增/延续, the indicator tree, signs and grades). The context
(`workflow.goals.declaration.load_goal_context`) brings what the choices and checks need from the
database: the person's organisations, budget years, last year's projects, department
names, names already used.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from storage.models.enums import IndicatorSign, ProjectAttribute
from workflow.forms.parsers import (
    parse_date,
    parse_money,
    parse_name,
    parse_name_list,
    parse_number,
    parse_phone,
    parse_text,
    parse_unit,
    parse_weight,
    parse_year,
    parse_yes_no,
)
from workflow.forms.spec import (
    Answers,
    Choice,
    Data,
    FieldSpec,
    FormSpec,
    Kind,
    Problem,
    SubFormSpec,
    decimal_text,
    grouped_text,
)
from workflow.goals.context import GOAL_CONTEXT_READS, load_goal_context
from workflow.goals.declaration import submit_from_draft
from workflow.goals.indicator_tree import tree

NAME = "goal_declaration"
YES_NO = (Choice(True), Choice(False))
QUALITATIVE = IndicatorSign.qualitative.value
SIGNS = tuple(Choice(sign.value, sign.value) for sign in IndicatorSign)
GRADES = tuple(Choice(grade, grade) for grade in ("优", "良", "中", "差", "达成"))
UNITS = tuple(Choice(unit, unit) for unit in ("%", "人次", "个", "次", "天", "万元", "项", "人"))


# --- checks -------------------------------------------------------------------------------


def _year_open(year: int, answers: Answers) -> Problem | None:
    configured = answers.context.get("configured_years") or []
    offered = answers.context.get("year_choices") or []
    years = "、".join(str(y) for y in offered)
    if year in (answers.context.get("issued_years") or []):
        return Problem("year_issued", {"year": year, "years": years})
    if configured and year not in configured and year not in offered:
        return Problem("year_not_open", {"years": years})
    return None


def _name_free(name: str, answers: Answers) -> Problem | None:
    if name in (answers.context.get("taken_names") or []):
        return Problem("project_name_taken", {"name": name})
    return None


def _ends_after_start(end: Any, answers: Answers) -> Problem | None:
    start = answers.get("start_date")
    if start is not None and end < start:
        return Problem("end_before_start", {"start": start})
    return None


def _ends_in_or_after_year(end: Any, answers: Answers) -> Problem | None:
    year = answers.get("year")
    if year is not None and end.year < year:
        return Problem("ends_before_year", {"year": year})
    return None


def _positive(value: Decimal, _answers: Answers) -> Problem | None:
    return Problem("must_be_positive") if value <= 0 else None


def _parts(answers: Answers, *names: str) -> Decimal:
    return sum((answers.get(name) or Decimal(0) for name in names), Decimal(0))


def _within_total(*earlier: str) -> Any:
    """The part plus the parts asked before it may not exceed the total."""

    def check(value: Decimal, answers: Answers) -> Problem | None:
        total = answers.get("funds_total")
        if total is not None and _parts(answers, *earlier) + value > total:
            return Problem("parts_exceed_total", {"total": total})
        return None

    return check


def _breakdown_adds_up(other: Decimal, answers: Answers) -> Problem | None:
    total = answers.get("funds_total")
    parts = _parts(answers, "funds_fiscal", "funds_carryover") + other
    if total is not None and parts != total:
        return Problem("breakdown_mismatch", {"parts": parts, "total": total})
    return None


def _annual_within_total(annual: Decimal, answers: Answers) -> Problem | None:
    total = answers.get("funds_total")
    if total is not None and annual > total:
        return Problem("annual_exceeds_total", {"total": total})
    return None


def _known_departments(names: list[str], answers: Answers) -> Problem | None:
    own = answers.context.get("own_department_name")
    if own in names:
        return Problem("own_department", {"name": own})
    departments = answers.context.get("departments", [])
    known = {d["name"] for d in departments} | {d["code"] for d in departments}
    unknown = [name for name in names if name not in known]
    if unknown:
        return Problem("unknown_department", {"names": "、".join(unknown)})
    return None


def _row_ends_after_start(end: Any, row: Answers) -> Problem | None:
    start = row.get("start")
    return Problem("end_before_start", {"start": start}) if start and end < start else None


def _row_ends_with_project(end: Any, row: Answers) -> Problem | None:
    """A schedule row may not end after the project does."""
    project_end = row.parent.get("end_date") if row.parent is not None else None
    if project_end is not None and end > project_end:
        return Problem("row_after_project_end", {"end": project_end})
    return None


def _levels_in_tree(row: Answers) -> Problem | None:
    current = tree(row.context.get("tree_version"))
    if not current.contains(row.get("level1"), row.get("level2")):
        return Problem(
            "level_not_in_tree", {"level1": row.get("level1"), "level2": row.get("level2")}
        )
    return None


def _each_required_level(rows: list[Answers], parent: Answers) -> Problem | None:
    present = {row.get("level1") for row in rows}
    missing = [
        name for name in tree(parent.context.get("tree_version")).required if name not in present
    ]
    return Problem("indicator_levels_missing", {"levels": "、".join(missing)}) if missing else None


def _weights_within_100(rows: list[Answers], _parent: Answers) -> Problem | None:
    total = sum((row.get("weight") or Decimal(0) for row in rows), Decimal(0))
    return Problem("weights_over_100", {"total": total}) if total > 100 else None


# --- choices and when to ask --------------------------------------------------------------


def _years(answers: Answers) -> list[Choice]:
    return [Choice(year, str(year)) for year in answers.context.get("year_choices", [])]


def _organisations(answers: Answers) -> list[Choice]:
    return [Choice(o["id"], o["name"]) for o in answers.context.get("organisations", [])]


def _previous_projects(answers: Answers) -> list[Choice]:
    return [Choice(p["id"], p["name"]) for p in answers.context.get("previous_projects", [])]


def _last_year_name(answers: Answers) -> list[Choice]:
    predecessor = answers.context.get("predecessor")
    return [Choice(predecessor["name"], predecessor["name"])] if predecessor else []


def _remainder(answers: Answers) -> list[Choice]:
    total = answers.get("funds_total")
    if total is None:
        return []
    rest = Decimal(decimal_text(total - _parts(answers, "funds_fiscal", "funds_carryover")))
    return [Choice(rest, grouped_text(rest))] if rest >= 0 else []


def _annual_is_total(answers: Answers) -> list[Choice]:
    total = answers.get("funds_total")
    return [Choice(total, grouped_text(total))] if total is not None else []


def _level1(row: Answers) -> list[Choice]:
    return [Choice(name, name) for name in tree(row.context.get("tree_version")).level1()]


def _level2(row: Answers) -> list[Choice]:
    names = tree(row.context.get("tree_version")).level2(row.get("level1"))
    return [Choice(name, name) for name in names]


def _several_organisations(answers: Answers) -> bool:
    return len(answers.context.get("organisations", [])) > 1


def _continuing_with_history(answers: Answers) -> bool:
    return answers.get("attribute") == ProjectAttribute.continuing.value and bool(
        answers.context.get("previous_projects")
    )


def _has_predecessor(answers: Answers) -> bool:
    # Decided on the answers alone: the context describing last year is loaded from them,
    # after this question's predecessor is answered.
    return answers.get("predecessor") is not None


def _quantitative(row: Answers) -> bool:
    return row.get("sign") not in (None, QUALITATIVE)


def _qualitative(row: Answers) -> bool:
    return row.get("sign") == QUALITATIVE


# --- derived answers ----------------------------------------------------------------------


def _copy_indicators(copy: bool, data: Data, answers: Answers) -> Data:
    """Start from last year's indicators (only into an empty indicator list)."""
    predecessor = answers.context.get("predecessor") or {}
    if copy and not data.get("indicators"):
        data["indicators"] = [dict(row) for row in predecessor.get("indicators", [])]
    return data


def _canonical_departments(names: Sequence[str], data: Data, answers: Answers) -> Data:
    """Department codes typed by the person become department names."""
    by_code = {d["code"]: d["name"] for d in answers.context.get("departments", [])}
    data["codepartments"] = list(dict.fromkeys(by_code.get(name, name) for name in names))
    return data


def prefill(context: Any) -> Data:
    """The answers known before asking: the organisation when the person has only one."""
    organisations = context.get("organisations", [])
    return {"organisation": organisations[0]["id"]} if len(organisations) == 1 else {}


# --- the form -----------------------------------------------------------------------------

SCHEDULE = SubFormSpec(
    "schedule",
    fields=(
        FieldSpec("content", Kind.text, partial(parse_text, limit=500)),
        FieldSpec("start", Kind.date, parse_date),
        FieldSpec(
            "end", Kind.date, parse_date, validators=(_row_ends_after_start, _row_ends_with_project)
        ),
    ),
    min_items=1,
    max_items=30,
)

INDICATORS = SubFormSpec(
    "indicators",
    fields=(
        FieldSpec("level1", Kind.choice, choices=_level1, clears=("level2",)),
        FieldSpec("level2", Kind.choice, choices=_level2),
        FieldSpec("name", Kind.text, parse_name),
        FieldSpec(
            "sign", Kind.choice, choices=SIGNS, clears=("target_value", "unit", "target_text")
        ),
        FieldSpec("target_value", Kind.number, parse_number, ask_if=_quantitative),
        FieldSpec("unit", Kind.text, parse_unit, choices=UNITS, ask_if=_quantitative),
        FieldSpec(
            "target_text",
            Kind.text,
            partial(parse_name, limit=50),
            choices=GRADES,
            ask_if=_qualitative,
        ),
        FieldSpec("weight", Kind.number, parse_weight, optional=True),
    ),
    min_items=3,
    max_items=60,
    validators=(_each_required_level, _weights_within_100),
    row_validators=(_levels_in_tree,),
)

FORM = FormSpec(
    NAME,
    entries=(
        FieldSpec(
            "year",
            Kind.integer,
            parse_year,
            choices=_years,
            validators=(_year_open,),
            clears=("predecessor", "copy_last_year"),
        ),
        FieldSpec(
            "organisation",
            Kind.choice,
            choices=_organisations,
            ask_if=_several_organisations,
            clears=("predecessor", "copy_last_year"),
        ),
        FieldSpec(
            "attribute",
            Kind.choice,
            choices=(
                Choice(ProjectAttribute.new.value, "新增"),
                Choice(ProjectAttribute.continuing.value, "延续"),
            ),
            clears=("predecessor", "copy_last_year"),
        ),
        FieldSpec(
            "predecessor",
            Kind.choice,
            choices=_previous_projects,
            optional=True,
            ask_if=_continuing_with_history,
            clears=("copy_last_year",),
        ),
        FieldSpec(
            "copy_last_year",
            Kind.boolean,
            parse_yes_no,
            choices=YES_NO,
            ask_if=_has_predecessor,
            on_answer=_copy_indicators,
        ),
        FieldSpec("name", Kind.text, parse_name, choices=_last_year_name, validators=(_name_free,)),
        FieldSpec("person_in_charge", Kind.text, partial(parse_name, limit=100)),
        FieldSpec("phone", Kind.text, parse_phone),
        FieldSpec("start_date", Kind.date, parse_date),
        FieldSpec(
            "end_date",
            Kind.date,
            parse_date,
            validators=(_ends_after_start, _ends_in_or_after_year),
        ),
        FieldSpec("funds_total", Kind.money, parse_money, validators=(_positive,)),
        FieldSpec("funds_fiscal", Kind.money, parse_money, validators=(_within_total(),)),
        FieldSpec(
            "funds_carryover", Kind.money, parse_money, validators=(_within_total("funds_fiscal"),)
        ),
        FieldSpec(
            "funds_other",
            Kind.money,
            parse_money,
            choices=_remainder,
            validators=(_breakdown_adds_up,),
        ),
        FieldSpec(
            "annual_amount",
            Kind.money,
            parse_money,
            choices=_annual_is_total,
            validators=(_positive, _annual_within_total),
        ),
        FieldSpec("overall_goal", Kind.text, parse_text),
        FieldSpec("annual_goal", Kind.text, parse_text),
        SCHEDULE,
        FieldSpec("basis", Kind.text, parse_text),
        FieldSpec("is_key", Kind.boolean, parse_yes_no, choices=YES_NO),
        FieldSpec(
            "is_shared", Kind.boolean, parse_yes_no, choices=YES_NO, clears=("codepartments",)
        ),
        FieldSpec(
            "codepartments",
            Kind.names,
            parse_name_list,
            ask_if=lambda a: a.get("is_shared") is True,
            validators=(_known_departments,),
            on_answer=_canonical_departments,
        ),
        INDICATORS,
    ),
    load_context=load_goal_context,
    context_reads=GOAL_CONTEXT_READS,
    prefill=prefill,
    submit=submit_from_draft,
)
