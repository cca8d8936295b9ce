"""Propose indicator weights for a 自评表: 产出 50, 效益 30, 满意度 10 (with 预算执行率 10).

财预〔2020〕10号 sets these 一级 shares "原则上"; a share whose 一级 has no indicator may move
to another 一级. Choices made here, stated so a proposal can be explained:
- 成本 (its own 一级 since 财预〔2021〕101号, split off 产出) shares 产出's 50 with it;
- a 一级 without any indicator gives its share to the first present of 产出, 效益, 满意度;
- weights people declared are kept; what remains of a share is split evenly among the
  undeclared rows of that share, in cents, the leftover cents going to the first rows so
  the sum is exact. A proposal is only a proposal: `scoring.check_weights` decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from workflow.evaluation.scoring import CENT

OUTPUT, COST, BENEFIT, SATISFACTION = "产出", "成本", "效益", "满意度"
SHARES: tuple[tuple[str, Decimal], ...] = (
    (OUTPUT, Decimal(50)),
    (BENEFIT, Decimal(30)),
    (SATISFACTION, Decimal(10)),
)
# Which share a 一级 draws on.
SHARE_OF_LEVEL1 = {OUTPUT: OUTPUT, COST: OUTPUT, BENEFIT: BENEFIT, SATISFACTION: SATISFACTION}


def _split(amount: Decimal, count: int) -> list[Decimal]:
    """`amount` in `count` parts that sum to it exactly, in cents, larger parts first."""
    base = (amount / count).quantize(CENT, rounding=ROUND_DOWN)
    leftover = amount - base * count
    cents = int(leftover / CENT)
    parts = [base + CENT if index < cents else base for index in range(count)]
    parts[0] += leftover - CENT * cents  # below a cent: only when amount has finer digits
    return parts


def _shares(present: set[str]) -> dict[str, Decimal]:
    """Each present share, with the shares of absent 一级 moved to the first present one."""
    shares = {name: share for name, share in SHARES if name in present}
    if not shares:
        return {}
    first = next(iter(shares))
    shares[first] += sum((share for name, share in SHARES if name not in present), Decimal(0))
    return shares


def propose_weights(rows: Sequence[tuple[str, Decimal | None]]) -> list[Decimal]:
    """Weights for (一级, declared weight or None) rows, in the same order."""
    groups = [SHARE_OF_LEVEL1.get(level1, level1) for level1, _ in rows]
    shares = _shares(set(groups))
    proposed: list[Decimal | None] = [declared for _, declared in rows]
    for group, share in shares.items():
        members = [index for index, name in enumerate(groups) if name == group]
        open_rows = [index for index in members if proposed[index] is None]
        if not open_rows:
            continue
        declared = sum((rows[index][1] or Decimal(0) for index in members), Decimal(0))
        remaining = max(share - declared, Decimal(0))
        for index, part in zip(open_rows, _split(remaining, len(open_rows)), strict=True):
            proposed[index] = part
    # A 一级 outside every share (an unknown name) gets nothing proposed.
    return [weight if weight is not None else Decimal(0) for weight in proposed]
