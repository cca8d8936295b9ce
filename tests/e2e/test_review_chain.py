"""The review chain end to end: the real bot, several people, cards and buttons in the chat."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from sandbox.client import SandboxUser
from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import GoalVersion, ReviewStep
from storage.types import utcnow
from tests.review_world import (
    PEOPLE,
    World,
    approve_through,
    build_world,
    make_goal,
    submit_goal_version,
)

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


def data_of(message: dict[str, Any], label: str) -> str:
    """The callback data of the button labelled `label`."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return next(b["callback_data"] for row in rows for b in row if b["text"] == label)


async def test_a_department_goal_goes_through_every_stage_with_everyone_told(
    bureau: Bureau, e2e_db: Database
) -> None:
    world = bureau.world
    gv = await make_goal(world, name="教师培训项目")
    await submit_goal_version(world, gv, "edu_staff", utcnow())

    head_card = await card_for(bureau["edu_head"], "教师培训项目", "待审核", "部门主要领导审定")
    assert buttons(head_card) == [
        "通过",
        "退回修改",
        "通过并附意见",
        "⋯ 转交/加签/抄送",
        "查看详情",
        "历史",
        "申报表",
    ]
    answer = await press(bureau["edu_head"], head_card, "通过")
    assert "已通过" in answer["text"]
    edited = await bureau["edu_head"].wait_for_message(says("您已通过"), timeout=WAIT)
    assert edited["message_id"] == head_card["message_id"] and buttons(edited) == []
    await card_for(bureau["edu_staff"], "教师培训项目", "已通过部门主要领导审定", "业务科室审核")

    # Both business reviewers get the card; when one decides, the other's card closes by
    # itself, and a press from a chat that still shows the old buttons is told who handled it.
    first = await card_for(bureau["biz1b"], "教师培训项目", "待审核", "业务科室审核")
    late = await card_for(bureau["biz1"], "教师培训项目", "待审核", "业务科室审核")
    await press(bureau["biz1b"], first, "通过")
    closed = await bureau["biz1"].wait_for_message(says("已由 郑科员 处理"), timeout=WAIT)
    assert closed["message_id"] == late["message_id"] and buttons(closed) == []
    assert "当前：绩效管理科审核中" in closed["text"]
    await bureau["biz1"].press_data(late["message_id"], data_of(late, "通过"))
    stale = await bureau["biz1"].wait_for_callback_answer(timeout=WAIT)
    assert stale["show_alert"] and "已由 郑科员 处理" in stale["text"]
    # The one who pressed, pressing the old data again, is told it was they who did it.
    await bureau["biz1b"].press_data(first["message_id"], data_of(first, "通过"))
    again = await bureau["biz1b"].wait_for_callback_answer(timeout=WAIT)
    assert again["show_alert"] and "您已处理过此事项（通过）" in again["text"]
    assert "郑科员" not in again["text"]

    perf_card = await card_for(bureau["perf"], "教师培训项目", "绩效管理科审核")
    await press(bureau["perf"], perf_card, "通过")
    budget_card = await card_for(bureau["budget"], "教师培训项目", "预算科审核")
    await press(bureau["budget"], budget_card, "通过")
    final = await card_for(bureau["edu_staff"], "教师培训项目", "审核通过", "批复下达")
    assert "预算科审核" in final["text"]

    async with e2e_db.transaction() as session:
        version = await session.get(GoalVersion, gv)
        steps = list(
            await session.scalars(
                select(ReviewStep).where(
                    ReviewStep.item_kind == "goal_version", ReviewStep.item_id == gv
                )
            )
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
    # And the 申报表 comes as a Word file.
    await press(bureau["edu_staff"], final, "申报表")
    document = await bureau["edu_staff"].wait_for_message(lambda m: "document" in m, timeout=WAIT)
    assert document["document"]["file_name"].endswith(".docx")
    assert bureau["edu_staff"].download(document)[:2] == b"PK"


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
    assert buttons(current(head, card)) == [
        "通过",
        "退回修改",
        "通过并附意见",
        "⋯ 转交/加签/抄送",
        "查看详情",
        "历史",
        "申报表",
    ]


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


CONFIRM = "✅ 确认提交"
CONFIRM_RETURN = "✅ 确认退回"


async def test_a_return_needs_a_reason_and_the_corrected_goal_goes_through_the_whole_chain(
    bureau: Bureau, e2e_db: Database
) -> None:
    world = bureau.world
    gv = await make_goal(world, name="教师培训项目")
    await submit_goal_version(world, gv, "edu_staff", utcnow())
    head_card = await card_for(bureau["edu_head"], "教师培训项目", "待审核")
    await press(bureau["edu_head"], head_card, "通过")

    biz = bureau["biz1"]
    card = await card_for(biz, "教师培训项目", "业务科室审核")
    decisions = [
        "通过",
        "退回修改",
        "通过并附意见",
        "⋯ 转交/加签/抄送",
        "查看详情",
        "历史",
        "申报表",
    ]
    # Cancelling the reason leaves the card as it was: it can still be decided.
    await press(biz, card, "退回修改")
    await biz.wait_for_message(says("退回理由", "教师培训项目"), timeout=WAIT)
    await biz.send_text("/cancel")
    confirm = await biz.wait_for_message(says("确定要取消"), timeout=WAIT)
    await press(biz, confirm, "确定取消")
    await biz.wait_for_message(says("已取消填写"), timeout=WAIT)
    assert buttons(current(biz, card)) == decisions

    await press(biz, card, "退回修改")
    question = await biz.wait_for_message(says("退回理由", "教师培训项目"), timeout=WAIT)
    assert buttons(current(biz, card)) == decisions  # a decision only once it is confirmed
    await biz.send_text("年度目标需细化量化")
    summary = await biz.wait_for_message(says("年度目标需细化量化"), timeout=WAIT)
    assert question["message_id"] != summary["message_id"]
    assert CONFIRM not in buttons(summary)
    await press(biz, summary, CONFIRM_RETURN)
    await biz.wait_for_message(says("已退回", "教师培训项目"), timeout=WAIT)
    closed = await biz.wait_for_message(says("您已处理", "退回修改"), timeout=WAIT)
    assert closed["message_id"] == card["message_id"] and buttons(closed) == []

    staff = bureau["edu_staff"]
    notice = await card_for(staff, "教师培训项目", "被退回修改", "年度目标需细化量化")
    assert "修改后重新提交" in buttons(notice)
    async with e2e_db.transaction() as session:
        row = await session.get(GoalVersion, gv)
    assert (row.status, row.stage) == ("returned", "business")

    await press(staff, notice, "修改后重新提交")
    form_summary = await staff.wait_for_message(says("教师培训项目", CONFIRM[2:]), timeout=WAIT)
    await press(staff, form_summary, "14")
    await staff.wait_for_message(says("年度目标"), timeout=WAIT)
    await staff.send_text("完成全市教师轮训 3000 人次，分四季度实施")
    form_summary = await staff.wait_for_message(says("请核对"), timeout=WAIT)
    await press(staff, form_summary, CONFIRM)
    await staff.wait_for_message(says("已提交"), timeout=WAIT)

    # The head approved the old version: the whole chain again, from the head, with the diff.
    head = bureau["edu_head"]
    head_again = await card_for(head, "教师培训项目", "待审核", "以来的修改")
    assert head_again["message_id"] != head_card["message_id"]
    assert "自您上次通过的版本" in head_again["text"]
    assert (
        "年度目标：完成全市教师轮训 → 完成全市教师轮训 3000 人次，分四季度实施"
        in (head_again["text"])
    )
    await press(head, head_again, "通过")
    again = await card_for(biz, "教师培训项目", "业务科室审核", "自您上次退回的版本")
    assert again["message_id"] != card["message_id"]
    assert "年度目标：" in again["text"]
    async with e2e_db.transaction() as session:
        row = await session.get(GoalVersion, gv)
        steps = list(
            await session.scalars(
                select(ReviewStep)
                .where(ReviewStep.item_kind == "goal_version", ReviewStep.item_id == gv)
                .order_by(ReviewStep.id)
            )
        )
    assert (row.status, row.stage) == ("in_review", "business")
    assert [(s.stage, s.decision) for s in steps] == [
        ("head", "submit"),
        ("head", "approve"),
        ("business", "return"),
        ("head", "submit"),
        ("head", "approve"),
    ]


async def test_experts_batch_approval_issuance_disclosure_and_adjustment(
    bureau: Bureau, e2e_db: Database
) -> None:
    world = bureau.world
    key = await make_goal(world, name="重点实验室建设", key=True)
    plain = await make_goal(world, name="教师培训项目")
    for gv in (key, plain):
        await submit_goal_version(world, gv, "edu_staff", utcnow())
    for name in ("重点实验室建设", "教师培训项目"):
        await press(bureau["edu_head"], await card_for(bureau["edu_head"], name, "待审核"), "通过")
        await press(bureau["biz1"], await card_for(bureau["biz1"], name, "业务科室审核"), "通过")

    # The performance section invites an expert from its card; only that expert is asked,
    # and the opinion reaches the performance section before it decides.
    perf = bureau["perf"]
    perf_card = await card_for(perf, "重点实验室建设", "绩效管理科审核")
    assert buttons(perf_card)[:3] == ["通过", "退回修改", "邀请专家"]
    early = await press(perf, perf_card, "通过")
    assert "专家评审意见" in early["text"]
    await press(perf, perf_card, "邀请专家")
    panel = await perf.wait_for_message(says("邀请专家评审", "尚未邀请"), timeout=WAIT)
    assert buttons(panel) == ["☐ 钱教授", "☐ 钟研究员"]
    invited = await press(perf, panel, "☐ 钱教授")
    assert "已邀请 钱教授" in invited["text"]
    assert buttons(current(perf, panel)) == ["☑ 钱教授", "☐ 钟研究员"]
    expert = bureau["expert"]
    expert_card = await card_for(expert, "重点实验室建设", "专家评审意见")
    await press(expert, expert_card, "修改后同意")
    await expert.wait_for_message(says("修改后同意", "必填"), timeout=WAIT)
    await expert.send_text("建议补充成本指标")
    await press(
        expert, await expert.wait_for_message(says("建议补充成本指标"), timeout=WAIT), CONFIRM
    )
    await expert.wait_for_message(says("意见", "已送达"), timeout=WAIT)
    await card_for(perf, "重点实验室建设", "修改后同意", "建议补充成本指标")
    assert not any("重点实验室建设" in (m.get("text") or "") for m in bureau["expert2"].messages)

    # Batch approval: check both, one comment.
    perf.skip_pending()
    await perf.send_text("/todo")
    listing = await perf.wait_for_message(says("我的待办"), timeout=WAIT)
    await press(perf, listing, "批量通过")
    checklist = await perf.wait_for_message(says("批量通过"), timeout=WAIT)
    # Two quick ticks, the second pressed before the first one's answer: both count.
    ticks = [
        await perf.press(checklist, f"☐ {name}") for name in ("重点实验室建设", "教师培训项目")
    ]
    for query in ticks:
        await perf.wait_for_callback_answer(query["id"], timeout=WAIT)
    await press(perf, current(perf, checklist), "确认批量通过")
    await perf.wait_for_message(
        says("共同的审核意见", "2 项", "重点实验室建设", "教师培训项目"), timeout=WAIT
    )
    await perf.send_text("同意")
    await press(perf, await perf.wait_for_message(says("同意"), timeout=WAIT), CONFIRM)
    done = await perf.wait_for_message(says("批量通过：2 项"), timeout=WAIT)
    assert "重点实验室建设" in done["text"] and "教师培训项目" in done["text"]

    # 全选 from /todo: one press ticks everything the budget section may approve.
    budget = bureau["budget"]
    for name in ("重点实验室建设", "教师培训项目"):
        await card_for(budget, name, "预算科审核")
    budget.skip_pending()
    await budget.send_text("/todo")
    listing = await budget.wait_for_message(says("我的待办"), timeout=WAIT)
    assert "全选" in buttons(listing)
    await press(budget, listing, "全选")
    checklist = await budget.wait_for_message(says("批量通过"), timeout=WAIT)
    assert buttons(checklist) == ["☑ 重点实验室建设", "☑ 教师培训项目", "全选", "确认批量通过"]
    await press(budget, checklist, "确认批量通过")
    await budget.wait_for_message(says("共同的审核意见", "2 项"), timeout=WAIT)
    await budget.send_text("同意安排")
    await press(budget, await budget.wait_for_message(says("同意安排"), timeout=WAIT), CONFIRM)
    await budget.wait_for_message(says("批量通过：2 项"), timeout=WAIT)
    budget.skip_pending()
    await budget.send_text("/issue 2026")
    confirm = await budget.wait_for_message(says("批复下达", "2 项"), timeout=WAIT)
    await press(budget, confirm, "确认批复下达")
    await budget.wait_for_message(says("已批复下达 2 项"), timeout=WAIT)
    # A second press of the same button: already issued, not "the targets changed".
    await budget.press_data(confirm["message_id"], data_of(confirm, "确认批复下达"))
    twice = await budget.wait_for_message(says("2026 年度的绩效目标已于"), timeout=WAIT)
    assert "无需重复操作" in twice["text"] and "已有变化" not in twice["text"]
    await bureau["edu_head"].wait_for_message(says("已批复下达", "重点实验室建设"), timeout=WAIT)

    staff = bureau["edu_staff"]
    staff.skip_pending()
    await staff.send_text("/disclosure 2026")
    files = [
        await staff.wait_for_message(lambda m: "document" in m, timeout=WAIT) for _ in range(2)
    ]
    names = [f["document"]["file_name"] for f in files]
    assert names == ["2026年度绩效目标公开表-市教育局.xlsx", "2026年度绩效目标公开表-市教育局.docx"]
    sheet = load_workbook(io.BytesIO(staff.download(files[0]))).active
    assert sheet["A1"].value == "2026年度项目支出绩效目标公开表"
    assert {sheet.cell(row=r, column=2).value for r in range(4, 10)} >= {
        "重点实验室建设",
        "教师培训项目",
    }

    # Adjustment: the reason, the form prefilled, the chain again; the issued version stays.
    await staff.send_text("/adjust")
    listing = await staff.wait_for_message(says("绩效目标调整"), timeout=WAIT)
    await press(staff, listing, "申请调整：教师培训项目")
    await staff.wait_for_message(says("调整原因"), timeout=WAIT)
    await staff.send_text("培训对象扩大到乡村教师")
    await press(staff, await staff.wait_for_message(says(CONFIRM[2:]), timeout=WAIT), CONFIRM)
    await staff.wait_for_message(says("已提交"), timeout=WAIT)
    adjusted = await card_for(
        bureau["edu_head"], "教师培训项目", "待审核", "培训对象扩大到乡村教师"
    )
    assert "调整" in adjusted["text"]
    async with e2e_db.transaction() as session:
        versions = list(
            await session.scalars(
                select(GoalVersion)
                .where(GoalVersion.project_id == plain)
                .order_by(GoalVersion.number)
            )
        )
    assert [(v.number, v.status) for v in versions] == [(1, "issued"), (2, "in_review")]


SHAPES = {
    "unit": (
        {"org": "SCHOOL", "staff": "school_staff"},
        [
            ("school_head", "部门主要领导审定"),
            ("edu_head", "主管部门审核"),
            ("biz1", "业务科室审核"),
            ("perf", "绩效管理科审核"),
            ("budget", "预算科审核"),
        ],
    ),
    "shared": (
        {"org": "EDU", "staff": "edu_staff", "codepartments": ("HEALTH",)},
        [
            ("edu_head", "牵头部门审核"),
            ("biz1", "业务科室审核"),
            ("perf", "绩效管理科审核"),
            ("budget", "预算科审核"),
        ],
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_unit_and_shared_projects_go_through_their_chains(
    bureau: Bureau, e2e_db: Database, shape: str
) -> None:
    spec, chain = SHAPES[shape]
    gv = await make_goal(bureau.world, name="共建项目", **spec)
    await submit_goal_version(bureau.world, gv, spec["staff"], utcnow())
    for who, stage in chain:
        card = await card_for(bureau[who], "共建项目", "待审核", stage)
        await press(bureau[who], card, "通过")
    await card_for(bureau[spec["staff"]], "共建项目", "审核通过")
    async with e2e_db.transaction() as session:
        version = await session.get(GoalVersion, gv)
    assert (version.status, version.stage) == ("approved", "issuance")
    if shape == "shared":
        # The co-department follows the project but decides nothing.
        co_head = bureau["health_head"]
        assert not any("待审核" in (m.get("text") or "") for m in co_head.messages)
        await co_head.press_data(await _any_message(co_head), f"rv:dt:{gv}:{version.version}")
        details = await co_head.wait_for_message(says("共建项目", "绩效指标"), timeout=WAIT)
        assert "已批复" not in details["text"] and "审核通过" in details["text"]


async def test_the_budget_list_and_issue_close_what_is_still_in_review(
    bureau: Bureau, e2e_db: Database
) -> None:
    world = bureau.world
    ready = await make_goal(world, name="教师培训项目")
    await approve_through(world, ready, now=utcnow())
    late = await make_goal(world, name="校园安全改造")
    await submit_goal_version(world, late, "edu_staff", utcnow())
    head_card = await card_for(bureau["edu_head"], "校园安全改造", "待审核")

    budget = bureau["budget"]
    budget.skip_pending()
    await budget.send_text("/budget 2026")
    listing = await budget.wait_for_message(says("2026 年度项目绩效目标情况"), timeout=WAIT)
    # Still in review with no deadline passed: pending, not refused (issuance decides).
    assert "待批复下达 1 个；不予预算安排 0 个" in listing["text"]
    assert "⏳ 校园安全改造（120.50 万元）：部门主要领导审定中\n" in listing["text"]
    await budget.send_text("/issue 2026")
    confirm = await budget.wait_for_message(says("批复下达", "终止审核"), timeout=WAIT)
    await press(budget, confirm, "确认批复下达")
    await budget.wait_for_message(
        says("已批复下达 1 项", "1 个项目标记为不予预算安排"), timeout=WAIT
    )

    # The head's card of the goal still in review closes by itself; the department is told.
    closed = await bureau["edu_head"].wait_for_message(says("已由 高科长 处理"), timeout=WAIT)
    assert closed["message_id"] == head_card["message_id"] and buttons(closed) == []
    assert "不予预算安排" in closed["text"]
    told = await bureau["edu_staff"].wait_for_message(
        says("已批复下达", "不予预算安排"), timeout=WAIT
    )
    assert "校园安全改造（部门主要领导审定中，审核已终止）" in told["text"]
    async with e2e_db.transaction() as session:
        row = await session.get(GoalVersion, late)
    assert (row.status, row.stage) == ("no_budget", None)


async def test_the_submitter_withdraws_from_the_receipt_exactly_once(
    bureau: Bureau, e2e_db: Database
) -> None:
    world = bureau.world
    gv = await make_goal(world, name="教师培训项目")
    await submit_goal_version(world, gv, "edu_staff", utcnow())
    head = bureau["edu_head"]
    head_card = await card_for(head, "教师培训项目", "待审核")
    staff = bureau["edu_staff"]
    receipt = await card_for(staff, "教师培训项目", "送部门主要领导审定")
    assert buttons(receipt)[:2] == ["↩️ 撤回", "⏰ 催办"]

    nudged = await press(staff, receipt, "⏰ 催办")
    assert "已催办" in nudged["text"]
    reminded = await card_for(head, "教师培训项目", "张经办 催办")
    assert "通过" in buttons(reminded)
    again = await press(staff, receipt, "⏰ 催办")
    assert "每个工作日只能催办一次" in again["text"]

    await press(staff, receipt, "↩️ 撤回")
    closed = await staff.wait_for_message(says("您已撤回"), timeout=WAIT)
    assert closed["message_id"] == receipt["message_id"] and buttons(closed) == []
    notice = await card_for(staff, "教师培训项目", "已撤回", "从头重新审核")
    assert "修改后重新提交" in buttons(notice)
    # The head's cards close by themselves; a press on the old data changes nothing.
    await head.wait_for_message(says("已由 张经办 处理", "撤回"), timeout=WAIT)
    await head.press_data(head_card["message_id"], data_of(head_card, "通过"))
    stale = await head.wait_for_callback_answer(timeout=WAIT)
    assert stale["show_alert"] and "已由 张经办 处理（撤回）" in stale["text"]
    # A second 撤回 from the submitter: it was they who did it.
    await staff.press_data(receipt["message_id"], data_of(receipt, "↩️ 撤回"))
    twice = await staff.wait_for_callback_answer(timeout=WAIT)
    assert "您已处理过此事项（撤回）" in twice["text"]

    async with e2e_db.transaction() as session:
        row = await session.get(GoalVersion, gv)
        steps = list(
            await session.scalars(
                select(ReviewStep.decision)
                .where(ReviewStep.item_kind == "goal_version", ReviewStep.item_id == gv)
                .order_by(ReviewStep.id)
            )
        )
    assert (row.status, row.stage) == ("draft", "head")
    assert steps == ["submit", "nudge", "withdraw"]


async def test_a_reviewer_copies_and_transfers_from_the_card_each_once(
    bureau: Bureau, e2e_db: Database
) -> None:
    world = bureau.world
    gv = await make_goal(world, name="教师培训项目")
    await submit_goal_version(world, gv, "edu_staff", utcnow())
    head = bureau["edu_head"]
    await press(head, await card_for(head, "教师培训项目", "待审核"), "通过")
    biz = bureau["biz1"]
    card = await card_for(biz, "教师培训项目", "业务科室审核")

    # 抄送 to the performance section's 何科长: a read-only notice, once however often pressed.
    await press(biz, card, "⋯ 转交/加签/抄送")
    menu = await biz.wait_for_message(says("转交给同一科室"), timeout=WAIT)
    await press(biz, menu, "📨 抄送")
    picker = await biz.wait_for_message(says("抄送给谁"), timeout=WAIT)
    assert "何科长" in buttons(picker) and "孙科长" not in buttons(picker)
    first = await press(biz, picker, "何科长")
    assert "已抄送" in first["text"]
    twice = await press(biz, picker, "何科长")
    assert "已抄送过此人" in twice["text"]
    copy = await card_for(bureau["perf"], "教师培训项目", "抄送", "孙科长 抄送给您")
    assert buttons(copy) == ["查看详情", "历史", "申报表"]

    # 转交 to the colleague 郑科员: only they get a new card; the old ones go stale.
    colleague = bureau["biz1b"]
    original = await card_for(colleague, "教师培训项目", "业务科室审核")
    await press(biz, card, "⋯ 转交/加签/抄送")
    menu = await biz.wait_for_message(says("转交给同一科室"), timeout=WAIT)
    await press(biz, menu, "🔁 转交")
    picker = await biz.wait_for_message(says("转交给谁"), timeout=WAIT)
    assert buttons(picker) == ["郑科员"]
    done = await press(biz, picker, "郑科员")
    assert "已转交" in done["text"]
    again = await press(biz, picker, "郑科员")
    assert "已由 孙科长 处理" not in again["text"] and "您已处理过此事项（转交）" in again["text"]
    handed = await card_for(colleague, "教师培训项目", "业务科室审核")
    assert handed["message_id"] != original["message_id"]
    await press(colleague, handed, "通过")

    async with e2e_db.transaction() as session:
        steps = list(
            await session.scalars(
                select(ReviewStep.decision)
                .where(ReviewStep.item_kind == "goal_version", ReviewStep.item_id == gv)
                .order_by(ReviewStep.id)
            )
        )
    assert steps == ["submit", "approve", "copy", "transfer", "approve"]


async def test_a_reviewer_adds_a_colleague_and_the_stage_waits_for_their_signature(
    bureau: Bureau, e2e_db: Database
) -> None:
    world = bureau.world
    gv = await make_goal(world, name="教师培训项目")
    await submit_goal_version(world, gv, "edu_staff", utcnow())
    head = bureau["edu_head"]
    await press(head, await card_for(head, "教师培训项目", "待审核"), "通过")
    biz = bureau["biz1"]
    card = await card_for(biz, "教师培训项目", "业务科室审核")

    # 加签 the performance section's 何科长: once, however often pressed.
    await press(biz, card, "⋯ 转交/加签/抄送")
    menu = await biz.wait_for_message(says("转交给同一科室"), timeout=WAIT)
    await press(biz, menu, "➕ 加签")
    picker = await biz.wait_for_message(says("请谁会签"), timeout=WAIT)
    assert "何科长" in buttons(picker) and "孙科长" not in buttons(picker)
    added = await press(biz, picker, "何科长")
    assert "已加签" in added["text"]
    twice = await press(biz, picker, "何科长")
    assert "已加签过此人" in twice["text"]
    asked = await card_for(bureau["perf"], "教师培训项目", "请会签", "孙科长 请您会签")
    assert "✅ 会签同意" in buttons(asked)

    # Until 何科长 signs, 通过 is refused (on this card and on the colleague's).
    early = await press(biz, card, "通过")
    assert early["show_alert"] and "尚未会签" in early["text"]
    colleague = bureau["biz1b"]
    other = await card_for(colleague, "教师培训项目", "业务科室审核")
    assert "尚未会签" in (await press(colleague, other, "通过"))["text"]
    async with e2e_db.transaction() as session:
        row = await session.get(GoalVersion, gv)
        assert row.stage == "business"

    signed = await press(bureau["perf"], asked, "✅ 会签同意")
    assert "已会签同意" in signed["text"]
    done = await press(biz, card, "通过")
    assert "已通过" in done["text"]
    await card_for(bureau["edu_staff"], "教师培训项目", "已通过业务科室审核")

    async with e2e_db.transaction() as session:
        assert (await session.get(GoalVersion, gv)).stage != "business"
        steps = list(
            await session.scalars(
                select(ReviewStep.decision)
                .where(ReviewStep.item_kind == "goal_version", ReviewStep.item_id == gv)
                .order_by(ReviewStep.id)
            )
        )
    assert steps == ["submit", "approve", "add_reviewer", "cosign", "approve"]
