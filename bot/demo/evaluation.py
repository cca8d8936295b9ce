"""Demo scene: the year ends and the training programme evaluates itself.

The performance section opens the self-evaluation; the staff member fills the 自评表 row by
row (one indicator short of its target needs its reason, the 定性 indicator a band and a
score inside it), sees every score, the total and the grade before submitting; the head
and the performance section approve. The performance section then draws a spot-check sample
with a stated seed, re-scores the project (one row lower), issues the report; the staff
member sends the rectification plan, finance accepts it; the budget section records its
decision for next year's budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.demo.goal import STAFF_ID, _next, _say, _tap
from bot.demo.review import PROJECT, _approve_from_card, _await
from bot.demo.tracking import _person

if TYPE_CHECKING:
    from bot.demo.run import DemoWorld

# 全年实际完成值 per issued indicator (the demo declared them in this order; weights were
# left to the proposal: 产出 5 × 10, 效益 2 × 15, 满意度 10).
ACTUALS = ("3100", "62", "92", "80", "100", "72", None, "94")
SHORT = 3  # 取证率 80 % of 85 %: 9.41 of 10, a reason needed


async def scene_self_evaluation(world: DemoWorld) -> None:
    """After the year ends the staff member fills the 自评表 and sees it scored (97.91, 优);
    the head and the performance section approve; finance draws a spot-check sample,
    re-scores it and issues the report; the plan comes back; the budget section decides."""
    staff = world.sandbox.user(STAFF_ID)
    performance = world.sandbox.user(_person("performance"))
    head = world.sandbox.user(_person("head"))

    confirm = await _say(performance, "/openevaluation 2026", "绩效自评价", "确认")
    await _tap(performance, confirm, "✅ 确认开启绩效自评价", "新开启 1 个")
    notice = await _await(staff, PROJECT, "需填报项目支出绩效自评表")
    card = await _tap(staff, notice, "📝 查看自评价任务", "绩效自评价")
    await _tap(staff, card, "✍️ 填报自评表", "全年预算数 A")
    await _say(staff, "120", "全年执行数 B")
    await _say(staff, "114", "实际完成情况")  # 95 %: 9.50 of 10, no reason needed
    await _say(staff, "全年培训 3100 人次，取证率略低于目标", "培训人次", "实际完成值")
    for number, actual in enumerate(ACTUALS):
        if actual is None:  # 劳动者就业创业能力 (定性)
            band = await _say(staff, "学员技能明显提高，就业质量提升", "完成程度")
            await _tap(staff, band, "达成", "自评得分")  # 达成: 12 to 15 of 15
            message = await _say(staff, "14", "")
            continue
        message = await _say(staff, actual, "")
        if number == SHORT:
            _next_if(message, "偏差原因")
            message = await _say(staff, "部分工种考试推迟至次年，已与鉴定机构约定补考", "")
    if "8/8" not in (message.get("text") or ""):
        message = await _next(staff, "8/8")
    await _tap(staff, message, "✅ 完成", "存在问题")
    await _say(staff, "个别工种鉴定排期紧张", "改进措施")
    summary = await _say(staff, "提前与鉴定机构对接考期", "请核对", "自评总分：97.91", "优")
    await _tap(staff, summary, "✅ 确认提交", "绩效自评表已提交", "97.91")

    await _approve_from_card(head, "部门主要领导审定")
    card = await _await(performance, PROJECT, "待审核", "绩效自评表", "绩效管理科审核")
    await _approve_from_card_message(performance, card)
    preview = await _say(performance, "/sample 2026 100% demo2026", "抽查预览", "随机种子 demo2026")
    await _tap(performance, preview, "✅ 确认抽取", "已抽取并保存")
    checks = await _say(performance, "/checks 2026", "财政评价名单", PROJECT)
    menu = await _tap(performance, checks, f"🧮 评价 1. {PROJECT}", "逐项复核评分")
    row = await _tap(performance, menu, "✏️ 第 4 条", "取证率")  # finance checks 取证率
    await _tap(performance, row, "改实际完成值", "实际完成值")
    menu = await _say(performance, "78", "逐项复核评分", "部门 9.41 → 财政 9.18")
    tags = await _tap(performance, menu, "✅ 完成", "发现的问题")
    performance.skip_pending()
    query = await performance.press(tags, "偏离绩效目标")
    await performance.wait_for_callback_answer(query["id"], timeout=20.0)
    tags = await performance.wait_for_message(
        lambda m: "已选：偏离绩效目标" in (m.get("text") or ""), timeout=20.0
    )
    await _tap(performance, tags, "✅ 完成选择", "评价结论")
    summary = await _say(
        performance, "取证率核减至 78%，其余属实；建议提前安排鉴定考期。", "请核对", "财政评价总分"
    )
    await _tap(performance, summary, "✅ 确认提交", "财政评价已保存")
    checks = await _say(performance, "/checks 2026", "财政评价名单", "财政评价")
    await _tap(performance, checks, f"📤 出具报告 1. {PROJECT}", "已向部门出具")

    report = await _await(staff, PROJECT, "抽查复核报告", "偏离绩效目标")
    await _tap(staff, report, "✍️ 报送整改方案", "整改情况概述")
    await _say(staff, "已制定取证率提升方案，按季度跟踪。", "问题")
    await _say(staff, "取证率低于目标", "整改措施")
    await _say(staff, "与鉴定机构签订考期保障协议", "责任人")
    await _say(staff, "就业培训科王芳", "完成时限")
    menu = await _say(staff, "2027-06-30", "整改事项")
    files = await _tap(staff, menu, "✅ 完成", "附件")
    summary = await _tap(staff, files, "跳过", "请核对")
    await _tap(staff, summary, "✅ 确认提交", "已提交")
    plan = await _await(performance, PROJECT, "整改书面回复待审核", "考期保障协议")
    await _tap(performance, plan, "✅ 认可整改", "已认可整改")

    budget = world.sandbox.user(_person("budget"))
    listing = await _say(budget, "/linkage 2026", "评价结果运用", "优先保障")
    decision = await _tap(budget, listing, f"⚖️ 决定 1. {PROJECT}", "预算安排决定")
    await _tap(budget, decision, "维持安排", "理由")
    summary = await _say(budget, "绩效良好，下一年度维持安排。", "请核对")
    await _tap(budget, summary, "✅ 确认提交", "维持安排")

    world.show("绩效自评价：经办人（填报、评分、提交、整改方案）", staff)
    world.show("绩效自评价：绩效管理科（开启、审核、抽查、复核、出具报告）", performance)
    world.show("结果运用：预算科", budget)


def _next_if(message: dict, fragment: str) -> None:
    """The answer just given led to `fragment` (the reason of a row not met)."""
    if fragment not in (message.get("text") or ""):
        raise AssertionError(f"expected {fragment!r} in the bot's answer:\n{message.get('text')}")


async def _approve_from_card_message(user, card: dict) -> None:
    """通过 on the card; the card itself then says it was settled."""
    user.skip_pending()
    query = await user.press(card, "通过")
    await user.wait_for_callback_answer(query["id"], timeout=20.0)
    await user.wait_for_message(
        lambda m: "已处理" in (m.get("text") or "") and PROJECT in (m.get("text") or ""),
        timeout=20.0,
    )
