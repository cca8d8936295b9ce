"""The browser fixture itself works: Chromium renders a page with Chinese text."""

from __future__ import annotations


def test_chromium_renders_a_local_page(browser, screenshot_dir) -> None:
    page = browser.new_page()
    page.set_content("<html><body><h1 id='t'>绩效助手</h1></body></html>")
    assert page.inner_text("#t") == "绩效助手"
    page.screenshot(path=str(screenshot_dir / "smoke.png"))
    assert (screenshot_dir / "smoke.png").stat().st_size > 0
    page.close()
