"""Headless Chromium for the browser tests: Debian's chromium driven by Playwright.

`make test` installs the browser when it can (`make browser`); where it cannot, these tests
are skipped with a message that says what is missing, and every other test still runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
ARTIFACTS = Path(os.environ.get("PERFBOT_TEST_ARTIFACTS", "test-artifacts"))


def chromium_path() -> str | None:
    """The browser executable: PERFBOT_CHROMIUM or the first Chromium on PATH."""
    configured = os.environ.get("PERFBOT_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per test module; skipped with a reason when none is installed.

    Not per session: while sync Playwright is open it keeps an event loop running in the
    main thread, and every async test collected after the browser tests would then fail
    ("Runner.run() cannot be called from a running event loop").
    """
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium installed: run `make browser` (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        pytest.skip("playwright is not installed: run `make install`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def screenshot_dir(request: pytest.FixtureRequest) -> Path:
    """Where a browser test keeps its screenshots (a CI artifact, ignored by git)."""
    folder = ARTIFACTS / "screenshots" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: while the session's Playwright lives, its event loop counts as
    running on the main thread, and the async tests collected after it could not start theirs."""
    here = Path(__file__).resolve().parent
    items.sort(key=lambda item: Path(str(item.fspath)).resolve().is_relative_to(here))
