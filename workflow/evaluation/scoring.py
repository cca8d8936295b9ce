"""Score a 项目支出绩效自评表 by the national rules (财预〔2020〕10号), exactly, in Decimal.

Pure functions: no database, no Telegram. A table is the 预算执行率 row (weight 10) and the
indicator rows (90 in all). Scores stay exact; only `shown` rounds (half-up, 2 decimals),
and the grade is read from the total as shown, so what people read matches the grade.
Every scored row records the rule that produced it, so a later re-score can be explained.
Refusals raise `ScoringError`, whose message (templates/scoring.toml) names the row.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any

from storage.models.enums import Grade, IndicatorSign, QualitativeBand
from templates import TEMPLATES

EXECUTION_WEIGHT = Decimal(10)
INDICATORS_WEIGHT = Decimal(90)
TABLE_WEIGHT = EXECUTION_WEIGHT + INDICATORS_WEIGHT
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Share of the weight a 定性 score may take in each band, inclusive at both ends.
BAND_PERCENT: dict[QualitativeBand, tuple[Decimal, Decimal]] = {
    QualitativeBand.achieved: (Decimal(80), Decimal(100)),
    QualitativeBand.partly: (Decimal(50), Decimal(80)),
    QualitativeBand.not_achieved: (Decimal(0), Decimal(50)),
}
# Lowest total (as shown) of each grade, best first.
GRADE_FLOORS: tuple[tuple[Decimal, Grade], ...] = (
    (Decimal(90), Grade.excellent),
    (Decimal(80), Grade.good),
    (Decimal(60), Grade.average),
)


class Rule(StrEnum):
    """Which rule produced a row's score."""

    met = "met"  # target met: the full weight
    ratio = "ratio"  # ≥ / > (or = below target) not met: actual / target × w
    reverse_ratio = "reverse_ratio"  # ≤ / < (or = above target) not met: target / actual × w
    qualitative = "qualitative"  # 定性: the score picked inside its band
    execution_rate = "execution_rate"  # min(B / A, 1) × w
    not_applicable = "not_applicable"  # dropped; the total is rescaled


@lru_cache(maxsize=1)
def _texts() -> dict[str, Any]:
    return tomllib.loads((TEMPLATES / "scoring.toml").read_text(encoding="utf-8"))


def submitted_note(card: Scorecard) -> str:
    """The timeline's note of a submitted table: its total, grade and weights."""
    weights = sum((row.weight for row in card.rows[1:]), Decimal(0))
    execution = card.rows[0].shown if card.rows else None
    return str(_texts()["submitted_note"]).format(
        total=card.shown_total, grade=card.grade.value, execution=execution, weights=_plain(weights)
    )


def execution_row_name() -> str:
    """The 预算执行率 row's name as people read it."""
    return str(_texts()["execution_row"])


@lru_cache(maxsize=1)
def _band_words() -> dict[str, str]:
    # The one vocabulary (templates/vocabulary.toml) names the bands for every reader.
    words = tomllib.loads((TEMPLATES / "vocabulary.toml").read_text(encoding="utf-8"))
    return dict(words["qualitative_band"])


def band_name(band: QualitativeBand) -> str:
    """达成 / 部分达成 / 未达成."""
    return _band_words()[band.value]


def field_name(field: str) -> str:
    """A column's name as people read it (年度指标值, 实际完成值, ...)."""
    return str(_texts()["fields"][field])


class ScoringError(ValueError):
    """A row or a table cannot be scored; `message` says why in Chinese, naming the row."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        self.message = str(_texts()["errors"][code]).format(**params)
        super().__init__(self.message)


def shown(value: Decimal) -> Decimal:
    """A score as displayed: rounded half-up to 2 decimals."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    """A number without exponent or trailing zeros, for messages (`72`, `79.5`)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True, slots=True)
class IndicatorInput:
    """One indicator row of the 自评表 as the department fills it in."""

    name: str
    level1: str
    sign: IndicatorSign
    weight: Decimal
    target: Decimal | None = None  # 定量 only
    actual: Decimal | None = None  # 定量 only
    band: QualitativeBand | None = None  # 定性 only
    score: Decimal | None = None  # 定性 only: points picked inside the band
    applicable: bool = True


@dataclass(frozen=True, slots=True)
class ExecutionInput:
    """The 预算执行率 row: A = 全年预算数, B = 全年执行数."""

    budget: Decimal | None
    executed: Decimal | None
    weight: Decimal = EXECUTION_WEIGHT
    applicable: bool = True


@dataclass(frozen=True, slots=True)
class ScoredRow:
    """A row's exact score (None when not applicable) and the rule that produced it."""

    name: str
    weight: Decimal
    score: Decimal | None
    rule: Rule

    @property
    def applicable(self) -> bool:
        """Whether the row counts in the total."""
        return self.rule is not Rule.not_applicable

    @property
    def shown(self) -> Decimal | None:
        """The score as displayed (2 decimals, half-up)."""
        return None if self.score is None else shown(self.score)


@dataclass(frozen=True, slots=True)
class Scorecard:
    """A scored table: every row, the exact total, the total as shown, and its grade."""

    rows: tuple[ScoredRow, ...]
    total: Decimal
    shown_total: Decimal
    grade: Grade


def _capped(score: Decimal, weight: Decimal) -> Decimal:
    return min(max(score, Decimal(0)), weight)


def _required(row: str, field: str, value: Decimal | None) -> Decimal:
    """The value, refusing a missing or negative one."""
    if value is None:
        raise ScoringError("missing", row=row, field=field_name(field))
    if value < 0:
        raise ScoringError("negative", row=row, field=field_name(field), value=_plain(value))
    return value


def score_execution(row: ExecutionInput) -> ScoredRow:
    """预算执行率: min(B / A, 1) × w; A = 0 is refused (nothing to measure against)."""
    name = execution_row_name()
    weight = _required(name, "weight", row.weight)
    if not row.applicable:
        return ScoredRow(name, weight, None, Rule.not_applicable)
    budget = _required(name, "budget", row.budget)
    executed = _required(name, "executed", row.executed)
    if budget == 0:
        raise ScoringError("budget_zero", row=name)
    rate = min(executed / budget, Decimal(1))
    return ScoredRow(name, weight, _capped(rate * weight, weight), Rule.execution_rate)


def _met(sign: IndicatorSign, target: Decimal, actual: Decimal) -> bool:
    """Whether a 定量 target is met; an actual of 0 meets ≤ and <."""
    if sign is IndicatorSign.ge:
        return actual >= target
    if sign is IndicatorSign.gt:
        return actual > target
    if sign is IndicatorSign.eq:
        return actual == target
    if sign is IndicatorSign.le:
        return actual <= target
    return actual < target or actual == 0


def _quantitative(sign: IndicatorSign, target: Decimal, actual: Decimal) -> tuple[Rule, Decimal]:
    """The rule and the share of the weight earned (0 to 1) for a 定量 row."""
    if _met(sign, target, actual):
        return Rule.met, Decimal(1)
    below = sign in (IndicatorSign.ge, IndicatorSign.gt) or (
        sign is IndicatorSign.eq and actual < target
    )
    if below:
        # target 0 not met happens only for "> 0" with actual 0: nothing achieved.
        return Rule.ratio, (actual / target if target else Decimal(0))
    # Above a ≤ / < / = target: actual > 0 here, since an actual of 0 is met or below.
    return Rule.reverse_ratio, target / actual


def band_range(band: QualitativeBand, weight: Decimal) -> tuple[Decimal, Decimal]:
    """The lowest and highest score of a 定性 band for a weight, both allowed."""
    low, high = BAND_PERCENT[band]
    return weight * low / HUNDRED, weight * high / HUNDRED


def _qualitative(row: IndicatorInput, weight: Decimal) -> Decimal:
    """The picked score, refused (never clamped) when outside its band."""
    if row.band is None or row.score is None:
        raise ScoringError("missing_band", row=row.name)
    score = _required(row.name, "score", row.score)
    low, high = band_range(row.band, weight)
    if not low <= score <= high:
        percent_low, percent_high = BAND_PERCENT[row.band]
        raise ScoringError(
            "score_outside_band",
            row=row.name,
            band=band_name(row.band),
            low=_plain(low),
            high=_plain(high),
            weight=_plain(weight),
            low_percent=_plain(percent_low),
            high_percent=_plain(percent_high),
            score=_plain(score),
        )
    return score


def score_indicator(row: IndicatorInput) -> ScoredRow:
    """One indicator row by its sign, capped to 0 ≤ score ≤ w."""
    weight = _required(row.name, "weight", row.weight)
    if not row.applicable:
        return ScoredRow(row.name, weight, None, Rule.not_applicable)
    if row.sign is IndicatorSign.qualitative:
        score = _qualitative(row, weight)
        return ScoredRow(row.name, weight, _capped(score, weight), Rule.qualitative)
    if row.band is not None or row.score is not None:
        raise ScoringError("band_not_qualitative", row=row.name)
    target = _required(row.name, "target", row.target)
    actual = _required(row.name, "actual", row.actual)
    rule, share = _quantitative(row.sign, target, actual)
    return ScoredRow(row.name, weight, _capped(share * weight, weight), rule)


def check_weights(execution_weight: Decimal, indicator_weights: Sequence[Decimal]) -> None:
    """Refuse a table unless 预算执行率 weighs 10 and the indicators 90 (100 in all)."""
    indicators = sum(indicator_weights, Decimal(0))
    if execution_weight != EXECUTION_WEIGHT or indicators != INDICATORS_WEIGHT:
        raise ScoringError(
            "weights_total",
            execution=_plain(execution_weight),
            indicators=_plain(indicators),
            total=_plain(execution_weight + indicators),
        )


def grade_of(total: Decimal) -> Grade:
    """优 ≥ 90, 良 80–<90, 中 60–<80, 差 < 60, read on the total as shown."""
    displayed = shown(total)
    for floor, grade in GRADE_FLOORS:
        if displayed >= floor:
            return grade
    return Grade.poor


def total_of(rows: Sequence[ScoredRow]) -> Decimal:
    """Σ scores × 100 / Σ applicable weights: not-applicable rows dropped, the rest rescaled."""
    counted = [row for row in rows if row.score is not None]
    weights = sum((row.weight for row in counted), Decimal(0))
    if weights == 0:
        raise ScoringError("nothing_applicable")
    scores = sum((row.score for row in counted if row.score is not None), Decimal(0))
    return min(scores * HUNDRED / weights, HUNDRED)


def score_table(execution: ExecutionInput, indicators: Sequence[IndicatorInput]) -> Scorecard:
    """Score a whole 自评表: weights checked, every row scored, total rescaled and graded."""
    check_weights(execution.weight, [row.weight for row in indicators])
    rows = (score_execution(execution), *(score_indicator(row) for row in indicators))
    total = total_of(rows)
    return Scorecard(rows, total, shown(total), grade_of(total))
