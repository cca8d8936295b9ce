"""The offline sandbox's clock control: `perfbot try` moves the bot's "today" forward.

The page writes `{"offset_seconds": N}` to SANDBOX_CLOCK_FILE; a job reads it every second,
moves `storage.types.utcnow` by that much, and runs the day's jobs (cycle openings, the
reminder sweep) at once so a trainer sees reminders, deadlines and escalation arrive.
Refused unless the Bot API is on this machine: real Telegram never gets a moved date.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from telegram.ext import Application, CallbackContext

from bot import services
from bot.config import Settings
from bot.cycle_job import open_periods
from bot.reminder_job import reminder_sweep
from storage.types import clock_offset, set_clock_offset

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0


class ClockOutsideSandboxError(RuntimeError):
    """SANDBOX_CLOCK_FILE is set while the bot talks to a Bot API on another machine."""


def read_offset(path: Path) -> dt.timedelta:
    """The offset the page wrote; zero when the file is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return dt.timedelta(seconds=float(data["offset_seconds"]))
    except (OSError, ValueError, KeyError, TypeError):
        return dt.timedelta(0)


async def follow_clock(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Apply a changed offset, then run the daily jobs for the new day."""
    settings = services.get(context).settings
    assert settings.sandbox_clock_file is not None
    offset = read_offset(Path(settings.sandbox_clock_file))
    if offset == clock_offset():
        return
    set_clock_offset(offset)
    log.info("sandbox clock moved: offset %s", offset)
    if settings.cycle_auto_open:
        await open_periods(context)
    await reminder_sweep(context)


def schedule_sandbox_clock(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Follow the sandbox clock file, when there is one and the Bot API is local."""
    settings: Settings = services.get_from_app(application).settings
    if not settings.sandbox_clock_file:
        return
    if not settings.sandbox_clock_allowed:
        raise ClockOutsideSandboxError(settings.telegram_base_url)
    set_clock_offset(read_offset(Path(settings.sandbox_clock_file)))
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        follow_clock, interval=POLL_SECONDS, first=POLL_SECONDS, name="sandbox_clock"
    )
