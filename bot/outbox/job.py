"""Outbox delivery on PTB's JobQueue: once at start-up, then every OUTBOX_INTERVAL_SECONDS.

The job sends through the application's bot without its rate limiter (`outbox_bot`). The
limiter (`AIORateLimiter(max_retries=2)` in `bot.app`) suits handler replies, which have no
outbox to come back to; in front of the outbox it would fight the deliverer's own pacing
(`bot.outbox.delivery`): it would sleep through a RetryAfter inside one send and retry it unseen
(no pause for the others, no record), while the sends the pacer kept starting wait at its
gate and then leave together. Handler replies and the outbox together can exceed the
overall limit for a moment; Telegram then answers RetryAfter, which each side honours in
its own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.ext import Application, ContextTypes, ExtBot

from bot import services
from bot.outbox.delivery import Deliverer, DeliveryPolicy

JOB_NAME = "outbox_delivery"
STARTUP_JOB_NAME = "outbox_delivery_at_start"


def outbox_bot(bot: ExtBot[Any]) -> ExtBot[None]:
    """The same bot (token, server, connection pool, defaults) without a rate limiter.

    It shares the application bot's connections, which the application opens and closes.
    """
    return ExtBot(
        bot.token,
        base_url=lambda _token: bot.base_url,
        base_file_url=lambda _token: bot.base_file_url,
        request=bot.request,
        get_updates_request=bot.request,  # never polls; no client of its own to close
        defaults=bot.defaults,
    )


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """What the delivery jobs share: the deliverer and the bot it sends with."""

    deliverer: Deliverer
    bot: Bot


async def deliver_outbox(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send what the outbox holds (the repeating job)."""
    assert context.job is not None
    job: DeliveryJob = context.job.data  # type: ignore[assignment]
    await job.deliverer.run(job.bot, keep_going=lambda: context.application.running)


def schedule_delivery(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    job_kwargs: Mapping[str, Any] | None = None,
) -> None:
    """Drain the outbox at start-up, then every `outbox_interval_seconds`."""
    found = services.get_from_app(application)
    deliverer = Deliverer(found.db, DeliveryPolicy.from_settings(found.settings))
    data = DeliveryJob(deliverer, outbox_bot(application.bot))
    job_queue = application.job_queue
    assert job_queue is not None
    kwargs = dict(job_kwargs or {})
    # A backlog left by downtime goes out right away. Not `run_repeating(first=0)`: APScheduler
    # moves a first run that passed before the scheduler started to one interval later.
    # Both jobs share the deliverer, whose lock makes the later of two overlapping runs return.
    job_queue.run_once(deliver_outbox, when=0, name=STARTUP_JOB_NAME, data=data, job_kwargs=kwargs)
    job_queue.run_repeating(
        deliver_outbox,
        interval=found.settings.outbox_interval_seconds,
        name=JOB_NAME,
        data=data,
        job_kwargs=kwargs,
    )
