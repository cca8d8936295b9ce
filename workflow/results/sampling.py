"""Drawing the spot-check sample (抽查) so that anyone can re-draw it and get the same list.

Pure functions. The population is the year's submitted self-evaluations, ordered by project
id; it is split into strata (none, by department, or by amount band), each stratum gets its
share of the sample, and each stratum is drawn with its own generator seeded by the stated
seed and the stratum's key. Python's `random.Random` seeded with a string is the same on
every machine and every run (the string is hashed with SHA-512, not with `hash()`), so the
seed and the rule are all it takes to repeat a draw; a stratum's draw does not move when
another stratum changes. The population's hash says whether a re-draw ran on the same
self-evaluations.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

STRATIFY = ("none", "department", "amount")
# 万元 bounds of the amount bands: under 100, 100 to under 1000, 1000 and more.
AMOUNT_BANDS = (Decimal(100), Decimal(1000))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A submitted self-evaluation that may be drawn."""

    self_evaluation_id: int
    project_id: int
    project: str
    department_id: int
    department: str
    amount: Decimal | None  # the issued annual amount, 万元


@dataclass(frozen=True, slots=True)
class SampleRule:
    """How to draw: a share (0 < share ≤ 1) or a count, a stratification, a seed."""

    seed: str
    share: Decimal | None = None
    count: int | None = None
    stratify: str = "none"

    def problem(self) -> str | None:
        """Why the rule cannot be drawn with (a problem code), None when it can."""
        if (self.share is None) == (self.count is None):
            return "sample_share_or_count"
        if self.share is not None and not Decimal(0) < self.share <= Decimal(1):
            return "sample_share_range"
        if self.count is not None and self.count < 1:
            return "sample_count_range"
        if self.stratify not in STRATIFY:
            return "sample_stratify"
        if not self.seed or len(self.seed) > 32:
            return "sample_seed"
        return None


def population_hash(candidates: Sequence[Candidate]) -> str:
    """SHA-256 of the sorted self-evaluation ids: the same population, the same hash."""
    ids = ",".join(str(i) for i in sorted(c.self_evaluation_id for c in candidates))
    return hashlib.sha256(ids.encode()).hexdigest()


def amount_band(amount: Decimal | None) -> str:
    """The amount stratum: "a" under 100 万元 (or unknown), "b" under 1000, "c" above."""
    if amount is None or amount < AMOUNT_BANDS[0]:
        return "a"
    return "b" if amount < AMOUNT_BANDS[1] else "c"


def stratum(candidate: Candidate, stratify: str) -> str:
    """The key of the stratum a candidate falls in."""
    if stratify == "department":
        return f"d{candidate.department_id}"
    if stratify == "amount":
        return amount_band(candidate.amount)
    return "all"


def allocate(sizes: dict[str, int], rule: SampleRule) -> dict[str, int]:
    """How many each stratum gives: a share rounded up in each, or a count split in
    proportion (largest remainders first, ties to the earlier key)."""
    if rule.share is not None:
        share = rule.share
        return {
            key: int((share * size).to_integral_value(rounding=ROUND_CEILING))
            for key, size in sizes.items()
        }
    total = sum(sizes.values())
    wanted = min(rule.count or 0, total)
    if total == 0:
        return dict.fromkeys(sizes, 0)
    exact = {key: Decimal(wanted * size) / total for key, size in sizes.items()}
    given = {key: math.floor(value) for key, value in exact.items()}
    left = wanted - sum(given.values())
    by_remainder = sorted(sizes, key=lambda key: (-(exact[key] - given[key]), key))
    for key in by_remainder[:left]:
        given[key] += 1
    return given


def draw(candidates: Sequence[Candidate], rule: SampleRule) -> list[Candidate]:
    """The sample, ordered by project id; the same candidates and rule give the same list."""
    strata: dict[str, list[Candidate]] = {}
    for candidate in sorted(candidates, key=lambda c: c.project_id):
        strata.setdefault(stratum(candidate, rule.stratify), []).append(candidate)
    sizes = {key: len(members) for key, members in sorted(strata.items())}
    chosen: list[Candidate] = []
    for key, take in allocate(sizes, rule).items():
        generator = random.Random(f"{rule.seed}|{key}")
        chosen.extend(generator.sample(strata[key], min(take, len(strata[key]))))
    return sorted(chosen, key=lambda c: c.project_id)
