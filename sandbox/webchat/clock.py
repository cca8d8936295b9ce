"""The training clock: how many days the bot's "today" is moved forward, kept in a file.

The bot reads the file only when started with SANDBOX_CLOCK_FILE next to a local sandbox
(`perfbot try`); it refuses the setting against real Telegram.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from zoneinfo import ZoneInfo

MAX_DAYS = 3660


class SandboxClock:
    """Days added to the bot's clock; written atomically so the bot never reads half a file."""

    def __init__(self, path: Path, *, timezone: str = "Asia/Shanghai") -> None:
        self.path = path
        self.tz = ZoneInfo(timezone)
        self.offset_days = self._read()
        # (machine time it took effect, offset days): a message keeps the day it was sent on.
        self._moves: list[tuple[float, int]] = [(float("-inf"), self.offset_days)]

    def _read(self) -> int:
        try:
            seconds = float(json.loads(self.path.read_text(encoding="utf-8"))["offset_seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0
        return int(seconds // 86400)

    def _write(self) -> None:
        scratch = self.path.with_suffix(".tmp")
        scratch.write_text(json.dumps({"offset_seconds": self.offset_days * 86400}), "utf-8")
        os.replace(scratch, self.path)

    def advance(self, days: int) -> None:
        """Move today forward (never back: the bot's records must stay in order)."""
        if not 0 < days <= MAX_DAYS or self.offset_days + days > MAX_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_DAYS}")
        self.offset_days += days
        self._write()
        # Message dates are whole seconds: the second of the move already counts as moved.
        self._moves.append((float(int(time.time())), self.offset_days))

    def shift(self, timestamp: int) -> int:
        """A machine timestamp as the bot's clock showed it then."""
        days = next(d for since, d in reversed(self._moves) if since <= timestamp)
        return timestamp + days * 86400

    def ensure_file(self) -> None:
        """Create the file with the current offset (0 on a first run)."""
        self._write()

    @property
    def today(self) -> dt.date:
        """The bot's today in the bureau's zone."""
        now = dt.datetime.now(self.tz) + dt.timedelta(days=self.offset_days)
        return now.date()

    def view(self) -> dict[str, object]:
        """What the page shows."""
        return {
            "offset_days": self.offset_days,
            "today": self.today.isoformat(),
            "timezone": self.tz.key,
        }
