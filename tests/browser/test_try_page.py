"""`perfbot try` in headless Chromium: a staff member declares a project by typing and
pressing buttons, the head approves it in a second panel, the 申报表 downloads; then the
same page on a phone-sized screen. Screenshots are kept as test artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.try_server import perfbot_try

STAFF, HEAD = 9201, 9202  # templates/try_bureau.toml
PROJECT = "社区养老服务补贴"
WAIT_MS = 20_000
INDICATORS = (
    ("产出", "数量", "服务老人人次", "≥", "3000", "人次"),
    ("效益", "社会效益", "老人生活改善率", "≥", "70", "%"),
    ("满意度", "服务对象满意度", "老人满意度", "≥", "90", "%"),
)


class Panel:
    """One person's chat on the page, driven as a user would: typing and clicking."""

    def __init__(self, page: Any, person: int) -> None:
        self.page = page
        self.root = page.locator(f'.panel[data-panel="{person}"]')
        self.selector = f'.panel[data-panel="{person}"] .msg:not(.mine)'

    def _bot_count(self) -> int:
        return self.page.locator(self.selector).count()

    def _wait(self, before: int, fragment: str) -> None:
        """Until a bot message newer than `before` says `fragment` (it arrives live)."""
        try:
            self.page.wait_for_function(
                """([selector, before, fragment]) => [...document.querySelectorAll(selector)]
                    .slice(before).some((m) => m.innerText.includes(fragment))""",
                arg=[self.selector, before, fragment],
                timeout=WAIT_MS,
            )
        except Exception as exc:  # say what the chat showed instead
            shown = "\n---\n".join(self.root.locator(".msg").all_inner_texts()[-4:])
            raise AssertionError(f"no bot message saying {fragment!r}; chat:\n{shown}") from exc

    def say(self, text: str, expect: str) -> None:
        before = self._bot_count()
        box = self.root.locator("input.text")
        box.fill(text)
        box.press("Enter")
        self._wait(before, expect)

    def tap(self, button: str, expect: str) -> None:
        before = self._bot_count()
        buttons = self.page.locator(self.selector).locator(".kb button")
        buttons.get_by_text(button, exact=True).last.click()
        self._wait(before, expect)


@pytest.fixture
def try_page(tmp_path: Path) -> Iterator[str]:
    with perfbot_try(tmp_path / "try") as (address, _log):
        yield address


def _declare(staff: Panel) -> str:
    """A short project: the header, one schedule row, three indicators, submit."""
    staff.say("/new", "预算年度")
    # The years offered depend on today; the first is the coming budget year.
    year = staff.page.locator(staff.selector).last.locator(".kb button").first.inner_text()
    staff.tap(year, "项目属性")
    staff.tap("新增", "项目名称")
    for text, expect in (
        (PROJECT, "项目负责人"),
        ("陈晓", "联系电话"),
        ("0519-87654321", "开始日期"),
        (f"{year}-01-01", "结束日期"),
        (f"{year}-12-31", "资金总额"),
        ("120", "财政拨款"),
        ("100", "上年结转"),
        ("15.5", "其他资金"),
    ):
        staff.say(text, expect)
    staff.tap("4.5", "年度申请额")
    staff.tap("120", "总体目标")
    staff.say("为辖区高龄老人提供居家养老服务补贴。", "年度目标")
    staff.say(f"{year} 年服务老人 3000 人次。", "进度内容")
    staff.say("发放补贴", "开始日期")
    staff.say(f"{year}-01-01", "完成日期")
    staff.say(f"{year}-12-31", "实施进度计划（已填")
    staff.tap("✅ 完成", "立项依据")
    staff.say("《居家养老服务补贴办法》", "重点项目")
    staff.tap("否", "多个部门")
    staff.tap("否", "一级指标")
    for number, (level1, level2, name, sign, value, unit) in enumerate(INDICATORS):
        if number:
            staff.tap("➕ 再添加一条", "一级指标")
        staff.tap(level1, "二级指标")
        staff.tap(level2, "三级指标")
        staff.say(name, "符号")
        staff.tap(sign, "指标值")
        staff.say(value, "计量单位")
        staff.tap(unit, "权重")
        staff.tap("跳过", "绩效指标（已填")
    staff.tap("✅ 完成", "请核对")
    staff.tap("✅ 确认提交", "已提交")
    return year


def test_declare_approve_and_download_in_two_panels(
    browser: Any, try_page: str, screenshot_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(try_page)
    page.locator(f'#people li[data-person="{STAFF}"]').click()
    page.locator(f'#people li[data-person="{HEAD}"] .side-by-side').click()
    staff, head = Panel(page, STAFF), Panel(page, HEAD)
    assert page.locator(".panel").count() == 2
    assert "登记成功" in staff.root.inner_text()  # registered through the invitation flow

    year = _declare(staff)
    page.screenshot(path=screenshot_dir / "1-declared.png")

    # The submission arrives live as a card in the head's panel, side by side.
    head._wait(0, "待审核")
    card = head.root.locator(".msg", has_text=PROJECT).filter(has_text="待审核").last
    assert "部门主要领导审定" in card.inner_text()
    before = head._bot_count()
    card.locator(".kb button", has_text="通过").first.click()
    head._wait(before, "已通过部门主要领导审定")
    # The card itself was edited in place: same message, now saying what was done.
    edited = head.root.locator(".msg", has_text="您已处理").last
    assert "业务科室审核中" in edited.inner_text() and "已编辑" in edited.inner_text()
    assert edited.locator(".kb button", has_text="通过").count() == 0
    page.screenshot(path=screenshot_dir / "2-approved.png")

    # /stats sends its charts as photos (an album when there are several): shown inline.
    head.say(f"/stats {year}", "年度统计")
    photos = head.root.locator(".msg img.preview")
    photos.first.wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        """(selector) => {
            const shown = [...document.querySelectorAll(selector)];
            return shown.length > 0 && shown.every((i) => i.complete && i.naturalWidth > 100);
        }""",
        arg=f'.panel[data-panel="{HEAD}"] .msg img.preview',
        timeout=WAIT_MS,
    )
    if photos.count() > 1:  # an album: every photo of it carries the same group
        albums = head.root.locator(".msg[data-album]")
        assert albums.count() == photos.count()
    photos.last.scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "2b-stats.png")
    # The summary workbook beside the charts opens as a table of its first sheets.
    workbook = head.root.locator(".msg .file-box", has_text=".xlsx").last
    workbook.wait_for(timeout=WAIT_MS)
    workbook.locator(".preview-toggle").click()
    sheet = workbook.locator(".doc-preview table").first
    sheet.wait_for(timeout=WAIT_MS)
    assert sheet.locator("td").count() > 1 and workbook.locator(".doc-preview h4").count() >= 1
    page.screenshot(path=screenshot_dir / "2c-stats-workbook.png")

    staff.tap("📋 查看项目", PROJECT)
    before = staff._bot_count()
    staff.page.locator(staff.selector).locator(".kb button").get_by_text(
        "📄 下载申报表（Word）", exact=True
    ).last.click()
    document = staff.root.locator(".msg .file").last
    document.wait_for(timeout=WAIT_MS)
    assert staff._bot_count() > before
    with page.expect_download() as downloading:
        document.click()
    saved = screenshot_dir / downloading.value.suggested_filename
    downloading.value.save_as(saved)
    assert saved.suffix == ".docx" and saved.read_bytes()[:2] == b"PK"
    assert PROJECT in saved.name or saved.stat().st_size > 1000
    page.screenshot(path=screenshot_dir / "3-document.png")

    # The same card opens a preview drawn on the server: the form's title and its tables.
    box = staff.root.locator(".msg .file-box").last
    box.locator(".preview-toggle").click()
    shown = box.locator(".doc-preview")
    shown.locator("table").first.wait_for(timeout=WAIT_MS)
    assert "项目支出绩效目标申报表" in shown.inner_text() and PROJECT in shown.inner_text()
    assert shown.locator("script").count() == 0
    shown.scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "4-preview.png")
    box.locator(".preview-toggle").click()
    assert not shown.is_visible()
    assert errors == []
    context.close()


def test_the_page_works_on_a_phone(browser: Any, try_page: str, screenshot_dir: Path) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(try_page)
    person = page.locator(f'#people li[data-person="{HEAD}"]')
    person.wait_for()
    page.screenshot(path=screenshot_dir / "1-people.png")
    person.tap()
    head = Panel(page, HEAD)
    assert head.root.is_visible() and not page.locator("#sidebar").is_visible()
    head.say("/help", "/todo")
    box = head.root.bounding_box()
    assert box is not None and box["width"] <= 390
    page.screenshot(path=screenshot_dir / "2-chat.png")
    head.root.locator(".back").tap()
    assert page.locator("#sidebar").is_visible()
    context.close()


def test_training_helpers_on_the_page(browser: Any, try_page: str, screenshot_dir: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.goto(try_page)
    page.locator("#people li").first.wait_for()

    page.get_by_role("button", name="＋ 添加人员").click()
    dialog = page.locator("#person-dialog")
    dialog.get_by_label("姓名").fill("新同事")
    dialog.get_by_label("角色").select_option("head")
    dialog.get_by_label("单位").select_option("DEMO-F-JX")  # a head belongs to a department
    dialog.get_by_role("button", name="邀请并登记").click()
    page.locator("#person-error", has_text="这个角色不能设在").wait_for(timeout=WAIT_MS)
    dialog.get_by_label("单位").select_option("DEMO-D-RS")
    dialog.get_by_role("button", name="邀请并登记").click()
    newcomer = page.locator("#people li", has_text="新同事")
    newcomer.filter(has_text="负责人").wait_for(timeout=WAIT_MS)
    page.locator(".panel .msg", has_text="登记成功").wait_for(timeout=WAIT_MS)
    panel = page.locator(".panel", has_text="新同事")
    panel.locator(".menu-button").click()
    panel.locator(".menu button", has_text="/todo").click()
    panel.locator(".msg", has_text="待办").last.wait_for(timeout=WAIT_MS)

    today = page.locator("#clock-today").inner_text()
    page.get_by_role("button", name="+7 天").click()
    page.wait_for_function(
        "before => document.querySelector('#clock-today').textContent !== before", arg=today
    )
    assert "已前进 7 天" in page.locator("#clock-offset").inner_text()
    # Times follow the bot's clock: earlier messages now carry their (past) date, a new one
    # is on the bot's today and shows the time only.
    first = panel.locator(".msg .time").first
    dated = "node => /\\d+月\\d+日/.test(node.textContent)"
    page.wait_for_function(dated, arg=first.element_handle())
    panel.locator("input.text").fill("/todo")
    panel.locator("input.text").press("Enter")
    panel.locator(".msg.mine", has_text="/todo").nth(1).wait_for(timeout=WAIT_MS)
    newest = panel.locator(".msg.mine", has_text="/todo").nth(1).locator(".time").inner_text()
    assert "月" not in newest and ":" in newest
    page.screenshot(path=screenshot_dir / "helpers.png")

    with page.expect_download() as downloading:
        panel.locator(".export").click()
    exported = screenshot_dir / "chat.txt"
    downloading.value.save_as(exported)
    text = exported.read_text("utf-8")
    assert "👤 新同事: /start" in text and "👤 新同事: /todo" in text
    context.close()
