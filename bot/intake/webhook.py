"""Webhook mode: Telegram POSTs each update here; it is stored before the 200 is sent.

Telegram counts an update delivered when its POST is answered with a 2xx, and sends it again
later after anything else (or no answer at all). So the answer waits for the inbox: the update
is stored (one committed INSERT, unique update_id) and only then answered 200; when the store
fails (the database is down) the answer is 500 and Telegram keeps the update. A crash after
the commit leaves a stored, unfinished update, which start-up takes up again; a crash before
it loses nothing Telegram will not send again. Stored updates go on the application's queue,
where the same processor as in polling handles them, each chat in order.

python-telegram-bot's own `run_webhook` (tornado) answers 200 as soon as an update is queued,
before anything is stored, hence this small aiohttp server.

At stop the webhook is left set on purpose: Telegram keeps the updates that arrive while the
bot is down and delivers them once it is back (retrying with growing pauses), exactly as after
a crash, when nothing could delete it anyway. Deleting it would also let a second process
that polls by mistake take updates meant for this one; with the webhook set it gets a 409.
Switching back to polling needs no step: `perfbot run` without WEBHOOK_URL deletes the
webhook (keeping pending updates) before its first getUpdates.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.error import BadRequest
from telegram.ext import Application

from bot import services
from bot.config import Settings
from storage import inbox
from storage.db import Database

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few kB (a text is at most 4,096 characters)
MAX_UPDATE_ID = 2**63 - 1  # the inbox's BIGINT
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class ReceiverUnavailable(Exception):
    """The webhook's address cannot be listened on (the message says why)."""


class WebhookRefused(Exception):
    """Telegram refused setWebhook (the message is its reason)."""


class WebhookReceiver:
    """Checks, stores and queues the updates Telegram POSTs; answers only after the store."""

    def __init__(
        self, *, db: Database, bot: Bot, queue: asyncio.Queue[object], secret: str
    ) -> None:
        self.db = db
        self.bot = bot
        self.queue = queue
        self.secret = secret.encode()
        # One update at a time from store to queue: the queue (and so each chat's turn in the
        # processor) keeps the order in which the POSTs came, as polling keeps a batch's order.
        self._lock = asyncio.Lock()

    async def handle(self, request: web.Request) -> web.Response:
        """One POST from Telegram: 403 without the secret, 400 for junk, 500 if not stored."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("webhook POST without the right secret refused")
            return _answer(403)
        update = await self._read(request)
        if update is None:
            return _answer(400)
        async with self._lock:
            try:
                queue_it = await self._store(update)
            except Exception as error:  # not stored: Telegram must send it again
                log.warning("update %s not stored: %s", update.update_id, type(error).__name__)
                return _answer(500)
            if queue_it:
                await self.queue.put(update)
        return _answer(200)

    async def _read(self, request: web.Request) -> Update | None:
        """The update in the body, or None for anything that is not one."""
        try:
            body = await request.read()
            payload = json.loads(body)
        except (web.HTTPRequestEntityTooLarge, ValueError, RecursionError):
            return None
        update_id = payload.get("update_id") if isinstance(payload, dict) else None
        if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:
            return None
        try:
            return Update.de_json(payload, self.bot)
        except Exception:  # a shape python-telegram-bot cannot read
            return None

    async def _store(self, update: Update) -> bool:
        """Store the update; whether to queue it (new, or stored but never queued here)."""
        stored = await inbox.store(self.db, [update.to_dict()])
        if update.update_id in stored:
            return True
        # A redelivery: queue it again only while unfinished (stored just before a failed
        # answer, or before a crash). The processor takes each update id once, so one that is
        # already waiting in this process is not handled twice.
        found = await inbox.look_up(self.db, update.update_id)
        return found is not None and not found.finished


ANSWERS = {200: "ok", 400: "not an update", 403: "forbidden", 500: "not stored, send again"}


def _answer(status: int) -> web.Response:
    """A short plain answer: Telegram reads only the status."""
    return web.Response(status=status, text=ANSWERS[status])


def build_webhook_app(receiver: WebhookReceiver, path: str) -> web.Application:
    """The aiohttp application: POST on the webhook's path, nothing else."""
    # Bigger bodies are refused by request.read(), answered 400 like any junk.
    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(path, receiver.handle)
    return app


async def start_receiver(application: AnyApplication, settings: Settings) -> web.AppRunner:
    """Listen on WEBHOOK_LISTEN:WEBHOOK_PORT for Telegram's POSTs."""
    receiver = WebhookReceiver(
        db=services.get_from_app(application).db,
        bot=application.bot,
        queue=application.update_queue,
        secret=settings.webhook_secret_value(),
    )
    # At stop, a POST in flight gets a moment to finish its store; one cut short was never
    # answered 200, so Telegram sends it again.
    runner = web.AppRunner(
        build_webhook_app(receiver, settings.webhook_path), access_log=None, shutdown_timeout=5.0
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
    except OSError as error:
        await runner.cleanup()
        raise ReceiverUnavailable(error.strerror or str(error)) from error
    return runner


async def serve_webhook(
    application: AnyApplication,
    settings: Settings,
    *,
    allowed_updates: Sequence[str],
    stopped: asyncio.Event,
) -> None:
    """Start, serve the webhook until `stopped` is set, stop; the webhook stays set."""
    async with AsyncExitStack() as started:  # undone in reverse, whatever fails
        await application.initialize()
        started.push_async_callback(_shut_down, application)
        if application.post_init:
            await application.post_init(application)  # replays unfinished updates first
        await application.start()
        started.push_async_callback(_stop, application)
        runner = await start_receiver(application, settings)
        started.push_async_callback(runner.cleanup)  # answers the POSTs in flight, then no more
        try:
            await application.bot.set_webhook(
                url=settings.webhook_url or "",
                secret_token=settings.webhook_secret_value(),
                allowed_updates=list(allowed_updates),
                drop_pending_updates=False,
            )
        except BadRequest as error:  # e.g. a port Telegram does not post to
            raise WebhookRefused(error.message) from error
        log.info(
            "webhook on %s:%s%s",
            settings.webhook_listen,
            settings.webhook_port,
            settings.webhook_path,
        )
        await stopped.wait()


async def _stop(application: AnyApplication) -> None:
    """Stop taking updates from the queue (and the application's own stop hook)."""
    await application.stop()
    if application.post_stop:
        await application.post_stop(application)


async def _shut_down(application: AnyApplication) -> None:
    """Release the application (and its own shutdown hook)."""
    await application.shutdown()
    if application.post_shutdown:
        await application.post_shutdown(application)


def run_webhook(
    application: AnyApplication, settings: Settings, *, allowed_updates: Sequence[str]
) -> None:
    """Serve in webhook mode until SIGINT or SIGTERM."""

    async def main() -> None:
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stop_signal, stopped.set)
        await serve_webhook(application, settings, allowed_updates=allowed_updates, stopped=stopped)

    asyncio.run(main())
