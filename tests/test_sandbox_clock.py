"""The sandbox clock cannot move "today" of a bot serving real Telegram."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import build_application
from bot.config import Settings
from bot.sandbox_clock import ClockOutsideSandboxError
from storage.db import Database
from storage.types import clock_offset, utcnow


def _clock_file(tmp_path: Path, days: int) -> Path:
    path = tmp_path / "clock.json"
    path.write_text(f'{{"offset_seconds": {days * 86400}}}', encoding="utf-8")
    return path


def test_perfbot_run_refuses_the_clock_file_against_real_telegram(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:REAL-LOOKING-TOKEN")
    monkeypatch.delenv("TELEGRAM_BASE_URL", raising=False)
    monkeypatch.delenv("TELEGRAM_BASE_FILE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("SANDBOX_CLOCK_FILE", str(_clock_file(tmp_path, 30)))
    before = utcnow()

    assert main(["run"]) == 2

    assert "SANDBOX_CLOCK_FILE" in capsys.readouterr().err
    assert clock_offset() == dt.timedelta(0)
    assert utcnow() - before < dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("base_url", "file_url"),
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        # A local Bot API but files from Telegram still counts as real Telegram.
        ("http://127.0.0.1:8081/bot", "https://api.telegram.org/file/bot"),
        ("http://127.0.0.1.example.com/bot", "http://127.0.0.1.example.com/file/bot"),
    ],
)
def test_the_application_will_not_build_with_the_clock_against_a_remote_api(
    tmp_path: Path, base_url: str, file_url: str
) -> None:
    settings = Settings(
        _env_file=None,
        telegram_base_url=base_url,
        telegram_base_file_url=file_url,
        sandbox_clock_file=str(_clock_file(tmp_path, 30)),
    )
    assert not settings.sandbox_clock_allowed
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ClockOutsideSandboxError):
        build_application(settings, db, "123456:TOKEN")
    assert clock_offset() == dt.timedelta(0)


def test_the_clock_is_allowed_next_to_a_local_sandbox_only_when_asked(tmp_path: Path) -> None:
    local = {
        "telegram_base_url": "http://127.0.0.1:5000/bot",
        "telegram_base_file_url": "http://127.0.0.1:5000/file/bot",
    }
    assert Settings(_env_file=None, **local).sandbox_clock_allowed  # no file: nothing moves
    with_file = Settings(_env_file=None, sandbox_clock_file=str(tmp_path / "c.json"), **local)
    assert with_file.sandbox_clock_allowed
    assert not Settings(_env_file=None, sandbox_clock_file="c.json").sandbox_clock_allowed


def test_only_perfbot_try_serves_the_web_chat() -> None:
    """`perfbot run` never starts the page: nothing outside bot/playground imports it."""
    root = Path(__file__).resolve().parent.parent / "bot"
    users = {
        path.relative_to(root).parts[0]
        for path in root.rglob("*.py")
        if "sandbox.webchat" in path.read_text(encoding="utf-8")
    }
    assert users == {"playground"}
