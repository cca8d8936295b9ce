"""Start-up benchmark: `perfbot run` from exec to its first poll, and its resident memory idle.

The real bot process is started against the Bot API sandbox (as the end-to-end tests do) on
a migrated SQLite file; timed from the spawn until the sandbox receives the first getUpdates,
then the process's RSS is read from /proc after it has idled for two seconds. Printed beside
the anchor of the same run: a bare `python -c "import telegram.ext"` start, the least a
python-telegram-bot process costs, and the ratio; and the CPU each used, which the machine's
load sways less than wall time. Targets: ≤ 0.8 s to the first poll and
≤ 90 MB idle RSS.

The project's bytecode is written first, as an installed package has it (the anchor's
python-telegram-bot has its own): otherwise a fresh checkout, or PYTHONDONTWRITEBYTECODE,
would time the compiler on every start.
"""

from __future__ import annotations

import asyncio
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.common import sqlite_url
from sandbox import BotApiSandbox
from sandbox.harness import BotProcess

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "workflow", "storage", "templates")
TARGET_SECONDS = 0.8
TARGET_RSS_MB = 90.0
RUNS = 3


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used so far (less swayed by load than wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _once(url: str, workdir: Path) -> tuple[float, float, float]:
    async with BotApiSandbox() as sandbox:
        bot = BotProcess(sandbox, database_url=url, workdir=workdir)
        # The sandbox stamps each call with time.time() as it arrives: the first poll's stamp
        # is exact, where the harness notices it only at its next 50 ms look.
        started = time.time()
        await bot.start()
        seconds = sandbox.calls_to("getUpdates")[0].time - started
        assert bot.process is not None
        cpu = _cpu_seconds(bot.process.pid)  # read within 50 ms of the first poll
        await asyncio.sleep(2.0)
        rss = _rss_mb(bot.process.pid)
        await bot.stop()
    return seconds, cpu, rss


def _write_bytecode() -> None:
    """Compile the project's modules to .pyc, as installing the package would."""
    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1)


def _bare_ptb() -> tuple[float, float]:
    """Wall and CPU seconds of a bare `python -c "import telegram.ext"`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import telegram.ext"], check=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the bot a few times and print the medians; 1 when a target is missed."""
    del argv
    print("start-up: `perfbot run` against the sandbox, SQLite")
    _write_bytecode()
    bare = [_bare_ptb() for _ in range(RUNS)]
    anchor = statistics.median(s for s, _ in bare)
    anchor_cpu = statistics.median(c for _, c in bare)
    with sqlite_url() as url, tempfile.TemporaryDirectory(prefix="perfbot-bench-") as scratch:
        runs = [asyncio.run(_once(url, Path(scratch) / str(n))) for n in range(RUNS)]
    seconds = statistics.median(s for s, _, _ in runs)
    cpu = statistics.median(c for _, c, _ in runs)
    rss = statistics.median(r for _, _, r in runs)
    print(f"  anchor     python -c 'import telegram.ext': {anchor:.2f} s, CPU {anchor_cpu:.2f} s")
    print(
        f"  first poll {seconds:.2f} s (×{seconds / anchor:.1f} the anchor), idle RSS {rss:.0f} MB"
    )
    print(f"  CPU by it  {cpu:.2f} s (×{cpu / anchor_cpu:.1f} the anchor's)")
    print(f"  targets    ≤ {TARGET_SECONDS} s, ≤ {TARGET_RSS_MB:.0f} MB")
    print(f"  load       {os.getloadavg()[0]:.2f} (1-minute average, {os.cpu_count()} CPUs)")
    return 0 if seconds <= TARGET_SECONDS and rss <= TARGET_RSS_MB else 1


if __name__ == "__main__":
    sys.exit(main())
