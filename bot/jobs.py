"""Periodic jobs on PTB's JobQueue (APScheduler); each is idempotent and catches up."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from bot.cycle_job import schedule_cycle_openings
from bot.outbox.job import schedule_delivery
from bot.reminder_job import schedule_reminders
from bot.sandbox_clock import schedule_sandbox_clock

# Pass as job_kwargs to every run_* call. Late runs still run (APScheduler would skip a job
# that missed its time by more than a second), missed runs collapse into one, and a slow run
# is never overlapped by the next. Not set through scheduler.configure(): that replaces the
# executor PTB's JobQueue holds on to, and its shutdown then fails.
JOB_DEFAULTS = {"misfire_grace_time": 3600, "coalesce": True, "max_instances": 1}


def schedule_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every periodic job of the bot."""
    job_queue = application.job_queue
    if job_queue is None:  # the job-queue extra is a dependency; this guards misconfiguration
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    schedule_sandbox_clock(application)  # first: the start-up sweeps see the moved day
    schedule_reminders(application)
    schedule_delivery(application, job_kwargs=JOB_DEFAULTS)
    schedule_cycle_openings(application, job_kwargs=JOB_DEFAULTS)
