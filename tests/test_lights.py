"""Q3 tracking lights: budget execution and indicators against the time share (0.75)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from storage.models.enums import BudgetLight as Light
from storage.models.enums import IndicatorSign as Sign
from storage.models.enums import Likelihood
from workflow.tracking.lights import (
    budget_light,
    deviation,
    execution_rate,
    qualitative_light,
    quantitative_light,
    reason_required,
)


@pytest.mark.parametrize(
    ("budget", "executed", "light"),
    [
        ("200", "150", Light.green),  # 75 %: exactly the share
        ("200", "180", Light.green),  # 90 %
        ("200", "149.98", Light.yellow),  # 74.99 %: 0.01 points below
        ("200", "130", Light.yellow),  # 65 %: exactly 10 points below is still yellow
        ("200", "129.98", Light.red),  # 64.99 %: beyond 10 points
        ("200", "0", Light.red),
        ("0", "0", Light.green),  # nothing budgeted: nothing to lag behind, no division
        ("0", "5", Light.green),
    ],
)
def test_budget_light_after_q3(budget: str, executed: str, light: Light) -> None:
    assert budget_light(D(budget), D(executed)) is light


def test_budget_light_with_another_threshold_and_share() -> None:
    # half-year: share 0.5; 45 % is 5 points below: yellow with X = 5, red with X = 4.99
    assert budget_light(D(100), D(45), share=D("0.5"), yellow_points=D(5)) is Light.yellow
    assert budget_light(D(100), D(45), share=D("0.5"), yellow_points=D("4.99")) is Light.red
    assert budget_light(D(100), D(50), share=D("0.5"), yellow_points=D(0)) is Light.green


def test_execution_rate_is_exact() -> None:
    assert execution_rate(D(300), D(100)) == D(1) / D(3)
    assert execution_rate(D(0), D(100)) is None


@pytest.mark.parametrize(
    ("sign", "target", "current", "light", "gap"),
    [
        # ≥: expected by now 1000 × 0.75 = 750
        (Sign.ge, "1000", "750", Light.green, (D(750) - 1000) / 1000),
        (Sign.ge, "1000", "1200", Light.green, (D(1200) - 1000) / 1000),
        (Sign.ge, "1000", "650", Light.yellow, (D(650) - 1000) / 1000),  # exactly 10 points
        (Sign.ge, "1000", "649", Light.red, (D(649) - 1000) / 1000),
        (Sign.gt, "1000", "700", Light.yellow, (D(700) - 1000) / 1000),
        (Sign.gt, "1000", "300", Light.red, (D(300) - 1000) / 1000),
        (Sign.ge, "0", "0", Light.green, None),  # a zero target is met by anything
        (Sign.gt, "0", "0", Light.yellow, None),  # not above 0 yet
        (Sign.gt, "0", "3", Light.green, None),
        # =: below the target like ≥, above it is a deviation
        (Sign.eq, "100", "80", Light.green, (D(80) - 100) / 100),
        (Sign.eq, "100", "60", Light.red, (D(60) - 100) / 100),
        (Sign.eq, "100", "101", Light.red, (D(101) - 100) / 100),
        # ≤ / <: any excess over the target is red
        (Sign.le, "50", "50", Light.green, D(0)),
        (Sign.le, "50", "20", Light.green, (D(20) - 50) / 50),
        (Sign.le, "50", "50.01", Light.red, (D("50.01") - 50) / 50),
        (Sign.le, "0", "0", Light.green, None),
        (Sign.le, "0", "1", Light.red, None),
        (Sign.lt, "50", "49", Light.green, (D(49) - 50) / 50),
        (Sign.lt, "50", "50", Light.red, D(0)),  # no longer under the limit
        (Sign.lt, "0", "0", Light.green, None),  # an actual of 0 never exceeds
    ],
)
def test_quantitative_indicator_lights(
    sign: Sign, target: str, current: str, light: Light, gap: D | None
) -> None:
    check = quantitative_light(sign, D(target), D(current))
    assert (check.light, check.deviation) == (light, gap)


def test_indicator_threshold_is_configurable() -> None:
    # 700 of 1000 is 5 points below 75 %: yellow with X = 5, red with X = 4
    assert quantitative_light(Sign.ge, D(1000), D(700), yellow_points=D(5)).light is Light.yellow
    assert quantitative_light(Sign.ge, D(1000), D(700), yellow_points=D(4)).light is Light.red


def test_deviation() -> None:
    assert deviation(D(80), D(60)) == D("-0.25")
    assert deviation(D(0), D(60)) is None


@pytest.mark.parametrize(
    ("likelihood", "light"),
    [
        (Likelihood.certain, Light.green),
        (Likelihood.possible, Light.yellow),
        (Likelihood.impossible, Light.red),
    ],
)
def test_qualitative_indicators_by_likelihood(likelihood: Likelihood, light: Light) -> None:
    assert qualitative_light(likelihood) is light


@pytest.mark.parametrize(
    ("light", "likelihood", "required"),
    [
        (Light.green, None, False),
        (Light.green, Likelihood.certain, False),
        (Light.green, Likelihood.possible, True),
        (Light.green, Likelihood.impossible, True),
        (Light.yellow, None, True),
        (Light.red, Likelihood.certain, True),
    ],
)
def test_when_reason_and_measures_are_required(
    light: Light, likelihood: Likelihood | None, required: bool
) -> None:
    assert reason_required(light, likelihood) is required


def test_a_lagging_indicator_then_needs_a_reason() -> None:
    check = quantitative_light(Sign.ge, D(1000), D(649))
    assert reason_required(check.light, Likelihood.certain)
