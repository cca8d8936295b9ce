"""A started bot that nobody has written to has not loaded the libraries only some answers use.

The real `perfbot run` process is started against the sandbox, polls, idles and is stopped as
an operator would; it then writes the modules it holds. Documents (openpyxl, python-docx,
docxtpl), charts (matplotlib, and numpy, Pillow and lxml under them), the web dashboard
(aiohttp), migrations (Alembic, Mako, Pygments) and message templates (Jinja2) are imported
by the answer that needs them, so they cost neither start-up time nor idle memory. What the
start built is frozen out of the garbage collector's sight, so full collections stay short.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox

pytestmark = pytest.mark.e2e

LAZY = (
    "openpyxl",
    "docx",
    "docxtpl",
    "matplotlib",
    "numpy",
    "PIL",
    "lxml",
    "aiohttp",
    "alembic",
    "mako",
    "pygments",
    "jinja2",
)

# `perfbot run`, then the names of the modules it held when it stopped, and how many objects
# it had taken out of the garbage collector's sight.
PROBE = """
import gc, json, sys
from bot.__main__ import main
code = main(["run"])
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"modules": sorted(sys.modules), "frozen": gc.get_freeze_count()}, out)
sys.exit(code)
"""


async def _idle_bot(
    sandbox: BotApiSandbox, tmp_path: Path, database_url: str, **env: str
) -> tuple[set[str], int]:
    """The top-level modules an idle bot loaded, and the objects it froze."""
    out = tmp_path / "modules.json"
    bot = BotProcess(
        sandbox,
        database_url=database_url,
        workdir=tmp_path / "bot",
        extra_env=env,
        command=(sys.executable, "-c", PROBE, str(out)),
    )
    await bot.start()
    await asyncio.sleep(1.0)  # the jobs that run at start (outbox, reminders) have run
    assert await bot.stop() == 0, bot.log()
    found = json.loads(out.read_text(encoding="utf-8"))
    return {name.split(".")[0] for name in found["modules"]}, found["frozen"]


async def test_an_idle_bot_has_not_loaded_documents_charts_web_or_templates(
    sandbox: BotApiSandbox, tmp_path: Path, e2e_database_url: str
) -> None:
    loaded, frozen = await _idle_bot(sandbox, tmp_path, e2e_database_url)
    assert {"telegram", "sqlalchemy", "bot", "workflow"} <= loaded  # it did start
    assert loaded.isdisjoint(LAZY), sorted(loaded & set(LAZY))
    # What starting built is out of the collector's sight: full collections stay short.
    assert frozen > 100_000


async def test_the_web_dashboard_loads_aiohttp_when_it_is_configured(
    sandbox: BotApiSandbox, tmp_path: Path, e2e_database_url: str
) -> None:
    loaded, _ = await _idle_bot(
        sandbox,
        tmp_path,
        e2e_database_url,
        WEB_APP_URL="https://example.org/perfbot/",
        WEB_BIND_PORT="0",  # any free port
    )
    assert "aiohttp" in loaded
    assert loaded.isdisjoint(set(LAZY) - {"aiohttp", "jinja2"})
