"""The 绩效跟踪表 as a FormSpec: the budget block, then one fixed row per issued indicator.

DOMAIN §4. The rows are copied from the issued goal version when the draft opens (targets
read-only); 执行率 and the lights are computed as answers arrive (workflow.tracking.lights),
and a red or yellow light, or a 完成可能性 other than 确定能, makes the reason and the
measures required. The draft remembers its report (`subject_id`) and the bureau's yellow
band (`_meta`), so a restart resumes with the same rules. Texts:
templates/forms/tracking_report.toml.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    FormDraft,
    Indicator,
    IndicatorSign,
    Likelihood,
    Project,
    ReportStatus,
    TrackingProgress,
    TrackingReport,
)
from workflow.core.access import Action, Actor
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult
from workflow.forms.parsers import parse_measured, parse_money, parse_text
from workflow.forms.spec import (
    META,
    ROW_KEY,
    Answers,
    Choice,
    Context,
    Data,
    FieldSpec,
    FormSpec,
    Kind,
    Problem,
    SubFormSpec,
    decimal_text,
)
from workflow.review import edit_lock
from workflow.review.edit_lock import Taken
from workflow.tracking import lights
from workflow.tracking.review_kind import TRACKING
from workflow.tracking.tasks import FILLABLE, authorized_report

TRACKING_FORM = "tracking_report"
CAUSES = ("funds", "rules", "staff", "hardware", "other")  # 经费/制度/人员/硬件条件保障, 其他
TEXT_LIMIT = 2000


def _points(answers: Answers) -> Decimal:
    return Decimal(str((answers.context or {}).get("yellow_points", lights.DEFAULT_YELLOW_POINTS)))


def _root(answers: Answers) -> Answers:
    return answers.parent or answers


def execution_rate(answers: Answers) -> Decimal | None:
    """执行率 B/A to a hundredth of a percent; None until both are known (or A = 0)."""
    budget, executed = answers.get("budget_full_year"), answers.get("executed")
    if budget is None or executed is None or budget == 0:
        return None
    return (executed / budget).quantize(Decimal("0.0001"))


def budget_light(answers: Answers) -> str | None:
    """The budget light against the time share 0.75 (green / yellow within the band / red)."""
    budget, executed = answers.get("budget_full_year"), answers.get("executed")
    if budget is None or executed is None:
        return None
    return lights.budget_light(budget, executed, yellow_points=_points(answers)).value


def not_above_budget(value: Decimal, answers: Answers) -> Problem | None:
    """Execution (so far or expected) cannot exceed the full-year budget A."""
    if value < 0:
        return Problem("tracking_negative")
    budget = answers.get("budget_full_year")
    if budget is not None and value > budget:
        return Problem("tracking_above_budget", {"budget": format(budget, "f")})
    return None


def not_negative(value: Decimal, answers: Answers) -> Problem | None:
    """Budgets are never negative."""
    del answers
    return Problem("tracking_negative") if value < 0 else None


def unit_matches(value: Decimal, answers: Answers) -> Problem | None:
    """A unit typed with the number ("300人次") must be the indicator's own."""
    typed = getattr(value, "unit", "")
    unit = unicodedata.normalize("NFKC", answers.get("unit") or "").strip()
    if not typed or typed.replace(" ", "") == unit.replace(" ", ""):
        return None
    return Problem("tracking_wrong_unit", {"typed": typed, "unit": unit or "—"})


def light_not_green(answers: Answers) -> bool:
    return answers.get("light") in ("yellow", "red")


def _qualitative(row: Answers) -> bool:
    return row.get("sign") == IndicatorSign.qualitative.value


def indicator_light(row: Answers) -> str | None:
    """A 定量 row by its value so far against the target; a 定性 row by 完成可能性."""
    if _qualitative(row):
        likelihood = row.get("likelihood")
        return lights.qualitative_light(Likelihood(likelihood)).value if likelihood else None
    actual, target = row.get("actual"), row.get("target")
    if actual is None or target is None:
        return None
    sign = IndicatorSign(row.get("sign"))
    return lights.quantitative_light(sign, target, actual, yellow_points=_points(row)).light.value


def reason_needed(row: Answers) -> bool:
    """偏差原因 and 改进措施 are required for a red or yellow light, or when not 确定能."""
    light, likelihood = row.get("light"), row.get("likelihood")
    if light is None:
        return likelihood not in (None, Likelihood.certain.value)
    return lights.reason_required(
        lights.BudgetLight(light), Likelihood(likelihood) if likelihood else None
    )


def other_chosen(row: Answers) -> bool:
    return "other" in (row.get("causes") or [])


def issued_rows(facts: Context) -> list[Data]:
    """One row per issued indicator, keyed by its id, target read-only."""
    return [dict(row) for row in facts.get("indicators", ())]


_text = partial(parse_text, limit=TEXT_LIMIT)

INDICATORS = SubFormSpec(
    "indicators",
    fields=(
        FieldSpec("level1", Kind.text, read_only=True),
        FieldSpec("name", Kind.text, read_only=True),
        FieldSpec("sign", Kind.text, read_only=True),
        FieldSpec("target", Kind.number, read_only=True),
        FieldSpec("target_text", Kind.text, read_only=True),
        FieldSpec("unit", Kind.text, read_only=True),
        FieldSpec(
            "actual",
            Kind.number,
            parse_measured,
            ask_if=lambda row: not _qualitative(row),
            validators=(not_negative, unit_matches),
        ),
        FieldSpec("actual_text", Kind.text, _text, ask_if=_qualitative),
        FieldSpec("expected_completion", Kind.text, _text),
        FieldSpec(
            "likelihood",
            Kind.choice,
            choices=tuple(Choice(value.value, value.value) for value in Likelihood),
        ),
        FieldSpec("light", Kind.choice, compute=indicator_light),
        FieldSpec(
            "causes",
            Kind.choices,
            choices=tuple(Choice(cause, cause) for cause in CAUSES),
            optional=True,
            ask_if=reason_needed,
            required_when=reason_needed,
            required_reason="tracking_reason_required",
        ),
        FieldSpec(
            "explanation",
            Kind.text,
            _text,
            optional=True,
            ask_if=other_chosen,
            required_when=other_chosen,
            required_reason="tracking_explain_other",
        ),
        FieldSpec(
            "measures",
            Kind.text,
            _text,
            optional=True,
            ask_if=reason_needed,
            required_when=reason_needed,
            required_reason="tracking_reason_required",
        ),
    ),
    fixed_rows=issued_rows,
)


async def tracking_context(
    session: AsyncSession, person_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """What the prompts and rules need: the project, the yellow band, the issued indicators."""
    del session, person_id
    return dict(data.get(META) or {})


async def submit_tracking(
    session: AsyncSession,
    *,
    person_id: int,
    draft: FormDraft,
    answers: Answers,
    now: dt.datetime,
    **_: Any,
) -> Any:
    """Write the report and its progress rows, then hand it to the review machine."""
    from workflow.tracking.submission import submit_report  # the records, beside the form

    return await submit_report(
        session, person_id=person_id, draft=draft, answers=answers, form=FORM, now=now
    )


FORM = FormSpec(
    TRACKING_FORM,
    entries=(
        FieldSpec("budget_initial", Kind.money, read_only=True),
        FieldSpec("budget_full_year", Kind.money, parse_money, validators=(not_negative,)),
        FieldSpec("executed", Kind.money, parse_money, validators=(not_above_budget,)),
        FieldSpec("rate", Kind.percent, compute=execution_rate),
        FieldSpec("light", Kind.choice, compute=budget_light),
        FieldSpec("expected_full_year", Kind.money, parse_money, validators=(not_above_budget,)),
        FieldSpec(
            "light_reason",
            Kind.text,
            _text,
            optional=True,
            required_when=light_not_green,
            required_reason="tracking_budget_reason",
        ),
        INDICATORS,
    ),
    load_context=tracking_context,
    context_reads=(),
    submit=submit_tracking,
)


def _text_of(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


async def _previous_answers(
    session: AsyncSession, report: TrackingReport, indicators: list[Indicator]
) -> Data:
    """A returned report's answers, so its correction starts from them (nothing retyped)."""
    if report.status != ReportStatus.returned.value:
        return {}
    progress = {
        row.indicator_id: row
        for row in await session.scalars(
            select(TrackingProgress).where(TrackingProgress.tracking_report_id == report.id)
        )
    }
    rows = []
    for indicator in indicators:
        row = _indicator_row(indicator)
        given = progress.get(indicator.id or 0)
        if given is not None:
            row |= {
                "actual": _text_of(given.actual_value),
                "actual_text": given.actual_text,
                "expected_completion": given.expected_completion,
                "likelihood": given.likelihood,
                "causes": given.deviation_causes.split(",") if given.deviation_causes else None,
                "explanation": given.deviation_explanation,
                "measures": given.measures,
            }
        rows.append(row)
    return {
        "budget_full_year": _text_of(report.budget_full_year),
        "executed": _text_of(report.executed_to_date),
        "expected_full_year": _text_of(report.expected_full_year),
        "light_reason": report.light_reason,
        "indicators": rows,
    }


def _indicator_row(indicator: Indicator) -> Data:
    qualitative = indicator.sign == IndicatorSign.qualitative.value
    return {
        ROW_KEY: indicator.id,
        "level1": indicator.level1,
        "name": indicator.name,
        "sign": indicator.sign,
        "target": None if qualitative else format(indicator.target_value or 0, "f"),
        "target_text": indicator.target_text if qualitative else None,
        "unit": indicator.unit,
    }


@dataclass(frozen=True, slots=True)
class TrackingStart:
    """What a tracking draft opens with: the report's facts and any previous answers."""

    report_id: int
    project: str
    year: int
    initial: Data


async def tracking_start(
    session: AsyncSession, *, actor: Actor, report_id: int, yellow_points: Decimal
) -> TrackingStart | Problem:
    """Who may fill which report, and what its draft (or its template) starts from."""
    report = await authorized_report(session, actor, report_id, Action.FILL_TRACKING)
    if report.status not in FILLABLE:
        return Problem("tracking_not_fillable", {"status": report.status})
    project = await session.get(Project, report.project_id)
    assert project is not None
    indicators = list(
        await session.scalars(
            select(Indicator)
            .where(Indicator.goal_version_id == report.goal_version_id)
            .order_by(Indicator.position, Indicator.id)
        )
    )
    previous = await _previous_answers(session, report, indicators)
    initial = {
        **previous,
        META: {
            "report_id": report_id,
            "project": project.name,
            "report_version": report.version,
            "yellow_points": str(yellow_points),
            "indicators": [_indicator_row(indicator) for indicator in indicators],
        },
        "budget_initial": None
        if report.budget_initial is None
        else format(report.budget_initial, "f"),
    }
    return TrackingStart(report_id, project.name, project.year, initial)


async def start_tracking_form(
    db: Database,
    *,
    actor: Actor,
    report_id: int,
    yellow_points: Decimal,
    now: dt.datetime,
    take_over: bool = False,
) -> DraftResult | Problem | Taken:
    """填报 pressed: check who and which report, take the edit of a returned one (or say who
    holds it), then open the form at its first question."""
    async with db.transaction() as session:
        start = await tracking_start(
            session, actor=actor, report_id=report_id, yellow_points=yellow_points
        )
    if isinstance(start, Problem):
        return start
    taken = await edit_lock.take_returned(
        db, actor=actor, kind=TRACKING, item_id=report_id, now=now, take_over=take_over
    )
    if taken.held is not None:
        return taken
    assert actor.person_id is not None
    return await drafts.start_draft(
        db,
        person_id=actor.person_id,
        form_name=TRACKING_FORM,
        now=now,
        subject_type="tracking_report",
        subject_id=report_id,
        initial=start.initial,
    )
