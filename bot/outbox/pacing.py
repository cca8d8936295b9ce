"""Send pacing for the outbox: Telegram's overall and per-chat limits, and its RetryAfter.

Times are the event loop's monotonic clock (`loop.time()`), never the wall clock.
"""

from __future__ import annotations

import math

# Telegram (and the sandbox) measure the gap between two messages to a chat when they
# arrive, and a request may arrive a little later than it left; a tenth more than the
# minimum gap keeps jitter from turning into a 429. Chats rarely limit overall throughput.
CHAT_GAP_MARGIN = 1.1
# A send that starts late (the event loop was busy) may be followed by this many immediate
# ones to catch up with the schedule; Telegram's overall limit tolerates far larger bursts.
CATCH_UP_SLOTS = 2
_FORGET_AFTER = 4096  # chats remembered before the finished ones are forgotten


class Pacer:
    """Spaces message starts: at most `global_per_second` overall, `per_chat_per_second` each."""

    def __init__(self, *, global_per_second: float, per_chat_per_second: float) -> None:
        self.slot = 1.0 / global_per_second
        self.chat_gap = CHAT_GAP_MARGIN / per_chat_per_second
        self._next_slot = -math.inf
        self._chat_ready: dict[int, float] = {}
        self.paused_until = -math.inf

    def chat_ready_at(self, chat_id: int) -> float:
        """When the chat may get its next message (ignoring the overall limit)."""
        return max(self._chat_ready.get(chat_id, -math.inf), self.paused_until)

    def start_at(self, chat_id: int, now: float) -> float:
        """The earliest moment a message to the chat may start."""
        return max(now, self.chat_ready_at(chat_id), self._next_slot)

    def book(self, chat_id: int, at: float) -> None:
        """A message to the chat starts `at` (now or later): take that overall slot and turn."""
        # Slightly late (the loop was busy): keep the schedule, the missed slots are used
        # at once. Later than that (idle): the schedule starts afresh, with no burst.
        behind = at - self._next_slot
        start = self._next_slot if behind <= CATCH_UP_SLOTS * self.slot else at
        self._next_slot = start + self.slot
        self._chat_ready[chat_id] = at + self.chat_gap
        if len(self._chat_ready) > _FORGET_AFTER:
            self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > at}

    def pause(self, seconds: float, now: float) -> None:
        """Telegram said RetryAfter: send nothing to anyone for `seconds`."""
        self.paused_until = max(self.paused_until, now + seconds)

    def paused_for(self, now: float) -> float:
        """Seconds left of a RetryAfter pause (0 when not paused)."""
        return max(0.0, self.paused_until - now)
