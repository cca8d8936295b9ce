"""What handlers and jobs share: settings and the database, kept in bot_data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext

from bot.config import Settings
from storage.db import Database

SERVICES_KEY = "services"


@dataclass(frozen=True, slots=True)
class Services:
    """The process-wide dependencies of the bot."""

    settings: Settings
    db: Database


def install(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Make the services reachable from every handler and job."""
    application.bot_data[SERVICES_KEY] = services


def get(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    """The services of the running application."""
    return context.bot_data[SERVICES_KEY]


def get_from_app(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    """The services of `application` (for post_init / post_shutdown hooks)."""
    return application.bot_data[SERVICES_KEY]
