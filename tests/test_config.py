"""Settings: every variable documented in .env.example, and bad values refused at start-up."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import DEFAULT_DATABASE_URL, Settings

ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def _documented() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))


def test_every_setting_is_documented_in_env_example() -> None:
    assert {name.upper() for name in Settings.model_fields} <= _documented()


def test_env_example_names_only_real_settings() -> None:
    assert _documented() <= {name.upper() for name in Settings.model_fields}


def test_defaults_need_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    settings = Settings()
    assert settings.token() is None
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.telegram_base_file_url == "https://api.telegram.org/file/bot"
    assert str(settings.tz) == "Asia/Shanghai"


def test_a_blank_token_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "   ")
    assert Settings().token() is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIMEZONE", "Mars/Olympus"),
        ("LOG_LEVEL", "LOUD"),
        ("OUTBOX_GLOBAL_PER_SECOND", "0"),
        ("TRACKING_YELLOW_POINTS", "-1"),
        ("TRACKING_YELLOW_POINTS", "十"),
    ],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_the_tracking_threshold_is_read_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKING_YELLOW_POINTS", "7.5")
    assert Settings().tracking_yellow_points == Decimal("7.5")


@pytest.mark.parametrize(
    "env",
    [
        {"WEBHOOK_URL": "https://bot.example.org/telegram"},  # no secret
        {"WEBHOOK_URL": "https://bot.example.org/telegram", "WEBHOOK_SECRET": "has spaces"},
        {"WEBHOOK_URL": "https://bot.example.org/telegram", "WEBHOOK_SECRET": "x" * 257},
        {"WEBHOOK_URL": "http://bot.example.org/telegram", "WEBHOOK_SECRET": "s3cret"},
        {"WEBHOOK_URL": "bot.example.org/telegram", "WEBHOOK_SECRET": "s3cret"},
        {"WEBHOOK_URL": "https://bot.example.org/t", "WEBHOOK_SECRET": "s", "WEBHOOK_PORT": "0"},
    ],
)
def test_bad_webhook_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_webhook_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", " https://bot.example.org/perfbot/telegram ")
    monkeypatch.setenv("WEBHOOK_SECRET", "Abc_123-xyz")
    settings = Settings()
    assert settings.webhook_url == "https://bot.example.org/perfbot/telegram"
    assert settings.webhook_path == "/perfbot/telegram"  # what the proxy forwards
    assert settings.webhook_secret_value() == "Abc_123-xyz"
    assert "Abc_123" not in repr(settings)
    monkeypatch.setenv("WEBHOOK_URL", "")
    assert Settings().webhook_url is None  # polling
