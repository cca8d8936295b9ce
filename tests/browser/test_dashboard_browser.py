"""The web dashboard in Chromium, opened as Telegram would open it: /stats in the chat gives
the 📊 button, the sandbox signs the launch data for the person who pressed it, the page
loads it. Two people see two scopes; forged and expired launch data get 401; the charts
render; screenshots are kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.webapp_auth import launch_url, open_web_app, signed_init_data
from tests.browser.served import Served, serve, stop
from tests.e2e.test_review_chain import WAIT, says
from tests.review_world import PEOPLE, YEAR

BUTTON = "📊 打开统计面板"
VIEWS = 8
READY = "body[data-ready='1']"


@pytest.fixture(scope="module")
def served(
    browser: object, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    running, thread = serve(sqlite_template, tmp_path_factory.mktemp("dashboard"))
    try:
        yield running
    finally:
        stop(running, thread)


def stats_button_url(served: Served, who: str) -> str:
    """/stats in the chat, then the 📊 button pressed: the address the client would open."""
    user = served.users[who]
    user.skip_pending()
    served.run(user.send_text(f"/stats {YEAR}"))
    summary = served.run(user.wait_for_message(says("年度统计"), timeout=WAIT))
    return open_web_app(served.sandbox.token, user, summary, BUTTON)


def open_dashboard(browser, url: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 420, "height": 900}, device_scale_factor=2)
    page.goto(url)
    return page


def test_two_people_see_their_own_scope(browser, served: Served, screenshot_dir: Path) -> None:
    page = open_dashboard(browser, stats_button_url(served, "perf"))
    page.wait_for_selector(READY, timeout=20000)
    assert "范围：全局" in page.inner_text("#overview")
    charts = page.locator("#overview svg[role='img']")
    assert charts.count() == VIEWS
    for index in range(VIEWS):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 30
    assert page.locator("#overview rect.bar").count() > VIEWS
    table = page.inner_text("#project-table")
    assert "疫苗接种项目" in table and "非遗保护" in table and "教师培训项目" in table
    assert "共 5 个项目" in page.inner_text("#projects")
    page.screenshot(path=str(screenshot_dir / "performance-section.png"), full_page=True)

    # Sort by name, descending (two presses), then filter, then drill down.
    page.click("button[data-sort='name']")
    page.wait_for_selector("button[data-sort='name'].asc")
    page.click("button[data-sort='name']")
    page.wait_for_selector("button[data-sort='name'].desc")
    names = page.locator("#project-table td.name").all_inner_texts()
    assert names == sorted(names, reverse=True) and len(names) == 5
    page.fill("input[name='q']", "疫苗")
    page.click("#filters button[type='submit']")
    page.locator("#projects p.count", has_text="共 1 个项目").wait_for()
    assert page.locator("#project-table td.name").all_inner_texts() == ["疫苗接种项目"]
    page.click("#project-table a[data-project]")
    page.wait_for_selector("#timeline:not([hidden]) ol.timeline")
    timeline = page.inner_text("#timeline")
    assert "疫苗接种项目" in timeline and "部门主要领导审定" in timeline and "周主任" in timeline
    page.screenshot(path=str(screenshot_dir / "timeline.png"), full_page=True)
    page.close()

    page = open_dashboard(browser, stats_button_url(served, "edu_head"))
    page.wait_for_selector(READY, timeout=20000)
    overview = page.inner_text("#overview")
    assert "范围：市教育局" in overview and "市卫健委" not in overview
    table = page.inner_text("#project-table")
    assert "教师培训项目" in table and "实验室建设" in table  # the department's unit included
    assert "疫苗接种项目" not in table and "非遗保护" not in table
    assert "共 3 个项目" in page.inner_text("#projects")
    page.screenshot(path=str(screenshot_dir / "department-head.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("case", ["forged", "expired"])
def test_forged_or_expired_launch_data_gets_401(
    browser, served: Served, screenshot_dir: Path, case: str
) -> None:
    name, telegram_id, _ = PEOPLE["perf"]
    token = "999999:not-this-bot" if case == "forged" else served.sandbox.token
    age = 0 if case == "forged" else 2 * 3600
    init_data = signed_init_data(
        token, user_id=telegram_id, first_name=name, auth_date=int(time.time()) - age
    )
    page = open_dashboard(browser, launch_url(f"{served.web_url}/", init_data))
    page.wait_for_selector("#status.error", timeout=20000)
    assert page.get_attribute("#status", "data-code") == "401"
    assert "无法验证您的 Telegram 身份" in page.inner_text("#status")
    assert page.locator("#overview svg").count() == 0
    assert "市教育局" not in page.content()
    response = page.request.get(
        f"{served.web_url}/api/projects?year={YEAR}",
        headers={"X-Telegram-Init-Data": init_data},
    )
    assert response.status == 401
    page.screenshot(path=str(screenshot_dir / f"{case}.png"))
    page.close()
