"""No registered person's message goes unanswered, and no form answer is taken from a form."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.db import Database
from storage.models import FormDraft, Project
from tests.chat_harness import answer_to, running_bot
from tests.goal_world import build_goal_world, declared

IDS = {"staff": 7001, "colleague": 7002, "head": 7005}
NOW_WHAT = "您现在可以"


async def quiet(user, seconds: float = 1.0) -> list[str]:
    """Whatever the bot still says in this chat within `seconds`."""
    await asyncio.sleep(seconds)
    said = []
    while True:
        try:
            said.append((await user.wait_for_message(timeout=0.01))["text"])
        except TimeoutError:
            return said


async def test_chatter_unknown_commands_stickers_and_photos_get_what_to_do_now(
    database: Database,
) -> None:
    world = await build_goal_world(database, telegram_ids=IDS)
    await declared(database, world.staff)  # waits for the head: one item in the head's /todo
    async with database.transaction() as session:
        session.add(Project(year=2026, organisation_id=world.department, name="校园安全改造"))
    async with running_bot(database) as sandbox:
        staff = sandbox.add_user(IDS["staff"], "王芳")
        await staff.send_text("你好，我想申报项目")
        answer = await answer_to(staff, NOW_WHAT)
        text = answer["text"]
        assert "/new — 申报项目绩效目标" in text and "/projects" in text and "/help" in text
        assert "继续填写草稿 1 个（2026 年 · 校园安全改造）" in text
        assert "/budget" not in text  # a hint only for what the person may do
        await staff.send_text("项目进度怎么样了")
        text = (await answer_to(staff, NOW_WHAT))["text"]
        assert "/track — 绩效跟踪任务" in text

        await staff.send_text("/frobnicate")
        assert "没有 /frobnicate 这个命令" in (await answer_to(staff, NOW_WHAT))["text"]
        await staff.send_sticker()
        assert "暂时只能处理文字" in (await answer_to(staff, NOW_WHAT))["text"]
        await staff.send_photo(caption="申报材料")
        assert "暂时只能处理文字" in (await answer_to(staff, NOW_WHAT))["text"]

        head = sandbox.add_user(IDS["head"], "张局长")
        await head.send_text("有什么要审核的吗")
        text = (await answer_to(head, NOW_WHAT))["text"]
        assert "处理待办 1 项：发送 /todo" in text
        assert "/todo — 我的待办（待审核、退回待修改）" in text

        # A command some feature handles is answered by it alone.
        await head.send_text("/me")
        await answer_to(head, "张局长")
        assert not [t for t in await quiet(head) if NOW_WHAT in t]


async def test_form_answers_and_strangers_never_reach_the_fallback(database: Database) -> None:
    world = await build_goal_world(database, telegram_ids=IDS)
    async with running_bot(database) as sandbox:
        staff = sandbox.add_user(IDS["colleague"], "李明")
        await staff.send_text("/new")
        await answer_to(staff, "年度")
        await staff.send_text("2026")  # an answer to the form's first question
        await answer_to(staff, "属性")
        await staff.send_sticker()  # inside a form: the form's own "text please"
        await answer_to(staff, "需要文字回答")
        assert not [t for t in await quiet(staff) if NOW_WHAT in t]
        async with database.sessions() as session:
            draft = await session.scalar(
                select(FormDraft).where(FormDraft.person_id == world.colleague)
            )
        assert draft is not None and draft.data.get("year") == 2026

        stranger = sandbox.add_user(7999, "路人")
        await stranger.send_text("你好，我想申报项目")
        await answer_to(stranger, "您还没有登记")
        assert await quiet(stranger) == []
