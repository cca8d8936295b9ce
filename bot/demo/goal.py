"""Demo scene: a staff member declares a training programme with 8 indicators in the chat.

A slip of the finger on the way (a date that does not exist, an amount in yuan), the bot
restarted in the middle (nothing lost), a correction from the summary, then the 申报表 as
a Word file from the project card.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from sandbox.client import SandboxUser
from storage.models import BudgetYear, Organisation
from workflow.core.access import TERMINAL
from workflow.people.invitations import create_invitation

if TYPE_CHECKING:
    from bot.demo.run import DemoWorld

STAFF_ID = 9101
SECTION, DEPARTMENT = "DEMO-S-SB", "DEMO-D-RS"
WAIT = 20.0

HEADER = [
    ("2026", "项目属性"),
    (None, "新增"),
    ("职业技能提升培训", "项目负责人"),
    ("王芳", "联系电话"),
    ("0519-87654321", "开始日期"),
    ("2026-01-01", "结束日期"),
    ("2026-12-32", "没有32日"),
    ("2026年12月31日", "资金总额"),
    ("1200元", "万元"),
    ("120", "财政拨款"),
    ("100", "上年结转"),
    ("15.5", "其他资金"),
    (None, "4.5"),
    (None, "120"),
    ("全年开展职业技能培训，提升劳动者就业创业能力。", "年度目标"),
    ("2026 年培训 3000 人次，取证率不低于 85%。", "进度内容"),
]
SCHEDULE = [
    ("制定培训计划", "2026-01-01", "2026-02-28"),
    ("组织开展培训", "2026-03-01", "2026-11-30"),
    ("考核评估总结", "2026-12-01", "2026-12-31"),
]
INDICATORS = [
    ("产出", "数量", "培训人次", "≥", "3000", "人次"),
    ("产出", "数量", "培训班次", "≥", "60", "个"),
    ("产出", "质量", "培训合格率", "≥", "90", "%"),
    ("产出", "质量", "取证率", "≥", "85", "%"),
    ("产出", "时效", "按期完成率", "=", "100", "%"),
    ("效益", "社会效益", "培训后就业率", "≥", "70", "%"),
    ("效益", "社会效益", "劳动者就业创业能力", "定性", "显著提升", None),
    ("满意度", "服务对象满意度", "学员满意度", "≥", "90", "%"),
]


async def _prepare(world: DemoWorld) -> str:
    """The department and budget year, and an invitation for its staff member."""
    async with world.db.transaction() as session:
        if (
            await session.scalar(select(Organisation.id).where(Organisation.code == SECTION))
            is None
        ):
            section = Organisation(code=SECTION, name="社会保障科", kind="business_section")
            session.add(section)
            await session.flush()
            session.add(
                Organisation(
                    code=DEPARTMENT,
                    name="市人力资源和社会保障局",
                    kind="department",
                    section_id=section.id,
                )
            )
        if await session.get(BudgetYear, 2026) is None:
            session.add(BudgetYear(year=2026, indicator_tree_version="2021"))
    invitation = await create_invitation(
        world.db, actor=TERMINAL, role="staff", organisation_code=DEPARTMENT, name="王芳"
    )
    return invitation.token


def _text(message: dict[str, Any]) -> str:
    return message.get("text") or message.get("caption") or ""


async def _next(user: SandboxUser, *fragments: str) -> dict[str, Any]:
    message = await user.wait_for_message(timeout=WAIT, include_edits=False)
    missing = [f for f in fragments if f not in _text(message)]
    if missing:
        raise AssertionError(f"expected {missing} in the bot's answer:\n{_text(message)}")
    return message


async def _say(user: SandboxUser, text: str, *fragments: str) -> dict[str, Any]:
    user.skip_pending()
    await user.send_text(text)
    return await _next(user, *fragments)


async def _tap(user: SandboxUser, message: dict, button: str, *fragments: str) -> dict:
    user.skip_pending()
    query = await user.press(message, button)
    await user.wait_for_callback_answer(query["id"], timeout=WAIT)
    if "document" in fragments:
        return await user.wait_for_message(lambda m: "document" in m, timeout=WAIT)
    return await _next(user, *fragments)


async def _indicator(user: SandboxUser, menu: dict, row: tuple, first: bool) -> dict:
    level1, level2, name, sign, value, unit = row
    message = menu if first else await _tap(user, menu, "➕ 再添加一条", "一级指标")
    message = await _tap(user, message, level1, "二级指标")
    message = await _tap(user, message, level2, "三级指标")
    message = await _say(user, name, "符号")
    if sign == "定性":
        message = await _tap(user, message, sign, "目标等级")
        message = await _say(user, value, "权重")
    else:
        message = await _tap(user, message, sign, "指标值")
        message = await _say(user, value, "计量单位")
        message = await _tap(user, message, unit, "权重")
    return await _tap(user, message, "跳过", "绩效指标（已填")


async def scene_goal_declaration(world: DemoWorld) -> None:
    """A staff member declares a training programme with 8 indicators; the bot restarts
    in the middle and nothing is lost; the 申报表 comes back as a Word file."""
    token = await _prepare(world)
    user = world.sandbox.add_user(STAFF_ID, "王芳")
    await _say(user, f"/start {token}", "登记成功")
    message = await _say(user, "/new", "预算年度")
    for text, expected in HEADER:
        if text is None:
            message = await _tap(user, message, expected, "")
        else:
            message = await _say(user, text, expected)
    await world.restart()  # a crash in the middle of the form
    message = await _say(user, "/resume", "进度内容")
    for number, (content, start, end) in enumerate(SCHEDULE):
        if number:
            message = await _tap(user, message, "➕ 再添加一条", "进度内容")
        await _say(user, content, "开始日期")
        await _say(user, start, "完成日期")
        message = await _say(user, end, "实施进度计划（已填")
    message = await _tap(user, message, "✅ 完成", "立项依据")
    message = await _say(user, "《职业技能提升行动方案（2019—2021年）》", "重点项目")
    message = await _tap(user, message, "否", "多个部门")
    message = await _tap(user, message, "否", "一级指标")
    for number, row in enumerate(INDICATORS):
        message = await _indicator(user, message, row, first=number == 0)
    summary = await _tap(user, message, "✅ 完成", "请核对", "8 条")
    message = await _tap(user, summary, "4", "项目负责人")
    summary = await _say(user, "王芳（就业培训科）", "请核对")
    user.skip_pending()
    await user.wait_for_callback_answer(
        (await user.press(summary, "✅ 确认提交"))["id"], timeout=WAIT
    )
    # The form's answer and the submitter's receipt (撤回 / 催办), in whichever order.
    done = await user.wait_for_message(lambda m: "已提交" in _text(m), timeout=WAIT)
    await user.wait_for_message(lambda m: "送部门主要领导审定" in _text(m), timeout=WAIT)
    card = await _tap(user, done, "📋 查看项目", "审核中")
    await _tap(user, card, "📄 下载申报表（Word）", "document")
    world.show("绩效目标申报：职业技能提升培训，8 个指标", user)
