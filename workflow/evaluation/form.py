"""The 项目支出绩效自评表 as a FormSpec (财预〔2020〕10号, DOMAIN §5): funds, the overall
goal, one fixed row per issued indicator, scored as it is filled.

Rows are copied from the issued goal version when the draft opens, with the weight declared
or proposed (`weights.propose_weights`); the weight is an answer like any other, so it can
be changed from the row. Every score, the total and the grade are computed by the scoring
engine after each answer, so what the department sees before submitting is exactly what
will be stored. A 定性 score outside its band, weights that do not make 90 with 预算执行率's
10, A = 0, B > A, and a reason missing where the notice asks for one are refused here with the
engine's own Chinese words. Texts: templates/forms/self_evaluation.toml.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from functools import partial
from typing import Any

from storage.models import FormDraft, IndicatorSign, QualitativeBand
from workflow.evaluation import scoring
from workflow.evaluation.scoring import (
    ExecutionInput,
    IndicatorInput,
    Rule,
    ScoredRow,
    ScoringError,
)
from workflow.forms.parsers import parse_measured, parse_money, parse_number, parse_text
from workflow.forms.spec import (
    META,
    Answers,
    Choice,
    FieldSpec,
    FormSpec,
    Kind,
    Problem,
    SubFormSpec,
)
from workflow.tracking.form import not_above_budget, not_negative, unit_matches

SELF_EVALUATION_FORM = "self_evaluation"
TEXT_LIMIT = 2000
EXECUTION_REASON_BELOW = Decimal("0.9")  # 执行率 < 90 % needs a reason (the 自评表's note)
_text = partial(parse_text, limit=TEXT_LIMIT)


def _qualitative(row: Answers) -> bool:
    return row.get("sign") == IndicatorSign.qualitative.value


def _applicable(row: Answers) -> bool:
    return row.get("applicable") is not False


def indicator_input(row: Answers) -> IndicatorInput | None:
    """The scoring engine's view of a row; None while it lacks what scoring needs."""
    weight = row.get("weight")
    if weight is None or not row.answered("applicable"):
        return None
    sign = IndicatorSign(row.get("sign"))
    common = {"name": row.get("name") or "", "level1": row.get("level1") or "", "sign": sign}
    if not _applicable(row):
        return IndicatorInput(weight=weight, applicable=False, **common)
    if _qualitative(row):
        band, score = row.get("band"), row.get("band_score")
        if band is None or score is None:
            return None
        return IndicatorInput(weight=weight, band=QualitativeBand(band), score=score, **common)
    if row.get("actual") is None:
        return None
    target, actual = row.get("target"), row.get("actual")
    return IndicatorInput(weight=weight, target=target, actual=actual, **common)


def scored(row: Answers) -> ScoredRow | None:
    """The row's score and rule, None while incomplete or not scorable."""
    given = indicator_input(row)
    if given is None:
        return None
    try:
        return scoring.score_indicator(given)
    except ScoringError:
        return None


def row_score(row: Answers) -> Decimal | None:
    """The row's score as shown (2 decimals); None while unknown or not applicable."""
    result = scored(row)
    return None if result is None else result.shown


def row_result(row: Answers) -> str | None:
    """达成 or not: the rule the engine used ("met", "ratio", …) while known."""
    result = scored(row)
    return None if result is None else result.rule.value


def not_met(row: Answers) -> bool:
    """偏差原因及改进措施 are asked for an applicable indicator not fully met."""
    result = scored(row)
    if result is None or not result.applicable:
        return False
    if result.rule is Rule.qualitative:
        return row.get("band") != QualitativeBand.achieved.value
    return result.rule is not Rule.met


def within_band(value: Decimal, row: Answers) -> Problem | None:
    """A 定性 score inside its band's range for the row's weight (refused, never clamped)."""
    band, weight = row.get("band"), row.get("weight")
    if band is None:  # only an upload can give a score before its band
        return Problem("evaluation_band_first")
    if weight is None:
        return None
    low, high = scoring.band_range(QualitativeBand(band), weight)
    if low <= value <= high:
        return None
    return Problem(
        "evaluation_outside_band",
        {"band": band, "low": scoring.shown(low), "high": scoring.shown(high)},
    )


def weight_range(value: Decimal, _row: Answers) -> Problem | None:
    return Problem("evaluation_weight_range") if not 0 <= value <= 90 else None


def measurable_budget(value: Decimal, _answers: Answers) -> Problem | None:
    """A = 0 leaves 执行率 unmeasurable: refused here, in the engine's words, not at submit."""
    try:
        scoring.score_execution(ExecutionInput(value, Decimal(0)))
    except ScoringError as error:
        return Problem("evaluation_scoring", {"message": error.message})
    return None


def execution_rate(answers: Answers) -> Decimal | None:
    budget, executed = answers.get("budget_full_year"), answers.get("executed")
    if budget is None or executed is None or budget == 0:
        return None
    return (executed / budget).quantize(Decimal("0.0001"))


def execution_score(answers: Answers) -> Decimal | None:
    budget, executed = answers.get("budget_full_year"), answers.get("executed")
    if budget is None or executed is None or budget == 0:
        return None
    return scoring.score_execution(ExecutionInput(budget, executed)).shown


def execution_low(answers: Answers) -> bool:
    rate = answers.get("rate")
    return rate is not None and rate < EXECUTION_REASON_BELOW


def _rows(answers: Answers) -> list[Answers]:
    return [
        Answers(INDICATORS.fields, row, answers.context, answers)
        for row in answers.data.get("indicators") or []
    ]


def scorecard(answers: Answers) -> scoring.Scorecard | None:
    """The whole table scored, None until every row and the funds are known and valid."""
    budget, executed = answers.get("budget_full_year"), answers.get("executed")
    inputs = [indicator_input(row) for row in _rows(answers)]
    if budget is None or executed is None or any(given is None for given in inputs):
        return None
    try:
        return scoring.score_table(ExecutionInput(budget, executed), inputs)  # type: ignore[arg-type]
    except ScoringError:
        return None


def total(answers: Answers) -> Decimal | None:
    card = scorecard(answers)
    return None if card is None else card.shown_total


def grade(answers: Answers) -> str | None:
    card = scorecard(answers)
    return None if card is None else card.grade.value


def weights_add_up(answers: Answers) -> Problem | None:
    """预算执行率 10 and the indicators 90: the engine's check, in its words."""
    weights = [row.get("weight") or Decimal(0) for row in _rows(answers)]
    try:
        scoring.check_weights(scoring.EXECUTION_WEIGHT, weights)
    except ScoringError as error:
        return Problem("evaluation_weights", {"message": error.message}, field="indicators")
    return None


def issued_rows(facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per issued indicator, keyed by its id, weight proposed, targets read-only."""
    return [dict(row) for row in facts.get("indicators", ())]


INDICATORS = SubFormSpec(
    "indicators",
    fields=(
        FieldSpec("level1", Kind.text, read_only=True),
        FieldSpec("level2", Kind.text, read_only=True),
        FieldSpec("name", Kind.text, read_only=True),
        FieldSpec("sign", Kind.text, read_only=True),
        FieldSpec("target", Kind.number, read_only=True),
        FieldSpec("target_text", Kind.text, read_only=True),
        FieldSpec("unit", Kind.text, read_only=True),
        FieldSpec("weight", Kind.number, parse_number, validators=(weight_range,)),
        FieldSpec(
            "applicable",
            Kind.boolean,
            choices=(Choice(True), Choice(False)),
        ),
        FieldSpec(
            "na_reason",
            Kind.text,
            _text,
            ask_if=lambda row: not _applicable(row),
        ),
        FieldSpec(
            "actual",
            Kind.number,
            parse_measured,
            ask_if=lambda row: _applicable(row) and not _qualitative(row),
            validators=(not_negative, unit_matches),
        ),
        FieldSpec(
            "actual_text",
            Kind.text,
            _text,
            ask_if=lambda row: _applicable(row) and _qualitative(row),
        ),
        FieldSpec(
            "band",
            Kind.choice,
            choices=tuple(Choice(band.value) for band in QualitativeBand),
            ask_if=lambda row: _applicable(row) and _qualitative(row),
            clears=("band_score",),
        ),
        FieldSpec(
            "band_score",
            Kind.number,
            parse_number,
            ask_if=lambda row: _applicable(row) and _qualitative(row),
            validators=(within_band,),
        ),
        FieldSpec("result", Kind.choice, compute=row_result),
        FieldSpec("score", Kind.number, compute=row_score),
        FieldSpec(
            "deviation",
            Kind.text,
            _text,
            optional=True,
            ask_if=not_met,
            required_when=not_met,
            required_reason="evaluation_deviation_required",
        ),
    ),
    validators=(lambda rows, parent: weights_add_up(parent),),
    fixed_rows=issued_rows,
)


async def evaluation_context(
    _session: Any, _person_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """What prompts and rules need: the project and its issued indicators."""
    return dict(data.get(META) or {})


async def submit_self_evaluation(
    session: Any,
    *,
    person_id: int,
    draft: FormDraft,
    answers: Answers,
    now: dt.datetime,
    **_: Any,
) -> Any:
    """Write the self-evaluation and its scored rows, then hand it to the review machine."""
    from workflow.evaluation.submission import submit_evaluation  # the records, beside the form

    return await submit_evaluation(
        session, person_id=person_id, draft=draft, answers=answers, form=FORM, now=now
    )


FORM = FormSpec(
    SELF_EVALUATION_FORM,
    entries=(
        FieldSpec("budget_initial", Kind.money, read_only=True),
        FieldSpec(
            "budget_full_year",
            Kind.money,
            parse_money,
            validators=(not_negative, measurable_budget),
        ),
        FieldSpec("executed", Kind.money, parse_money, validators=(not_above_budget,)),
        FieldSpec("rate", Kind.percent, compute=execution_rate),
        FieldSpec("execution_score", Kind.number, compute=execution_score),
        FieldSpec(
            "execution_reason",
            Kind.text,
            _text,
            optional=True,
            ask_if=execution_low,
            required_when=execution_low,
            required_reason="evaluation_execution_reason",
        ),
        FieldSpec("overall_expected", Kind.text, read_only=True),
        FieldSpec("overall_achieved", Kind.text, _text),
        INDICATORS,
        FieldSpec("total", Kind.number, compute=total),
        FieldSpec("grade", Kind.choice, compute=grade),
        FieldSpec("problems", Kind.text, _text),
        FieldSpec("measures", Kind.text, _text),
    ),
    validators=(weights_add_up,),
    load_context=evaluation_context,
    context_reads=(),
    submit=submit_self_evaluation,
)
