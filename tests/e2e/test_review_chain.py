"""The review chain end to end: the real bot, several people, cards and buttons in the chat."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from sandbox.client import SandboxUser
from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import GoalVersion, ReviewStep
from storage.types import utcnow
from tests.review_world import PEOPLE, World, build_world, make_goal, submit_goal_version

pytestmark = pytest.mark.e2e

WAIT = 20.0


class Bureau:
    """The world in the bot's database and each person's chat in the sandbox."""

    def __init__(self, world: World, sandbox: BotApiSandbox) -> None:
        self.world = world
        self.users = {
            key: sandbox.add_user(telegram_id, name)
            for key, (name, telegram_id, _) in PEOPLE.items()
        }

    def __getitem__(self, key: str) -> SandboxUser:
        return self.users[key]


@pytest.fixture
async def bureau(e2e_db: Database, sandbox: BotApiSandbox, bot: BotProcess) -> Bureau:
    return Bureau(await build_world(e2e_db), sandbox)


def says(*fragments: str):
    def check(message: dict[str, Any]) -> bool:
        text = message.get("text") or message.get("caption") or ""
        return all(fragment in text for fragment in fragments)

    return check


async def card_for(user: SandboxUser, project: str, *fragments: str) -> dict[str, Any]:
    """The next card or notice about `project` in this person's chat."""
    return await user.wait_for_message(says(project, *fragments), timeout=WAIT, include_edits=False)


async def press(user: SandboxUser, message: dict[str, Any], button: str) -> dict[str, Any]:
    """Press a button and wait for the bot's answer to it."""
    query = await user.press(message, button)
    return await user.wait_for_callback_answer(query["id"], timeout=WAIT)


def current(user: SandboxUser, message: dict[str, Any]) -> dict[str, Any]:
    """The message as it is in the chat now (after edits)."""
    return next(m for m in user.messages if m["message_id"] == message["message_id"])


def buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button["text"] for row in rows for button in row]


async def test_a_department_goal_goes_through_every_stage_with_everyone_told(
    bureau: Bureau, e2e_db: Database
) -> None:
    world = bureau.world
    gv = await make_goal(world, name="教师培训项目")
    await submit_goal_version(world, gv, "edu_staff", utcnow())

    head_card = await card_for(bureau["edu_head"], "教师培训项目", "待审核", "部门主要领导审定")
    assert buttons(head_card) == ["通过", "退回修改", "查看详情", "历史", "申报表"]
    answer = await press(bureau["edu_head"], head_card, "通过")
    assert "已通过" in answer["text"]
    edited = await bureau["edu_head"].wait_for_message(says("您已通过"), timeout=WAIT)
    assert edited["message_id"] == head_card["message_id"] and buttons(edited) == []
    await card_for(bureau["edu_staff"], "教师培训项目", "已通过部门主要领导审定", "业务科室审核")

    # Both business reviewers get the card; the second press on it is told who handled it.
    first = await card_for(bureau["biz1b"], "教师培训项目", "待审核", "业务科室审核")
    late = await card_for(bureau["biz1"], "教师培训项目", "待审核", "业务科室审核")
    await press(bureau["biz1b"], first, "通过")
    stale = await press(bureau["biz1"], late, "通过")
    assert stale["show_alert"] and "已由 郑科员 处理" in stale["text"]
    closed = await bureau["biz1"].wait_for_message(says("已由 郑科员 处理"), timeout=WAIT)
    assert closed["message_id"] == late["message_id"] and buttons(closed) == []

    perf_card = await card_for(bureau["perf"], "教师培训项目", "绩效管理科审核")
    await press(bureau["perf"], perf_card, "通过")
    budget_card = await card_for(bureau["budget"], "教师培训项目", "预算科审核")
    await press(bureau["budget"], budget_card, "通过")
    final = await card_for(bureau["edu_staff"], "教师培训项目", "审核通过", "批复下达")
    assert "预算科审核" in final["text"]

    async with e2e_db.transaction() as session:
        version = await session.get(GoalVersion, gv)
        steps = list(
            await session.scalars(select(ReviewStep).where(ReviewStep.goal_version_id == gv))
        )
    assert (version.status, version.stage) == ("approved", "issuance")
    assert [(s.stage, s.decision) for s in steps] == [
        ("head", "submit"),
        ("head", "approve"),
        ("business", "approve"),
        ("performance", "approve"),
        ("budget", "approve"),
    ]

    # The history is readable in the chat.
    await press(bureau["edu_staff"], final, "历史")
    timeline = await bureau["edu_staff"].wait_for_message(says("审核历史"), timeout=WAIT)
    for name in ("张经办", "李局长", "郑科员", "何科长", "高科长"):
        assert name in timeline["text"]


async def test_forged_and_foreign_presses_are_refused_without_effect(
    bureau: Bureau, e2e_db: Database
) -> None:
    world = bureau.world
    edu = await make_goal(world, name="教师培训项目")
    version = await submit_goal_version(world, edu, "edu_staff", utcnow())
    health = await make_goal(world, org="HEALTH", staff="health_staff", name="基层医疗")
    await submit_goal_version(world, health, "health_staff", utcnow())
    card = await card_for(bureau["edu_head"], "教师培训项目", "待审核")
    head = bureau["edu_head"]

    for data in ("rv:ap:abc:1", "rv:zz:1:1", f"rv:ap:{edu}", "rv:" + "9" * 70):
        await head.press_data(card["message_id"], data)
        answer = await head.wait_for_callback_answer(timeout=WAIT)
        assert "无效" in answer["text"]
    # Another item's id (the health commission's goal) and a stage the head has no role at.
    await head.press_data(card["message_id"], f"rv:ap:{health}:{version}")
    assert "没有权限" in (await head.wait_for_callback_answer(timeout=WAIT))["text"]
    biz = bureau["biz1"]
    biz.skip_pending()
    await biz.press_data(await _any_message(biz), f"rv:ap:{edu}:{version}")
    assert "没有权限" in (await biz.wait_for_callback_answer(timeout=WAIT))["text"]

    async with e2e_db.transaction() as session:
        rows = {v.id: v for v in await session.scalars(select(GoalVersion))}
    assert rows[edu].stage == "head" and rows[edu].version == version
    assert rows[health].stage == "head"
    assert buttons(current(head, card)) == ["通过", "退回修改", "查看详情", "历史", "申报表"]


async def _any_message(user: SandboxUser) -> int:
    """A message in the user's chat to hang a forged press on."""
    await user.send_text("/todo")
    reply = await user.wait_for_message(timeout=WAIT)
    return int(reply["message_id"])


async def test_todo_lists_my_items_most_urgent_first(bureau: Bureau) -> None:
    world = bureau.world
    older = await make_goal(world, name="甲项目")
    await submit_goal_version(world, older, "edu_staff", utcnow() - dt.timedelta(days=9))
    newer = await make_goal(world, name="乙项目")
    await submit_goal_version(world, newer, "edu_staff", utcnow())
    head = bureau["edu_head"]
    head.skip_pending()
    await head.send_text("/todo")
    listing = await head.wait_for_message(says("我的待办"), timeout=WAIT)
    text = listing["text"]
    assert text.index("甲项目") < text.index("乙项目")
    assert "已逾期" in text.split("乙项目")[0]
    assert buttons(listing)[:2] == ["1. 甲项目", "2. 乙项目"]
    await press(head, listing, "2. 乙项目")
    card = await head.wait_for_message(says("乙项目", "待审核"), timeout=WAIT)
    assert "通过" in buttons(card)
