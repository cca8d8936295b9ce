"""Warning lights of the Q3 绩效跟踪表: budget execution and each indicator, exact Decimal.

Pure functions. "Progress against the time share": by the end of Q3, 75 % of the year has
passed (`Q3_TIME_SHARE`), so 75 % of the budget should be spent and 75 % of an
accumulating target reached. A lag is counted in percentage points of the whole:
- green when progress ≥ the share;
- yellow when it is below the share by at most X points (exactly X is still yellow);
- red beyond X points (X = TRACKING_YELLOW_POINTS, default 10).
A zero budget or target is never divided by: see each function.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from storage.models.enums import BudgetLight, IndicatorSign, Likelihood

Q3_TIME_SHARE = Decimal("0.75")
DEFAULT_YELLOW_POINTS = Decimal(10)
HUNDRED = Decimal(100)
_AT_LEAST = (IndicatorSign.ge, IndicatorSign.gt, IndicatorSign.eq)
_LIKELIHOOD_LIGHT = {
    Likelihood.certain: BudgetLight.green,  # 确定能
    Likelihood.possible: BudgetLight.yellow,  # 有可能
    Likelihood.impossible: BudgetLight.red,  # 完全不可能
}


def lag_light(progress: Decimal, share: Decimal, yellow_points: Decimal) -> BudgetLight:
    """Green at or above the share, yellow within `yellow_points` below it, red beyond."""
    lag_points = (share - progress) * HUNDRED
    if lag_points <= 0:
        return BudgetLight.green
    if lag_points <= yellow_points:
        return BudgetLight.yellow
    return BudgetLight.red


def execution_rate(budget: Decimal, executed: Decimal) -> Decimal | None:
    """执行率 B / A, or None when nothing is budgeted (A = 0)."""
    return executed / budget if budget else None


def budget_light(
    budget: Decimal,
    executed: Decimal,
    *,
    share: Decimal = Q3_TIME_SHARE,
    yellow_points: Decimal = DEFAULT_YELLOW_POINTS,
) -> BudgetLight:
    """The budget light from 执行率 against the time share; green when A = 0 (nothing to lag)."""
    rate = execution_rate(budget, executed)
    if rate is None:
        return BudgetLight.green
    return lag_light(rate, share, yellow_points)


def deviation(target: Decimal, current: Decimal) -> Decimal | None:
    """Deviation (current − target) / target, as a fraction; None for a zero target."""
    return (current - target) / target if target else None


@dataclass(frozen=True, slots=True)
class IndicatorCheck:
    """An indicator's light and its deviation from the target (None for a zero target)."""

    light: BudgetLight
    deviation: Decimal | None


def _over_limit(sign: IndicatorSign, target: Decimal, current: Decimal) -> bool:
    """Whether an at-most indicator (≤, <) already exceeds its target; 0 is never over."""
    if sign is IndicatorSign.lt:
        return current >= target and current > 0
    return current > target


def quantitative_light(
    sign: IndicatorSign,
    target: Decimal,
    current: Decimal,
    *,
    share: Decimal = Q3_TIME_SHARE,
    yellow_points: Decimal = DEFAULT_YELLOW_POINTS,
) -> IndicatorCheck:
    """A 定量 indicator's light from the value reached so far (1-9 月实际完成值).

    ≥ and >: expected by now = target × share; progress current / target is held against
    the share like the budget (green / yellow within X points / red). A zero target: ≥ is
    met by anything (green); > is green once the value is above 0, yellow until then.
    ≤ and <: any excess over the target is a deviation, red; otherwise green (an actual of
    0 never exceeds). =: above the target is red like ≤; below it, progress like ≥.
    """
    gap = deviation(target, current)
    if sign not in _AT_LEAST or (sign is IndicatorSign.eq and current > target):
        over = sign is IndicatorSign.eq or _over_limit(sign, target, current)
        return IndicatorCheck(BudgetLight.red if over else BudgetLight.green, gap)
    if not target:
        ahead = sign is not IndicatorSign.gt or current > 0
        return IndicatorCheck(BudgetLight.green if ahead else BudgetLight.yellow, gap)
    return IndicatorCheck(lag_light(current / target, share, yellow_points), gap)


def qualitative_light(likelihood: Likelihood) -> BudgetLight:
    """A 定性 indicator by 完成可能性: 确定能 green, 有可能 yellow, 完全不可能 red."""
    return _LIKELIHOOD_LIGHT[likelihood]


def reason_required(light: BudgetLight, likelihood: Likelihood | None = None) -> bool:
    """Whether 偏差原因 and 改进措施 must be given: a red or yellow light, or not 确定能."""
    if light is not BudgetLight.green:
        return True
    return likelihood is not None and likelihood is not Likelihood.certain
