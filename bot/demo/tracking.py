"""Demo scene: Q3 tracking of the programme issued in the previous scene.

The performance section opens the year's tracking; the staff member is told, opens the task
and fills the 绩效跟踪表 (a wrong amount refused on the way, the bot restarted in the middle
and the form resumed); the budget light and one indicator are yellow, so reasons and
measures are asked for; the department head approves; the performance section approves it
with a rectification suggestion, the staff member answers in writing with a PDF attached,
and finance accepts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.demo.goal import STAFF_ID, _next, _say, _tap
from bot.demo.review import PEOPLE, PROJECT, _approve_from_card, _await

if TYPE_CHECKING:
    from bot.demo.run import DemoWorld

LIKELY = "✅ 确定能"
EXAM_PLAN = b"%PDF-1.4\n% the schedule of the extra exam sessions (a demo file)\n%%EOF\n"
# (1-9 月实际完成值, 全年预计完成情况, 完成可能性, (偏差原因...), 改进措施) per issued indicator
ROWS = (
    ("2400", "全年可完成 3000 人次", LIKELY, (), None),
    ("50", "第四季度再开 12 个班", LIKELY, (), None),
    ("92", "合格率保持在 90% 以上", LIKELY, (), None),
    ("60", "部分工种考试推迟到 12 月", "❔ 有可能", ("人员保障", "其他"), "与鉴定机构加开考期"),
    ("100", "按期完成", LIKELY, (), None),
    ("55", "年底前就业率可达 70%", LIKELY, (), None),
    ("学员技能明显提高", "能力显著提升", LIKELY, (), None),
    ("93", "满意度保持在 90% 以上", LIKELY, (), None),
)


def _person(role: str) -> int:
    return next(telegram_id for telegram_id, _, held, _ in PEOPLE if held == role)


async def _fill_row(world: DemoWorld, number: int) -> dict:
    """Answer one indicator row; returns the bot's next question (or the row menu)."""
    staff = world.sandbox.user(STAFF_ID)
    actual, expected, likelihood, causes, measures = ROWS[number]
    await _say(staff, actual, "全年预计完成情况")
    message = await _say(staff, expected, "完成可能性")
    if not causes:
        return await _tap(staff, message, likelihood, "")
    message = await _tap(staff, message, likelihood, "偏差原因")
    for cause in causes:
        staff.skip_pending()
        query = await staff.press(message, cause)
        await staff.wait_for_callback_answer(query["id"], timeout=20.0)
        message = await staff.wait_for_message(
            lambda m: "偏差原因" in (m.get("text") or ""), timeout=20.0
        )
    message = await _tap(staff, message, "✅ 完成选择", "具体原因")
    await _say(staff, "考核鉴定机构排期已满", "改进措施")
    return await _say(staff, measures or "", "")


async def scene_tracking(world: DemoWorld) -> None:
    """After Q3 the performance section opens tracking; the staff member fills the
    绩效跟踪表 (a wrong amount refused, a restart in the middle); the head approves; the
    performance section sends a rectification suggestion, answered in writing and accepted."""
    staff = world.sandbox.user(STAFF_ID)
    performance = world.sandbox.user(_person("performance"))
    head = world.sandbox.user(_person("head"))

    confirm = await _say(performance, "/opentracking 2026", "开启绩效跟踪", "确认")
    await _tap(performance, confirm, "✅ 确认开启绩效跟踪", "新开启 1 个")
    notice = await _await(staff, PROJECT, "需填报绩效跟踪表")
    card = await _tap(staff, notice, "📝 查看跟踪任务", "绩效指标", "120")
    await _tap(staff, card, "✍️ 填报跟踪表", "全年预算数 A")
    await _say(staff, "120", "1-9 月执行数 B")
    await _say(staff, "130", "不能超过全年预算数 A")  # more spent than budgeted: refused
    await _say(staff, "80", "全年预计执行数")
    await _say(staff, "118", "低于序时进度")
    await _say(staff, "部分培训班安排在第四季度，资金按进度拨付", "1-9 月实际完成值")
    for number in range(3):
        await _fill_row(world, number)

    await world.restart()  # a crash in the middle of the form: nothing is lost
    await _say(staff, "/resume", "取证率")
    for number in range(3, len(ROWS)):
        message = await _fill_row(world, number)
    if "已填写" not in (message.get("text") or ""):
        message = await _next(staff, "已填写")
    summary = await _tap(staff, message, "✅ 完成", "请核对")
    await _tap(staff, summary, "✅ 确认提交", "绩效跟踪表已提交", "66.67%")

    await _approve_from_card(head, "部门主要领导审定")
    card = await _await(performance, PROJECT, "待审核", "绩效管理科审核", "取证率")
    await _tap(performance, card, "🛠 提出整改建议", "整改建议")
    proposal = await _say(
        performance, "取证率明显落后于序时进度，请说明补考安排和时间表。", "是否建议预算科"
    )
    summary = await _tap(performance, proposal, "跳过", "请核对")  # no fund action proposed
    await _tap(performance, summary, "✅ 确认提交", "已通过并发出整改建议")

    request = await _await(staff, PROJECT, "整改要求", "补考安排")
    await _tap(staff, request, "✍️ 书面回复", "请写明整改措施")
    files = await _say(staff, "已与鉴定机构约定 11 月、12 月各加开一次考期。", "如有整改材料")
    staff.skip_pending()
    await staff.send_document("补考安排表.pdf", EXAM_PLAN)  # the written reply's evidence
    files = await _next(staff, "已收到 1 个文件")
    summary = await _tap(staff, files, "✅ 完成（已收 1 个文件）", "请核对")
    await _tap(staff, summary, "✅ 确认提交", "书面回复已提交")
    reply = await _await(performance, PROJECT, "整改书面回复待审核", "补考安排表.pdf")
    await _tap(performance, reply, "✅ 认可整改", "已认可整改")
    await _await(staff, PROJECT, "整改已认可")

    world.show("绩效跟踪：经办人（填报、重启后继续、提交、书面回复）", staff)
    world.show("绩效跟踪：绩效管理科（开启、整改建议、认可）", performance)
