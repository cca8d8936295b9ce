"""Self-evaluation scoring (财预〔2020〕10号): worked examples for every rule, and properties.

Every expected value is computed by hand in the test from the rule it checks.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.models.enums import Grade
from storage.models.enums import IndicatorSign as Sign
from storage.models.enums import QualitativeBand as Band
from workflow.evaluation.scoring import (
    ExecutionInput,
    IndicatorInput,
    Rule,
    ScoringError,
    grade_of,
    score_execution,
    score_indicator,
    score_table,
    shown,
)
from workflow.evaluation.weights import propose_weights


def quantitative(sign: Sign, target: str, actual: str, weight: str = "20") -> IndicatorInput:
    return IndicatorInput("培训人次", "产出", sign, D(weight), target=D(target), actual=D(actual))


def qualitative(band: Band, score: str, weight: str = "10") -> IndicatorInput:
    return IndicatorInput(
        "群众满意", "满意度", Sign.qualitative, D(weight), band=band, score=D(score)
    )


def scored(row: IndicatorInput) -> tuple[D | None, Rule]:
    result = score_indicator(row)
    return result.score, result.rule


# --- 预算执行率 ---------------------------------------------------------------------------


def test_execution_rate_scores_its_share_of_ten() -> None:
    row = score_execution(ExecutionInput(budget=D(200), executed=D(150)))
    assert row.score == D(150) / D(200) * 10 == D("7.5")
    assert row.rule is Rule.execution_rate
    assert row.name == "预算执行率"


def test_execution_above_budget_is_capped_at_ten() -> None:
    assert score_execution(ExecutionInput(D(100), D(130))).score == D(10)


def test_a_zero_budget_is_refused_with_a_reason() -> None:
    with pytest.raises(ScoringError) as refused:
        score_execution(ExecutionInput(D(0), D(5)))
    assert refused.value.message.startswith("预算执行率：全年预算数为 0")


# --- 定量 indicators, every sign ---------------------------------------------------------


@pytest.mark.parametrize(
    ("sign", "target", "actual", "expected", "rule"),
    [
        (Sign.ge, "100", "120", D(20), Rule.met),
        (Sign.ge, "100", "100", D(20), Rule.met),
        (Sign.ge, "100", "80", D(80) / D(100) * 20, Rule.ratio),  # 16
        (Sign.ge, "0", "0", D(20), Rule.met),  # a zero target is met by any actual ≥ 0
        (Sign.ge, "0", "7", D(20), Rule.met),
        (Sign.ge, "100", "300", D(20), Rule.met),  # over-achievement earns the weight only
        (Sign.gt, "100", "101", D(20), Rule.met),
        (Sign.gt, "100", "50", D(50) / D(100) * 20, Rule.ratio),  # 10
        (Sign.gt, "100", "100", D(100) / D(100) * 20, Rule.ratio),  # not met: B/A × w
        (Sign.gt, "0", "0", D(0), Rule.ratio),  # nothing above 0 achieved, no division
        (Sign.eq, "100", "100", D(20), Rule.met),
        (Sign.eq, "100", "90", D(90) / D(100) * 20, Rule.ratio),  # 18: below, like ≥
        (Sign.eq, "100", "125", D(100) / D(125) * 20, Rule.reverse_ratio),  # 16: above, like ≤
        (Sign.eq, "0", "4", D(0) / D(4) * 20, Rule.reverse_ratio),
        (Sign.le, "10", "5", D(20), Rule.met),
        (Sign.le, "10", "10", D(20), Rule.met),
        (Sign.le, "10", "12.5", D(10) / D("12.5") * 20, Rule.reverse_ratio),  # 16
        (Sign.le, "10", "0", D(20), Rule.met),
        (Sign.le, "0", "0", D(20), Rule.met),
        (Sign.le, "0", "4", D(0), Rule.reverse_ratio),
        (Sign.lt, "10", "9", D(20), Rule.met),
        (Sign.lt, "10", "10", D(10) / D(10) * 20, Rule.reverse_ratio),  # not met: A/B × w
        (Sign.lt, "10", "40", D(10) / D(40) * 20, Rule.reverse_ratio),  # 5
        (Sign.lt, "0", "0", D(20), Rule.met),  # an actual of 0 counts as met
        (Sign.lt, "5", "0", D(20), Rule.met),
    ],
)
def test_quantitative_rows(sign: Sign, target: str, actual: str, expected: D, rule: Rule) -> None:
    assert scored(quantitative(sign, target, actual)) == (expected, rule)


def test_a_missing_actual_is_refused_naming_the_row() -> None:
    row = IndicatorInput("培训人次", "产出", Sign.ge, D(20), target=D(100))
    with pytest.raises(ScoringError) as refused:
        score_indicator(row)
    assert refused.value.message == "培训人次：缺少实际完成值。"


def test_a_negative_actual_is_refused() -> None:
    with pytest.raises(ScoringError) as refused:
        score_indicator(quantitative(Sign.ge, "100", "-3"))
    assert "培训人次：实际完成值不能为负数" in refused.value.message


def test_a_band_on_a_quantitative_row_is_refused() -> None:
    row = IndicatorInput(
        "培训人次", "产出", Sign.ge, D(20), D(100), D(90), band=Band.achieved, score=D(18)
    )
    with pytest.raises(ScoringError, match="培训人次：评价档次和得分只用于定性指标"):
        score_indicator(row)


# --- 定性 bands ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("band", "score"),
    [
        (Band.achieved, "8"),  # 80 % of 10, the lower edge
        (Band.achieved, "10"),
        (Band.partly, "5"),
        (Band.partly, "8"),  # 80 % belongs to both bands: edges are inclusive
        (Band.partly, "6.5"),
        (Band.not_achieved, "0"),
        (Band.not_achieved, "5"),
    ],
)
def test_a_score_inside_its_band_is_kept(band: Band, score: str) -> None:
    assert scored(qualitative(band, score)) == (D(score), Rule.qualitative)


@pytest.mark.parametrize(
    ("band", "score", "says"),
    [
        (Band.achieved, "7.99", "“达成”档的得分应在 8 到 10 分之间（权重 10 分的 80%–100%）"),
        (Band.achieved, "10.5", "“达成”档的得分应在 8 到 10 分之间"),
        (Band.partly, "4.99", "“部分达成”档的得分应在 5 到 8 分之间"),
        (Band.partly, "8.01", "“部分达成”档的得分应在 5 到 8 分之间"),
        (Band.not_achieved, "5.01", "“未达成”档的得分应在 0 到 5 分之间"),
    ],
)
def test_a_score_outside_its_band_is_refused_not_clamped(band: Band, score: str, says: str) -> None:
    with pytest.raises(ScoringError) as refused:
        score_indicator(qualitative(band, score))
    assert refused.value.message.startswith(f"群众满意：{says}")
    assert f"填写的是 {score} 分" in refused.value.message


def test_band_edges_follow_the_weight() -> None:
    # weight 30: 达成 24–30, 部分达成 15–24, 未达成 0–15
    assert scored(qualitative(Band.achieved, "24", weight="30"))[0] == D(24)
    with pytest.raises(ScoringError, match="应在 15 到 24 分之间"):
        score_indicator(qualitative(Band.partly, "24.5", weight="30"))


def test_a_qualitative_row_without_a_band_is_refused() -> None:
    row = IndicatorInput("群众满意", "满意度", Sign.qualitative, D(10), score=D(9))
    with pytest.raises(ScoringError, match="群众满意：定性指标须选择评价档次"):
        score_indicator(row)


# --- tables: weights, rescaling, totals and grades ---------------------------------------


def table(output_actual: str, *, output_target: str = "10000") -> list[IndicatorInput]:
    """产出 50 (≥, the row that varies), 效益 30 met, 满意度 10 met."""
    return [
        IndicatorInput("完成率", "产出", Sign.ge, D(50), D(output_target), D(output_actual)),
        IndicatorInput("受益人数", "效益", Sign.ge, D(30), D(500), D(500)),
        qualitative(Band.achieved, "10"),
    ]


FULL = ExecutionInput(D(100), D(100))


@pytest.mark.parametrize(
    ("output_actual", "output_target", "exact", "displayed", "grade"),
    [
        # 10 + 30 + 10 = 50 of the table is always earned; 产出 adds B/A × 50
        ("7999", "10000", D(50) + D(7999) / D(10000) * 50, D("90.00"), Grade.excellent),
        ("8000", "10000", D(50) + D(8000) / D(10000) * 50, D("90.00"), Grade.excellent),
        ("79988", "100000", D(50) + D(79988) / D(100000) * 50, D("89.99"), Grade.good),
        ("5999", "10000", D(50) + D(5999) / D(10000) * 50, D("80.00"), Grade.good),
        ("2000", "10000", D(50) + D(2000) / D(10000) * 50, D("60.00"), Grade.average),
        ("19988", "100000", D(50) + D(19988) / D(100000) * 50, D("59.99"), Grade.poor),
    ],
)
def test_the_grade_reads_the_total_as_shown(
    output_actual: str, output_target: str, exact: D, displayed: D, grade: Grade
) -> None:
    card = score_table(FULL, table(output_actual, output_target=output_target))
    assert card.total == exact
    assert exact in {D("89.995"), D("90"), D("89.994"), D("79.995"), D("60"), D("59.994")}
    assert card.shown_total == displayed
    assert card.grade is grade
    assert card.rows[1].shown == shown(exact - 50)


def test_one_row_not_applicable_rescales_the_rest() -> None:
    rows = table("8000")
    rows[2] = IndicatorInput("群众满意", "满意度", Sign.qualitative, D(10), applicable=False)
    card = score_table(FULL, rows)
    # (10 + 40 + 30) × 100 / (10 + 50 + 30)
    assert card.total == D(80) * 100 / D(90)
    assert card.shown_total == D("88.89")
    assert card.grade is Grade.good
    assert card.rows[3].score is None and card.rows[3].rule is Rule.not_applicable


def test_two_rows_not_applicable_rescale_the_rest() -> None:
    rows = [
        IndicatorInput("完成率", "产出", Sign.ge, D(50), D(100), D(80)),
        IndicatorInput("受益人数", "效益", Sign.ge, D(15), D(500), D(600)),
        IndicatorInput("带动就业", "效益", Sign.ge, D(15), D(50), D(0), applicable=False),
        IndicatorInput("群众满意", "满意度", Sign.qualitative, D(10), applicable=False),
    ]
    card = score_table(FULL, rows)
    # (10 + 40 + 15) × 100 / (10 + 50 + 15)
    assert card.total == D(65) * 100 / D(75)
    assert card.shown_total == D("86.67")
    assert [row.rule for row in card.rows] == [
        Rule.execution_rate,
        Rule.ratio,
        Rule.met,
        Rule.not_applicable,
        Rule.not_applicable,
    ]


def test_weights_other_than_one_hundred_are_refused() -> None:
    rows = table("8000")
    rows[2] = qualitative(Band.achieved, "9", weight="9")
    with pytest.raises(ScoringError) as refused:
        score_table(FULL, rows)
    assert "现在预算执行率 10 分、各项指标 89 分，合计 99 分" in refused.value.message


def test_the_execution_rate_must_weigh_ten() -> None:
    rows = table("8000")
    rows[2] = qualitative(Band.achieved, "8", weight="8")
    with pytest.raises(ScoringError, match="预算执行率 12 分、各项指标 88 分，合计 100 分"):
        score_table(ExecutionInput(D(100), D(100), weight=D(12)), rows)


def test_nothing_applicable_is_refused() -> None:
    rows = [IndicatorInput("完成率", "产出", Sign.ge, D(90), applicable=False)]
    with pytest.raises(ScoringError, match="所有行都标为不适用"):
        score_table(ExecutionInput(D(1), D(1), applicable=False), rows)


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("90", "优"),
        ("89.995", "优"),
        ("89.994", "良"),
        ("80", "良"),
        ("79.995", "良"),
        ("79.994", "中"),
        ("60", "中"),
        ("59.995", "中"),
        ("59.994", "差"),
        ("0", "差"),
    ],
)
def test_grade_bands(total: str, grade: str) -> None:
    assert grade_of(D(total)).value == grade


# --- proposed weights ---------------------------------------------------------------------


def test_default_weights_split_each_share_evenly_and_exactly() -> None:
    levels = ["产出", "产出", "产出", "效益", "满意度"]
    weights = propose_weights([(level, None) for level in levels])
    assert weights == [D("16.67"), D("16.67"), D("16.66"), D(30), D(10)]
    assert sum(weights) == 90


def test_declared_weights_are_kept_and_the_rest_of_their_share_split() -> None:
    rows = [("产出", D(20)), ("产出", None), ("产出", None), ("效益", D(30)), ("满意度", None)]
    assert propose_weights(rows) == [D(20), D(15), D(15), D(30), D(10)]


def test_cost_shares_the_output_share() -> None:
    rows = [("产出", None), ("成本", None), ("效益", None), ("满意度", None)]
    assert propose_weights(rows) == [D(25), D(25), D(30), D(10)]


def test_an_absent_level_gives_its_share_to_output() -> None:
    assert propose_weights([("产出", None), ("效益", None)]) == [D(60), D(30)]


# --- properties ---------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=1_000_000, places=3)
weights = st.decimals(min_value=0, max_value=90, places=2)
quantitative_signs = st.sampled_from([Sign.ge, Sign.gt, Sign.eq, Sign.le, Sign.lt])


@settings(deadline=None)  # pure and fast; a busy machine must not fail it
@given(quantitative_signs, amounts, amounts, weights)
def test_a_row_scores_between_zero_and_its_weight(
    sign: Sign, target: D, actual: D, weight: D
) -> None:
    row = IndicatorInput("x", "产出", sign, weight, target, actual)
    score = score_indicator(row).score
    assert score is not None and 0 <= score <= weight


@settings(deadline=None)  # pure and fast; a busy machine must not fail it
@given(st.sampled_from([Sign.ge, Sign.gt]), amounts, amounts, amounts, weights)
def test_a_higher_actual_never_lowers_an_at_least_row(
    sign: Sign, target: D, actual: D, more: D, weight: D
) -> None:
    low = score_indicator(IndicatorInput("x", "产出", sign, weight, target, actual)).score
    high = score_indicator(IndicatorInput("x", "产出", sign, weight, target, actual + more)).score
    assert low is not None and high is not None and high >= low


@settings(deadline=None)  # pure and fast; a busy machine must not fail it
@given(st.sampled_from([Sign.le, Sign.lt]), amounts, amounts, amounts, weights)
def test_a_higher_actual_never_raises_an_at_most_row(
    sign: Sign, target: D, actual: D, more: D, weight: D
) -> None:
    # From a positive actual: an actual of 0 counts as met for < by rule.
    start = actual + D("0.001")
    low = score_indicator(IndicatorInput("x", "产出", sign, weight, target, start)).score
    high = score_indicator(IndicatorInput("x", "产出", sign, weight, target, start + more)).score
    assert low is not None and high is not None and high <= low


levels = st.sampled_from(["产出", "成本", "效益", "满意度"])
rows_strategy = st.lists(
    st.tuples(levels, quantitative_signs, amounts, amounts, st.booleans()), min_size=1, max_size=8
)


def _random_table(rows: list[tuple[str, Sign, D, D, bool]]) -> list[IndicatorInput]:
    proposed = propose_weights([(level, None) for level, *_ in rows])
    return [
        IndicatorInput(f"r{n}", level, sign, weight, target, actual, applicable=applicable)
        for n, ((level, sign, target, actual, applicable), weight) in enumerate(
            zip(rows, proposed, strict=True)
        )
    ]


@settings(deadline=None)  # pure and fast; a busy machine must not fail it
@given(rows_strategy, amounts.filter(lambda value: value > 0), amounts)
def test_a_total_lies_between_zero_and_one_hundred(
    rows: list[tuple[str, Sign, D, D, bool]], budget: D, executed: D
) -> None:
    card = score_table(ExecutionInput(budget, executed), _random_table(rows))
    assert 0 <= card.total <= 100
    assert card.grade is grade_of(card.total)


@settings(deadline=None)  # pure and fast; a busy machine must not fail it
@given(rows_strategy)
def test_rescaling_keeps_a_perfect_table_at_one_hundred(
    rows: list[tuple[str, Sign, D, D, bool]],
) -> None:
    # Every actual equal to a positive target meets ≥, =, ≤; make > and < met outright.
    met = {Sign.gt: Sign.ge, Sign.lt: Sign.le}
    perfect = [
        (level, met.get(sign, sign), target + 1, target + 1, applicable)
        for level, sign, target, _, applicable in rows
    ]
    card = score_table(ExecutionInput(D(50), D(50)), _random_table(perfect))
    assert card.total == 100
    assert card.grade is Grade.excellent
