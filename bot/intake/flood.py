"""Per-person flood limits, decided on arrival so a flood never queues behind anyone.

Each person has a token bucket; registered people get room for a quick form, strangers
very little. A person who runs dry is told once to wait (and audited once), then their
updates are dropped until the bucket has refilled to half: the flood has calmed down.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FLOOD_KEY = "perfbot_flood_guard"  # where the running application keeps its guard (bot_data)


class Verdict(enum.Enum):
    """What to do with one update."""

    allow = "allow"
    warn = "warn"  # the first update over the limit: say "请稍后再试", audit, drop it
    drop = "drop"  # still flooding: drop without a word


@dataclass(frozen=True)
class Limits:
    """Burst and steady rate (updates per second) of one bucket."""

    burst: float
    rate: float


REGISTERED = Limits(burst=40, rate=5.0)  # a quick form, a row of button presses
STRANGER = Limits(burst=10, rate=1.0)  # enough to read /start and /help, no more


@dataclass
class _Bucket:
    tokens: float
    updated: float
    flooding: bool = False


class FloodGuard:
    """Token buckets per Telegram user; registered people are known by id."""

    def __init__(
        self,
        *,
        registered: Limits = REGISTERED,
        stranger: Limits = STRANGER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registered = registered
        self.stranger = stranger
        self.known: set[int] = set()
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def limits(self, user_id: int) -> Limits:
        """The limits that apply to this person."""
        return self.registered if user_id in self.known else self.stranger

    def check(self, user_id: int) -> Verdict:
        """Take one token for an update from this person, or say how to refuse it."""
        limits = self.limits(user_id)
        now = self._clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(limits.burst, now)
        bucket.tokens = min(limits.burst, bucket.tokens + (now - bucket.updated) * limits.rate)
        bucket.updated = now
        if bucket.flooding and bucket.tokens >= limits.burst / 2:
            bucket.flooding = False
        if bucket.flooding:
            return Verdict.drop
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.allow
        bucket.flooding = True
        return Verdict.warn

    def forget_idle(self) -> None:
        """Drop full buckets (people who are quiet), so memory follows active people only."""
        now = self._clock()
        for user_id, bucket in list(self._buckets.items()):
            limits = self.limits(user_id)
            if not bucket.flooding and bucket.tokens + (now - bucket.updated) * limits.rate >= (
                limits.burst
            ):
                del self._buckets[user_id]


def remember_registered(bot_data: dict[str, Any], telegram_user_id: int) -> None:
    """A registered person was seen: their flood limit is the generous one from now on."""
    guard = bot_data.get(FLOOD_KEY)
    if isinstance(guard, FloodGuard):
        guard.known.add(telegram_user_id)
