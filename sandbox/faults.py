"""Fault injection and Telegram-like flood control for resilience tests."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from http import HTTPStatus

from sandbox.validate import ApiError

ANY_METHOD = "*"
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    ),
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class PlannedFailure:
    """An error to answer instead of running the method, for the next `remaining` calls."""

    status: int
    description: str
    retry_after: int | None
    remaining: int

    def to_error(self) -> ApiError:
        """The ApiError this failure answers with."""
        return ApiError(self.status, self.description, self.retry_after)


def planned_failure(
    status: int, description: str | None, retry_after: int | None, times: int
) -> PlannedFailure:
    """Fill in Telegram's usual wording and retry_after for a status."""
    if status == 429:
        retry_after = 1 if retry_after is None else retry_after
        description = description or f"Too Many Requests: retry after {retry_after}"
    if description is None:
        description = _DEFAULT_DESCRIPTIONS.get(status) or _phrase(status)
    return PlannedFailure(status, description, retry_after, times)


def _phrase(status: int) -> str:
    """The HTTP reason phrase, or a generic one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


class FaultPlan:
    """Queued failures and artificial delays, keyed by lower-cased method name."""

    def __init__(self) -> None:
        self._failures: dict[str, list[PlannedFailure]] = {}
        self._delays: dict[str, float] = {}
        self._random: dict[str, tuple[float, tuple[int, ...], random.Random]] = {}
        self.random_hits = 0

    def fail_randomly(
        self, method: str, share: float, statuses: tuple[int, ...], seed: int
    ) -> None:
        """Answer a share of method's calls with one of `statuses` (seeded; 0 turns it off)."""
        if share > 0:
            self._random[method.lower()] = (share, statuses, random.Random(seed))
        else:
            self._random.pop(method.lower(), None)

    def add_failure(self, method: str, failure: PlannedFailure) -> None:
        """Queue a failure for method ('*' matches any method)."""
        self._failures.setdefault(method.lower(), []).append(failure)

    def take_failure(self, method: str) -> ApiError | None:
        """Consume one planned failure for this call, if any (then a random one, if set)."""
        planned = self._take_planned(method)
        if planned is not None:
            return planned
        chance = self._random.get(method.lower()) or self._random.get(ANY_METHOD)
        if chance is None:
            return None
        share, statuses, rng = chance
        if rng.random() >= share:
            return None
        self.random_hits += 1
        status = rng.choice(statuses)
        return planned_failure(status, None, 1 if status == 429 else None, 1).to_error()

    def _take_planned(self, method: str) -> ApiError | None:
        """Consume one planned failure for this call, if any."""
        for key in (method.lower(), ANY_METHOD):
            queue = self._failures.get(key)
            if queue:
                failure = queue[0]
                failure.remaining -= 1
                if failure.remaining <= 0:
                    queue.pop(0)
                return failure.to_error()
        return None

    def set_delay(self, method: str, seconds: float) -> None:
        """Answer method only after seconds ('*' for every method; 0 removes)."""
        if seconds > 0:
            self._delays[method.lower()] = seconds
        else:
            self._delays.pop(method.lower(), None)

    def delay_for(self, method: str) -> float:
        """Seconds to wait before answering this method."""
        return self._delays.get(method.lower(), self._delays.get(ANY_METHOD, 0.0))


@dataclass
class _Bucket:
    """A token bucket: capacity tokens, refilled at rate per second."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last look."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self) -> float:
        """Seconds until one token is available (0 if one is)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class FloodControl:
    """Per-chat and global send limits; answers 429 with retry_after when exceeded."""

    def __init__(
        self,
        per_chat_per_second: float,
        global_per_second: float,
        per_chat_burst: int | None = None,
        global_burst: int | None = None,
    ) -> None:
        self.per_chat_rate = per_chat_per_second
        self.per_chat_burst = float(per_chat_burst or max(1, int(per_chat_per_second)))
        self.global_bucket = _Bucket(
            global_per_second,
            float(global_burst or max(1, int(global_per_second))),
            float(global_burst or max(1, int(global_per_second))),
            -math.inf,
        )
        self._chats: dict[object, _Bucket] = {}
        self.hits = 0

    def _chat_bucket(self, chat_key: object) -> _Bucket:
        """The bucket of one chat, created full."""
        if chat_key not in self._chats:
            burst = self.per_chat_burst
            self._chats[chat_key] = _Bucket(self.per_chat_rate, burst, burst, -math.inf)
        return self._chats[chat_key]

    def check(self, chat_key: object, now: float) -> None:
        """Take a token from both buckets or raise the 429 Telegram would send."""
        buckets = [self._chat_bucket(chat_key), self.global_bucket]
        for bucket in buckets:
            bucket.refill(now)
        wait = max(bucket.wait_time() for bucket in buckets)
        if wait > 0:
            self.hits += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for bucket in buckets:
            bucket.tokens -= 1
