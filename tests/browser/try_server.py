"""`perfbot try` in a child process for the browser tests: the page's address and the log."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ADDRESS = re.compile(r"http://127\.0\.0\.1:\d+/")
START_SECONDS = 90.0


@contextmanager
def perfbot_try(workdir: Path, *extra: str) -> Iterator[tuple[str, Path]]:
    """Start `perfbot try` on a free port; yield (page address, log file); stop it after."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "try.log"
    database = f"sqlite+aiosqlite:///{workdir / 'try.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SANDBOX_"))}
    env["PYTHONUNBUFFERED"] = "1"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "try", "--port", "0", "--db", database, *extra],
            cwd=workdir,  # no developer .env
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while (found := ADDRESS.search(log_path.read_text("utf-8", "replace"))) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"perfbot try did not start:\n{log_path.read_text('utf-8')}")
            time.sleep(0.2)
        yield found.group(0), log_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
