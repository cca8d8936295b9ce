"""Run the web dashboard inside the bot's process, when WEB_APP_URL is configured."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application

from bot import services

log = logging.getLogger(__name__)
RUNNER_KEY = "web_runner"


async def start_web(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Serve the dashboard on WEB_BIND_HOST:WEB_BIND_PORT; nothing without WEB_APP_URL."""
    found = services.get_from_app(application)
    settings = found.settings
    if not settings.web_app_url:
        return
    # aiohttp is imported only when the dashboard is served: a bot without it never loads it.
    from aiohttp import web

    from bot.web.app import build_web_app

    app = build_web_app(
        db=found.db,
        token=application.bot.token,
        max_age=settings.web_init_data_max_age_seconds,
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.web_bind_host, settings.web_bind_port)
    await site.start()
    application.bot_data[RUNNER_KEY] = runner
    log.info(
        "web dashboard on %s:%s for %s",
        settings.web_bind_host,
        settings.web_bind_port,
        settings.web_app_url,
    )


async def stop_web(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop serving the dashboard (when it was started)."""
    runner = application.bot_data.pop(RUNNER_KEY, None)
    if runner is not None:
        await runner.cleanup()
