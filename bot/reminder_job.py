"""The deadline reminder sweep on PTB's JobQueue: daily at REMINDER_TIME, and once at start-up.

The sweep is idempotent (every step has a unique key in the database), so running it late,
twice, in two processes, or right after a restart is always safe; the start-up run is what
catches up after downtime (or, before REMINDER_TIME, the daily run that follows it).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, CallbackContext

from bot import services
from bot.config import Settings
from storage.types import utcnow
from workflow.calendar.reminders import ReminderSettings, SweepResult, run_sweep
from workflow.calendar.rules import ensure_default_rules

log = logging.getLogger(__name__)

STARTUP_DELAY_SECONDS = 5
# misfire_grace_time None: a run that is late for any reason (a sleeping host, a long
# pause) still runs instead of being skipped; coalesce folds missed runs into one.
SWEEP_JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def reminder_settings(settings: Settings) -> ReminderSettings:
    """The sweep's settings from the environment."""
    return ReminderSettings(
        reminder_time=settings.reminder_time,
        escalate_head_after_days=settings.escalate_head_after_days,
        escalate_performance_after_days=settings.escalate_performance_after_days,
    )


async def reminder_sweep(context: CallbackContext[Any, Any, Any, Any]) -> SweepResult:
    """Queue today's reminders (and any step missed while the bot was down)."""
    shared = services.get(context)
    result = await run_sweep(shared.db, now=utcnow(), settings=reminder_settings(shared.settings))
    if result.before_time:
        log.info("reminder sweep for %s: before the reminder time, nothing due yet", result.day)
    else:
        log.info(
            "reminder sweep for %s: %d open items, %d reminders queued%s",
            result.day,
            result.items,
            result.queued,
            "" if result.working_day else " (not a working day)",
        )
    return result


async def startup_sweep(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Seed missing deadline rules, then catch up on whatever was missed while down."""
    added = await ensure_default_rules(services.get(context).db)
    if added:
        log.info("deadline rules added: %s", ", ".join(added))
    await reminder_sweep(context)


def schedule_reminders(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Daily at the configured local time, plus one run shortly after start-up."""
    settings = services.get_from_app(application).settings
    job_queue = application.job_queue
    job_queue.run_daily(
        reminder_sweep,
        time=settings.reminder_time.replace(tzinfo=settings.tz),
        name="reminder_sweep",
        job_kwargs=SWEEP_JOB_KWARGS,
    )
    job_queue.run_once(
        startup_sweep,
        when=STARTUP_DELAY_SECONDS,
        name="reminder_catch_up",
        job_kwargs=SWEEP_JOB_KWARGS,
    )
