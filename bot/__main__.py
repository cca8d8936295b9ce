"""The `perfbot` command line: run the bot, play the demo, manage the database."""

from __future__ import annotations

import gc

# Importing the bot builds some 130,000 objects that live as long as the process; collecting
# while they are built walks them again and again (two full collections, 0.1-0.15 s of a start
# on the benchmark machine) and frees next to nothing. Collection resumes at the end of this
# module, with them frozen out of its sight (`_settle`).
_COLLECTING = gc.isenabled()
gc.disable()

import argparse
import asyncio
import logging
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.bot_api import bot_api_request
from bot.cli import calendar as cli_calendar
from bot.cli import cycle as cli_cycle
from bot.cli import evaluation as cli_evaluation
from bot.cli import people as cli_people
from bot.cli.db import schema_problem
from bot.cli.text import cli_text
from bot.config import Settings
from storage import migrate
from storage.db import Database


def configure_logging(level: str) -> None:
    """Log to stderr; httpx logs request URLs, which carry the token, so keep it quiet."""
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG python-telegram-bot logs whole updates (what people typed): never below INFO.
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))


def _fail(message: str, code: int = 1) -> int:
    print(message, file=sys.stderr)
    return code


async def _telegram_problem(settings: Settings, token: str) -> str | None:
    """A message when the token is refused or the Bot API cannot be reached."""
    request = bot_api_request()  # one client: this bot never polls
    bot = Bot(
        token, base_url=settings.telegram_base_url, request=request, get_updates_request=request
    )
    try:
        await bot.get_me()
    except InvalidToken as exc:
        return cli_text("invalid_token", detail=exc.message)
    except NetworkError as exc:
        return cli_text("unreachable", url=settings.telegram_base_url, detail=exc.message)
    finally:
        await bot.shutdown()
    return None


def _bind_problem(host: str, port: int, key: str) -> str | None:
    """The message `key` when host:port cannot be bound."""
    try:
        with socket.create_server((host, port)):
            return None
    except OSError as exc:
        return cli_text(key, host=host, port=port, detail=exc.strerror or str(exc))


def _web_problem(settings: Settings) -> str | None:
    """A message when the web dashboard or the webhook cannot bind their addresses."""
    if settings.web_app_url:
        problem = _bind_problem(settings.web_bind_host, settings.web_bind_port, "web_bind_failed")
        if problem:
            return problem
    if settings.webhook_url:
        return _bind_problem(settings.webhook_listen, settings.webhook_port, "webhook_bind_failed")
    return None


async def _preflight(settings: Settings, db: Database, token: str) -> str | None:
    """Check the database, Telegram and the web address before serving, so failures read as
    sentences."""
    try:
        return (
            await schema_problem(db)
            or await _telegram_problem(settings, token)
            or _web_problem(settings)
        )
    finally:
        await db.dispose()


def _settle() -> None:
    """Keep what starting built out of every later garbage collection.

    Modules, classes and tables live as long as the process and are never garbage, yet each
    full collection walks them all again: 0.13-0.17 s of a paused event loop on the 2-core
    benchmark machine (and part of the start-up). Frozen, a full collection takes under 1 ms.
    """
    gc.freeze()


def _serve_webhook(
    application: Any, settings: Settings, allowed_updates: Sequence[str]
) -> int | None:
    """Serve by webhook until stopped; the exit code when it cannot (aiohttp loaded only here)."""
    from bot.intake.webhook import ReceiverUnavailable, WebhookRefused, run_webhook

    try:
        run_webhook(application, settings, allowed_updates=allowed_updates)
    except WebhookRefused as exc:
        return _fail(cli_text("webhook_refused", url=settings.webhook_url, detail=str(exc)))
    except ReceiverUnavailable as exc:  # the webhook's address taken since the check
        return _fail(
            cli_text(
                "webhook_bind_failed",
                host=settings.webhook_listen,
                port=settings.webhook_port,
                detail=str(exc),
            )
        )
    return None


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    """Serve Telegram (or the sandbox) until stopped: by webhook with WEBHOOK_URL, else polling."""
    gc.disable()  # the handlers' imports, like the command line's, need no collection
    try:
        from bot.app import ALLOWED_UPDATES, build_application
    finally:
        if _COLLECTING:
            gc.enable()

    token = settings.token()
    if token is None:
        return _fail(cli_text("no_token"), 2)
    if not settings.sandbox_clock_allowed:
        return _fail(cli_text("clock_outside_sandbox", url=settings.telegram_base_url), 2)
    db = Database(settings.database_url, **settings.database_options())
    problem = asyncio.run(_preflight(settings, db, token))
    if problem:
        return _fail(problem, 2)
    application = build_application(settings, db, token)
    _settle()
    try:
        if settings.webhook_url:
            failed = _serve_webhook(application, settings, ALLOWED_UPDATES)
            if failed is not None:
                return failed
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES, close_loop=False)
    except InvalidToken as exc:
        return _fail(cli_text("invalid_token", detail=exc.message))
    except NetworkError as exc:
        return _fail(cli_text("unreachable", url=settings.telegram_base_url, detail=exc.message))
    print(cli_text("stopped"), file=sys.stderr)
    return 0


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    """Create or upgrade the database schema."""
    migrate.upgrade(settings.database_url, args.revision)
    print(cli_text("db_upgraded", revision=migrate.current(settings.database_url)))
    return 0


def cmd_db_current(settings: Settings, _args: argparse.Namespace) -> int:
    """Print the database's revision."""
    print(migrate.current(settings.database_url) or "(empty)")
    return 0


def cmd_db_check(settings: Settings, _args: argparse.Namespace) -> int:
    """Fail when models and migrations disagree."""
    migrate.check(settings.database_url)
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Play the scripted demo against the offline sandbox."""
    from bot.demo.run import run_demo

    return asyncio.run(run_demo(database_url=args.database_url))


def cmd_try(settings: Settings, args: argparse.Namespace) -> int:
    """Play the bot by hand in a browser: the offline sandbox's web chat."""
    from bot.playground.run import run_try

    return asyncio.run(
        run_try(host="127.0.0.1", port=args.port, database_url=args.db, empty=args.empty)
    )


Command = Callable[[Settings, argparse.Namespace], int]
# Feature modules add their subcommands here: each takes the subparsers object and gives
# every parser it adds a `func` default with the Command signature.
CLI_FEATURES: tuple[Callable[[Any], None], ...] = (
    cli_people.register,
    cli_calendar.register,
    cli_cycle.register,
    cli_evaluation.register,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="perfbot", description="绩效助手 (perfbot)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve Telegram (long polling, or webhook with WEBHOOK_URL)")
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="play the scripted demo against the offline sandbox")
    demo.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    demo.set_defaults(func=cmd_demo)
    trial = sub.add_parser("try", help="play the bot as several people in a browser (offline)")
    trial.add_argument("--port", type=int, default=8800, help="port of the page (0: any free)")
    trial.add_argument("--db", default=None, help="keep this database between runs (URL)")
    trial.add_argument("--empty", action="store_true", help="start with only the administrator")
    trial.set_defaults(func=cmd_try)
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    up = db.add_parser("upgrade", help="create or upgrade the schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)
    db.add_parser("current", help="show the schema revision").set_defaults(func=cmd_db_current)
    db.add_parser("check", help="models and migrations agree").set_defaults(func=cmd_db_check)
    for register in CLI_FEATURES:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `perfbot` and `python -m bot`."""
    args = build_parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level)
    func: Command = args.func
    return func(settings, args)


_settle()
if _COLLECTING:
    gc.enable()

if __name__ == "__main__":
    sys.exit(main())
