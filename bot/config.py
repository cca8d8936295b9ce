"""Settings from the environment and `.env`; every variable is documented in `.env.example`."""

from __future__ import annotations

import datetime as dt
import re
import socket
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/perfbot.db"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Telegram's rule for setWebhook's secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    """What the bot reads at start-up."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    database_url: str = DEFAULT_DATABASE_URL
    database_schema: str | None = None  # PostgreSQL: the schema to work in (search_path)
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    outbox_interval_seconds: float = Field(default=2.0, gt=0)
    outbox_global_per_second: float = Field(default=30.0, gt=0)
    outbox_per_chat_per_second: float = Field(default=1.0, gt=0)
    reminder_time: dt.time = dt.time(9, 0)  # local time of the daily reminder sweep
    cycle_auto_open: bool = True  # open tracking and self-evaluation by themselves (daily)
    escalate_head_after_days: int = Field(default=1, ge=1)  # working days overdue
    escalate_performance_after_days: int = Field(default=3, ge=1)
    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_retry_max_seconds: float = Field(default=600.0, gt=0)
    # The name this deliverer leases outbox messages in; after a crash it takes them back at
    # once. One name per machine (two bots on one machine share the delivery lock anyway).
    outbox_owner: str = Field(default_factory=socket.gethostname, max_length=100)
    # Flood limits per person (token buckets): a burst, then a steady rate per second.
    flood_burst: float = Field(default=40, ge=1)
    flood_per_second: float = Field(default=5.0, gt=0)
    stranger_flood_burst: float = Field(default=10, ge=1)
    stranger_flood_per_second: float = Field(default=1.0, gt=0)
    # Q3 tracking: how many percentage points below the time share still count as yellow.
    tracking_yellow_points: Decimal = Field(default=Decimal(10), ge=0, le=100)
    # Set only by `perfbot try`: a file the offline sandbox's clock control writes. Refused
    # unless the Bot API is on this machine, so real Telegram never sees a moved "today".
    sandbox_clock_file: str | None = None
    # The web dashboard (a Telegram Mini App): its public HTTPS address behind the reverse
    # proxy, and where this process listens. Without an address no web server is started and
    # /stats offers no 📊 button.
    web_app_url: str | None = None
    web_bind_host: str = "127.0.0.1"
    web_bind_port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)
    web_init_data_max_age_seconds: int = Field(default=3600, ge=60)  # auth_date freshness
    # Webhook mode: Telegram POSTs updates to WEBHOOK_URL (the public HTTPS address of the
    # reverse proxy), which forwards them to WEBHOOK_LISTEN:WEBHOOK_PORT of this process.
    # Without an address the bot polls. The secret proves a POST comes from Telegram.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None

    @field_validator("web_app_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("WEB_APP_URL must start with https:// (http:// only for tests)")
        return value.strip().rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        # Telegram only posts to HTTPS; plain HTTP is for a sandbox on this machine.
        local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
        if not (parts.scheme == "https" or local) or not parts.hostname:
            raise ValueError("WEBHOOK_URL must be an https:// address (http:// only to localhost)")
        return value

    @model_validator(mode="after")
    def _webhook_secret_set(self) -> Settings:
        # Without the secret anyone who finds the address could post updates as Telegram.
        if self.webhook_url is None:
            return self
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not WEBHOOK_SECRET_PATTERN.fullmatch(secret):
            raise ValueError(
                "WEBHOOK_SECRET is required with WEBHOOK_URL: 1-256 characters of "
                "A-Z, a-z, 0-9, _ and -"
            )
        return self

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        # Refuse an unknown zone at start-up rather than at the first reminder.
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, ImportError) as exc:
            raise ValueError(f"unknown TIMEZONE {value!r} (e.g. Asia/Shanghai)") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @cached_property
    def tz(self) -> ZoneInfo:
        """The bureau's timezone: deadlines and reminder times are local."""
        return ZoneInfo(self.timezone)

    @property
    def bot_api_is_local(self) -> bool:
        """Whether the Bot API (and file) URLs point at this machine, i.e. a sandbox."""
        hosts = {urlsplit(self.telegram_base_url).hostname}
        hosts.add(urlsplit(self.telegram_base_file_url).hostname)
        return hosts <= LOCAL_HOSTS

    @property
    def sandbox_clock_allowed(self) -> bool:
        """No clock file at all, or one next to a local sandbox."""
        return not self.sandbox_clock_file or self.bot_api_is_local

    def database_options(self) -> dict[str, Any]:
        """Engine options: the PostgreSQL schema, when one is set."""
        if not self.database_schema:
            return {}
        return {"connect_args": {"server_settings": {"search_path": self.database_schema}}}

    @property
    def webhook_path(self) -> str:
        """The path this process serves the webhook on: the public address's path."""
        return urlsplit(self.webhook_url or "").path or "/"

    def webhook_secret_value(self) -> str:
        """The webhook's secret token ("" when polling)."""
        return self.webhook_secret.get_secret_value() if self.webhook_secret else ""

    def token(self) -> str | None:
        """The bot token, or None when it is not set."""
        if self.telegram_bot_token is None:
            return None
        value = self.telegram_bot_token.get_secret_value().strip()
        return value or None
