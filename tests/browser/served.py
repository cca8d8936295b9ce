"""The real bot, its sandbox and the web dashboard, served from a background event loop so
that the (synchronous) Playwright tests can drive Chromium in the foreground."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sandbox.client import SandboxUser
from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from tests.dashboard_world import DashboardWorld, build_dashboard_world
from tests.review_world import PEOPLE

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Served:
    """A running bot with its web dashboard on `web_url`, and each person's chat."""

    loop: asyncio.AbstractEventLoop
    sandbox: BotApiSandbox
    process: BotProcess
    users: dict[str, SandboxUser]
    world: DashboardWorld
    web_url: str

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run a coroutine on the serving loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)


def serve(template: Path, workdir: Path) -> tuple[Served, threading.Thread]:
    """Start the loop, the sandbox, the dashboard's world and the bot with a web address."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="served-bot", daemon=True)
    thread.start()
    path = workdir / "bot.db"
    shutil.copyfile(template, path)
    url = f"sqlite+aiosqlite:///{path}"
    port = free_port()
    web_url = f"http://127.0.0.1:{port}"

    async def start() -> Served:
        sandbox = BotApiSandbox()
        await sandbox.start()
        db = Database(url)
        world = await build_dashboard_world(db)
        await db.dispose()
        process = BotProcess(
            sandbox,
            database_url=url,
            workdir=workdir / "bot",
            extra_env={"WEB_APP_URL": web_url, "WEB_BIND_PORT": str(port)},
        )
        await process.start()
        users = {
            key: sandbox.add_user(telegram_id, name)
            for key, (name, telegram_id, _) in PEOPLE.items()
        }
        return Served(loop, sandbox, process, users, world, web_url)

    served = asyncio.run_coroutine_threadsafe(start(), loop).result(90)
    return served, thread


def stop(served: Served, thread: threading.Thread) -> None:
    served.run(served.process.stop())
    served.run(served.sandbox.stop())
    served.loop.call_soon_threadsafe(served.loop.stop)
    thread.join(timeout=10)
