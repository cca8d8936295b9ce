"""`perfbot try`: sandbox + web chat + a database with a small bureau + the real bot process.

Everything runs on this machine; nothing talks to Telegram. The page is served by the
sandbox itself; the bot's clock follows the page's clock control through a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.cli.text import cli_text
from bot.demo.run import SCENES, DemoWorld
from bot.playground.bureau import cast, registered, seed
from bot.playground.directory import BotDirectory
from sandbox.harness import BotProcess, BotProcessError
from sandbox.server import BotApiSandbox
from sandbox.webchat import SandboxClock, WebChat
from sandbox.webchat.directory import Replay
from storage import migrate
from storage.db import Database

BOT_NAME = "绩效助手"


def _clock_path(database_url: str | None, workdir: Path) -> Path:
    """Next to a kept SQLite file (its dates and the clock belong together), else scratch."""
    if database_url:
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite" and url.database:
            return Path(url.database).with_suffix(".clock.json")
    return workdir / "clock.json"


def demo_replay(sandbox: BotApiSandbox, bot: BotProcess, db: Database) -> Replay:
    """`make demo`'s scenes, played into this sandbox (its people join the page's list)."""

    async def replay() -> None:
        world = DemoWorld(sandbox=sandbox, bot=bot, db=db)
        for scene in SCENES:
            await scene(world)

    return replay


async def _wait_for_stop() -> None:
    """Until Ctrl-C or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _people(db: Database, sandbox: BotApiSandbox, *, kept: bool, empty: bool) -> None:
    """Chats for everyone a kept database knows; a fresh one gets the starting bureau."""
    known = await registered(db) if kept else []
    if known:
        print(cli_text("try_kept", count=len(known)), flush=True)
        for telegram_id, name in known:
            sandbox.add_user(telegram_id, name)
        return
    print(cli_text("try_seeding", count=len(cast(empty=empty))), flush=True)
    await seed(db, sandbox, empty=empty)


async def run_try(*, host: str, port: int, database_url: str | None, empty: bool) -> int:
    """Run until stopped; 0 on a clean stop, 2 when something could not start.

    The page lets anyone act as anyone, so `perfbot try` binds to this machine only.
    """
    with tempfile.TemporaryDirectory(prefix="perfbot-try-") as scratch:
        workdir = Path(scratch)
        url = database_url or f"sqlite+aiosqlite:///{workdir / 'try.db'}"
        shown = make_url(url).render_as_string(hide_password=True)
        print(cli_text("try_starting", database=shown), flush=True)
        await asyncio.to_thread(migrate.upgrade, url)
        db = Database(url)
        clock = SandboxClock(_clock_path(database_url, workdir))
        clock.ensure_file()
        sandbox = BotApiSandbox(bot_name=BOT_NAME, host=host, port=port)
        bot = BotProcess(
            sandbox,
            database_url=url,
            workdir=workdir,
            # The clock control is for watching the cycle move: tracking and self-evaluation
            # open by themselves when their day comes, as in production.
            extra_env={
                "SANDBOX_CLOCK_FILE": str(clock.path),
                "LOG_LEVEL": "WARNING",
                "CYCLE_AUTO_OPEN": "true",
            },
        )
        replay = demo_replay(sandbox, bot, db)
        WebChat(sandbox, directory=BotDirectory(db), clock=clock, replay=replay).install()
        try:
            await sandbox.start()
        except OSError as exc:
            await db.dispose()
            print(cli_text("try_port_busy", port=port, detail=exc.strerror), file=sys.stderr)
            return 2
        try:
            await bot.start()
            await _people(db, sandbox, kept=database_url is not None, empty=empty)
            print(cli_text("try_ready", url=f"{sandbox.url}/"), flush=True)
            await _wait_for_stop()
        except (BotProcessError, TimeoutError) as exc:
            print(cli_text("try_failed", detail=exc), file=sys.stderr)
            print(bot.log()[-4000:], file=sys.stderr)
            return 2
        finally:
            with contextlib.suppress(Exception):
                await bot.stop()
            await sandbox.stop()
            await db.dispose()
        print(cli_text("try_stopped"), flush=True)
        return 0
