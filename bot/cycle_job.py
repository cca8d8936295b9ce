"""The yearly cycle's automatic openings on PTB's JobQueue: daily, and once at start-up."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram.ext import Application, CallbackContext

from bot import services
from storage.types import utcnow
from workflow.evaluation import schedule as evaluation
from workflow.tracking import schedule as tracking

log = logging.getLogger(__name__)


STAGES = (
    ("tracking tasks", tracking.open_due_periods),
    ("self-evaluations", evaluation.open_due_periods),
)


async def open_periods(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Open the tracking and self-evaluation periods open today (idempotent, catches up)."""
    db, now = services.get(context).db, utcnow()
    for what, open_due in STAGES:
        try:
            opened = await open_due(db, now=now)
        except Exception:  # one stage's failure must not keep the other closed; retried daily
            log.exception("opening %s failed", what)
            continue
        for year, result in opened.items():
            if result.opened:
                log.info("opened %d %s for %d", len(result.opened), what, year)


def schedule_cycle_openings(
    application: Application[Any, Any, Any, Any, Any, Any], *, job_kwargs: dict[str, Any]
) -> None:
    """Daily at 07:00 local, and once soon after start-up (unless CYCLE_AUTO_OPEN is off)."""
    job_queue = application.job_queue
    assert job_queue is not None
    settings = services.get_from_app(application).settings
    if not settings.cycle_auto_open:
        return
    job_queue.run_daily(
        open_periods,
        time=dt.time(7, 0, tzinfo=settings.tz),
        name="open_cycle_periods",
        job_kwargs=job_kwargs,
    )
    job_queue.run_once(
        open_periods, when=5, name="open_cycle_periods_at_start", job_kwargs=job_kwargs
    )
