"""What the runner shows for every step of the goal form: valid Telegram HTML, short buttons."""

from __future__ import annotations

from html.parser import HTMLParser

from bot.conversations import form_view
from bot.conversations.form_view import Reply
from storage.db import Database
from tests.goal_world import (
    HEADER_ANSWERS,
    INDICATOR_ROWS,
    NOW,
    SCHEDULE_ROWS,
    TAIL_ANSWERS,
    add_last_year,
    begin,
    build_goal_world,
    press,
)
from workflow.forms import drafts
from workflow.forms.drafts import DraftResult

TELEGRAM_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "blockquote",
    "span",
}


class TagChecker(HTMLParser):
    """Collects tags; Telegram refuses any tag outside its short list, or unbalanced."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"<{tag}>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.text += data


def check(reply: Reply) -> str:
    """The reply's visible text, after checking its HTML and its buttons."""
    checker = TagChecker()
    checker.feed(reply.text)
    checker.close()
    assert not checker.problems and not checker.open, (checker.problems, reply.text)
    assert len(reply.text) <= 4096 * 3
    for row in reply.markup.inline_keyboard if reply.markup else ():
        for button in row:
            assert button.text.strip()
            assert len(button.callback_data.encode()) <= 64, button.callback_data
    return checker.text


async def step_of(result: DraftResult) -> str:
    return check(form_view.step(result.view, result.problem))


async def test_every_step_renders_and_hostile_text_stays_text(database: Database) -> None:
    world = await build_goal_world(database)
    started = await begin(database, world.staff)
    shown = [await step_of(started)]
    first = form_view.step(started.view).markup.inline_keyboard
    assert [b.text for row in first for b in row] == ["2026", "✖️ 取消填写"]

    async def say(text: str) -> None:
        result = await drafts.answer(database, person_id=world.staff, text=text, now=NOW)
        shown.append(await step_of(result))

    header = dict(HEADER_ANSWERS)
    header["name"] = "<b>培训</b> & <script>x</script>"
    for field, text in header.items():
        if field == "phone":
            await say("12345")  # a refusal is shown with the same question
            assert "没能识别这个电话号码" in shown[-1] and "联系电话" in shown[-1]
        await say(text)
    for content, start, end in SCHEDULE_ROWS:
        for text in (content, start, end):
            await say(text)
        menu = (await drafts.current_draft(database, person_id=world.staff)).view
        check(form_view.menu(menu))
        check(form_view.row_view(menu, 0))
        if content != SCHEDULE_ROWS[-1][0]:
            shown.append(await step_of(await press(database, world.staff, drafts.add_row)))
    shown.append(await step_of(await press(database, world.staff, drafts.finish_rows)))
    for _, text in TAIL_ANSWERS:
        await say(text)
    for number, row in enumerate(INDICATOR_ROWS):
        if number:
            shown.append(await step_of(await press(database, world.staff, drafts.add_row)))
        for text in row:
            if text is not None:
                await say(text)
    menu = (await drafts.current_draft(database, person_id=world.staff)).view
    check(form_view.row_view(menu, 2))
    summary = await press(database, world.staff, drafts.finish_rows)
    text = await step_of(summary)
    assert "3. 项目名称：<b>培训</b> & <script>x</script>" in text
    assert "19. 绩效指标：4 条" in text
    check(form_view.busy(summary.view))
    check(form_view.cancel_confirmation(summary.view))
    assert all(text.strip() for text in shown)
    assert "第 1/19 项" in shown[0] and "预算年度" in shown[0]
    labels = [b.text for row in form_view.step(summary.view).markup.inline_keyboard for b in row]
    assert labels[:3] == ["1", "2", "3"] and labels[-3:] == [
        "✅ 确认提交",
        "⬅️ 上一步",
        "✖️ 取消填写",
    ]


async def test_a_continuing_project_shows_last_years_goals_and_evaluation(
    database: Database,
) -> None:
    world = await build_goal_world(database)
    await add_last_year(database, world)
    await begin(database, world.staff)
    for text in ("2026", "延续"):
        await drafts.answer(database, person_id=world.staff, text=text, now=NOW)
    asked = (await drafts.current_draft(database, person_id=world.staff)).view
    assert [c.label for c in asked.step.choices] == ["职业技能提升培训"]
    shown = await press(database, world.staff, drafts.choose, index=0)
    text = await step_of(shown)
    for fragment in (
        "上年项目：职业技能提升培训（2025 年）",
        "上年下达的绩效目标：",
        "年度目标：2025 年培训 3000 人次",
        "上年指标 2 条：",
        "· 产出 / 数量 · 培训人次 ≥ 3000人次",
        "上年绩效评价结果：良，86.50 分",
        "存在问题：培训后跟踪不足",
        "请结合以前年度绩效评价结果设定今年的目标",
    ):
        assert fragment in text, (fragment, text)
    assert [b.text for row in form_view.step(shown.view).markup.inline_keyboard for b in row][
        :2
    ] == ["是", "否"]
