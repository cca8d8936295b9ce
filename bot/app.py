"""Builds the python-telegram-bot Application: defaults, rate limiter, handlers, jobs."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, Defaults

from bot import services
from bot.config import Settings
from bot.conversations import form
from bot.errors import on_error
from bot.handlers import gate, leftovers
from bot.handlers.calendar import admin as calendar_admin
from bot.handlers.calendar import deadlines
from bot.handlers.dashboards import stats as dashboards
from bot.handlers.evaluation import tasks as evaluation
from bot.handlers.goals import issuance, projects
from bot.handlers.people import admin, fallback, me, orgs, start
from bot.handlers.results import disclosure as results_disclosure
from bot.handlers.results import selection as finance_checks
from bot.handlers.review import cards as review
from bot.handlers.review import precondition  # noqa: F401  (registers ☑️ on the review cards)
from bot.handlers.tracking import tasks as tracking
from bot.handlers.uploads import workbooks
from bot.intake import wiring as intake
from bot.jobs import schedule_jobs
from bot.ui.commands import bot_commands
from bot.web.server import start_web, stop_web
from storage.db import Database
from workflow.core.clock import set_bureau_tz

log = logging.getLogger(__name__)

FEATURES = (
    gate,
    form,
    start,
    me,
    admin,
    deadlines,
    calendar_admin,
    review,
    issuance,
    projects,
    tracking,
    evaluation,
    finance_checks,
    results_disclosure,
    dashboards,
    workbooks,
    orgs,
    fallback,  # last: answers what no feature handled
)


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Publish the command menu once the bot is known."""
    await application.bot.set_my_commands(bot_commands())
    await intake.start_intake(application, services.get_from_app(application).db)
    await start_web(application)
    log.info("perfbot is up as @%s", application.bot.username)


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop the web dashboard; close the database pool."""
    await stop_web(application)
    await services.get_from_app(application).db.dispose()


def build_application(settings: Settings, db: Database, token: str) -> Application:
    """The Application with every feature's handlers and the global error handler."""
    set_bureau_tz(settings.tz)
    bot = intake.inbox_bot(
        token,
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url,
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz),
        db=db,
    )
    application = (
        Application.builder()
        .bot(bot)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        # Different chats at once, each chat strictly in order (forms rely on it).
        .concurrent_updates(intake.processor(lambda: application, db, settings))
        .build()
    )
    services.install(application, services.Services(settings=settings, db=db))
    for feature in FEATURES:
        handlers = feature.build_handlers()
        application.add_handlers(handlers if feature is gate else gate.private_only(handlers))
    application.add_handlers(leftovers.build_handlers(application))
    application.add_error_handler(on_error)
    schedule_jobs(application)
    return application


ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
