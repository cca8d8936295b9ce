"""Demo scene: the training programme declared in the previous scene goes through the chain.

The department head approves from /todo; the business section returns it with a reason;
the staff member corrects it from the return notice and resubmits; it goes through the whole
chain again, the head and the business section seeing what changed, and the performance and
the budget sections approve; after the
People's Congress the budget section issues the year's goals, and the department exports
its publication table. Finance people are invited and register in the chat first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.demo.goal import DEPARTMENT, SECTION, STAFF_ID
from sandbox.client import SandboxUser
from storage.models import Organisation
from workflow.core.access import TERMINAL
from workflow.people.invitations import create_invitation

if TYPE_CHECKING:
    from bot.demo.run import DemoWorld

PROJECT = "职业技能提升培训"
PERFORMANCE, BUDGET = "DEMO-F-JX", "DEMO-F-YS"
WAIT = 20.0
CONFIRM = "✅ 确认提交"
CONFIRM_RETURN = "✅ 确认退回"
# telegram id, name, role, organisation code
PEOPLE = (
    (9102, "李局长", "head", DEPARTMENT),
    (9103, "赵科长", "business", SECTION),
    (9104, "孙科长", "performance", PERFORMANCE),
    (9105, "周科长", "budget", BUDGET),
)


def _text(message: dict[str, Any]) -> str:
    return message.get("text") or message.get("caption") or ""


def _says(*fragments: str) -> Any:
    return lambda message: all(fragment in _text(message) for fragment in fragments)


async def _await(user: SandboxUser, *fragments: str) -> dict[str, Any]:
    """The next message (not an edit) to `user` that says all of `fragments`."""
    return await user.wait_for_message(_says(*fragments), timeout=WAIT, include_edits=False)


async def _tap(user: SandboxUser, message: dict[str, Any], button: str) -> None:
    query = await user.press(message, button)
    await user.wait_for_callback_answer(query["id"], timeout=WAIT)


async def _say(user: SandboxUser, text: str, *fragments: str) -> dict[str, Any]:
    user.skip_pending()
    await user.send_text(text)
    return await _await(user, *fragments)


async def _register(world: DemoWorld) -> dict[str, SandboxUser]:
    """The finance sections exist; the head and one person per section register."""
    async with world.db.transaction() as session:
        for code, name, kind in (
            (PERFORMANCE, "绩效管理科", "performance_section"),
            (BUDGET, "预算科", "budget_section"),
        ):
            if await session.scalar(select(Organisation.id).where(Organisation.code == code)):
                continue
            session.add(Organisation(code=code, name=name, kind=kind))
    people = {}
    for telegram_id, name, role, organisation in PEOPLE:
        invitation = await create_invitation(
            world.db, actor=TERMINAL, role=role, organisation_code=organisation, name=name
        )
        user = world.sandbox.add_user(telegram_id, name)
        await _say(user, f"/start {invitation.token}", "登记成功")
        people[role] = user
    return people


async def _approve_from_card(user: SandboxUser, stage: str, *shows: str) -> None:
    card = await _await(user, PROJECT, "待审核", stage, *shows)
    await _tap(user, card, "通过")
    await user.wait_for_message(_says("您已通过"), timeout=WAIT)


async def scene_review_chain(world: DemoWorld) -> None:
    """The training programme goes through the whole review chain, one return included,
    is issued after the People's Congress, and goes into the publication table."""
    people = await _register(world)
    staff = world.sandbox.user(STAFF_ID)
    head, business = people["head"], people["business"]

    # The head registered after the goal was submitted: /todo shows it.
    listing = await _say(head, "/todo", "我的待办", PROJECT)
    await _tap(head, listing, f"1. {PROJECT}")
    await _approve_from_card(head, "部门主要领导审定")

    card = await _await(business, PROJECT, "待审核", "业务科室审核")
    await _tap(business, card, "退回修改")
    await _await(business, "退回理由")
    summary = await _say(business, "取证率指标请补充测算依据，年度目标请写明分季度安排。", "请核对")
    await _tap(business, summary, CONFIRM_RETURN)
    await _await(business, "已退回")

    notice = await _await(staff, PROJECT, "被退回修改", "取证率")
    staff.skip_pending()
    await _tap(staff, notice, "修改后重新提交")
    summary = await _await(staff, "请核对")
    await _tap(staff, summary, "14")
    await _await(staff, "年度目标")
    summary = await _say(
        staff,
        "2026 年培训 3000 人次（一季度 600、二季度 900、三季度 900、四季度 600），"
        "取证率不低于 85%（按近三年平均 83.6% 测算）。",
        "请核对",
    )
    await _tap(staff, summary, CONFIRM)
    await _await(staff, "已提交")

    await _approve_from_card(head, "部门主要领导审定", "以来的修改", "年度目标：")
    await _approve_from_card(business, "业务科室审核", "上次退回的版本")
    await _approve_from_card(people["performance"], "绩效管理科审核")
    await _approve_from_card(people["budget"], "预算科审核")
    approved = await _await(staff, PROJECT, "审核通过")

    budget = people["budget"]
    confirm = await _say(budget, "/issue 2026", "批复下达", PROJECT)
    await _tap(budget, confirm, "确认批复下达")
    await _await(budget, "已批复下达 1 项")
    await _await(staff, "已批复下达", PROJECT)
    await _say(staff, "/disclosure 2026", "公开表")
    staff.skip_pending()
    await _tap(staff, approved, "历史")
    await _await(staff, "审核历史", "退回修改", "批复下达")

    world.show("审核链：部门主要领导", head)
    world.show("审核链：业务科室（退回一次）", business)
    world.show("审核链：经办人（修改后重新提交、下达、公开）", staff)
    world.show("审核链：绩效管理科", people["performance"])
    world.show("审核链：预算科（批复下达）", budget)
