"""Runs the real bot as a subprocess against a sandbox: for end-to-end tests and the demo."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from sandbox.server import BotApiSandbox

DEFAULT_COMMAND = (sys.executable, "-m", "bot", "run")


class BotProcessError(RuntimeError):
    """The bot process did not come up, or died; the message carries its log."""


class BotProcess:
    """`perfbot run` in a child process, pointed at a sandbox, with its log kept in a file."""

    def __init__(
        self,
        sandbox: BotApiSandbox,
        *,
        database_url: str,
        workdir: Path,
        extra_env: Mapping[str, str] | None = None,
        command: Sequence[str] = DEFAULT_COMMAND,
    ) -> None:
        self.sandbox = sandbox
        self.database_url = database_url
        self.workdir = workdir
        self.extra_env = dict(extra_env or {})
        self.command = tuple(command)
        self.log_path = workdir / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    def environment(self) -> dict[str, str]:
        """The child's environment: ours, minus anything Telegram, plus the sandbox's."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "OUTBOX_", "FLOOD_", "STRANGER_FLOOD_", "WEBHOOK_"))
        }
        env.update(
            TELEGRAM_BOT_TOKEN=self.sandbox.token,
            TELEGRAM_BASE_URL=self.sandbox.base_url,
            TELEGRAM_BASE_FILE_URL=self.sandbox.base_file_url,
            DATABASE_URL=self.database_url,
            LOG_LEVEL=env.get("PERFBOT_E2E_LOG_LEVEL", "INFO"),
            OUTBOX_INTERVAL_SECONDS="0.2",
            # Scripted scenes open tracking themselves; an opening that depends on today's
            # date would race them.
            CYCLE_AUTO_OPEN="false",
            # Scripted people type far faster than anyone; flood tests set their own limits.
            FLOOD_BURST="1000",
            FLOOD_PER_SECOND="1000",
            STRANGER_FLOOD_BURST="1000",
            STRANGER_FLOOD_PER_SECOND="1000",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    @property
    def running(self) -> bool:
        """Whether the child is alive."""
        return self.process is not None and self.process.returncode is None

    def log(self) -> str:
        """Everything the bot logged so far (all its runs)."""
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    def _ready_calls(self) -> int:
        """Polls, and webhooks set: the bot makes one of them once it serves."""
        hooks = [call for call in self.sandbox.calls_to("setWebhook") if call.ok]
        return len(self.sandbox.calls_to("getUpdates")) + len(hooks)

    async def start(self, *, ready_timeout: float = 30.0) -> None:
        """Start the bot and wait until it polls the sandbox or has set its webhook."""
        if self.running:
            raise BotProcessError("the bot is already running")
        polls_before = self._ready_calls()
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start #{self.starts + 1} =====\n".encode())
            log.flush()
            # cwd is a scratch folder so a developer's .env never leaks into tests.
            self.process = await asyncio.create_subprocess_exec(
                *self.command,
                cwd=self.workdir,
                env=self.environment(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        self.starts += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ready_timeout
        while self._ready_calls() <= polls_before:
            if self.process.returncode is not None:
                raise BotProcessError(
                    f"the bot exited with {self.process.returncode} during start-up:\n{self.log()}"
                )
            if loop.time() > deadline:
                raise BotProcessError(
                    f"the bot did not serve within {ready_timeout}s:\n{self.log()}"
                )
            await asyncio.sleep(0.05)

    async def stop(self, *, timeout: float = 20.0) -> int:
        """Ask the bot to stop as an operator would (SIGTERM) and wait for it."""
        return await self._end(signal.SIGTERM, timeout)

    async def kill(self) -> int:
        """Kill the bot without warning, as a crash or a power cut would."""
        return await self._end(signal.SIGKILL, 10.0)

    async def restart(self) -> None:
        """Kill the bot and start it again."""
        await self.kill()
        await self.start()

    async def _end(self, sig: signal.Signals, timeout: float) -> int:
        if self.process is None:
            return 0
        if self.process.returncode is None:
            self.process.send_signal(sig)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode

    async def __aenter__(self) -> BotProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
