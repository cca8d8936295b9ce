"""Finance's evaluation through the running bot: a drawn project re-scored from /checks, the
report issued, the department's plan sent back with a file and accepted, the budget
section's decision recorded; next year's reviewer sees it all and acknowledges the
precondition while a rectification is open."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import (
    Attachment,
    BudgetLinkage,
    FinanceEvaluation,
    Project,
    RectificationRequest,
)
from tests.e2e.test_review_chain import WAIT, Bureau, buttons, card_for, press, says
from tests.e2e.test_tracking_e2e import answer, tap
from tests.review_world import YEAR, build_world, submit_goal_version
from tests.test_evaluation_form import fill_to_summary, opened
from tests.test_evaluation_form import press as form_press
from tests.test_evaluation_prior import NOW as REVIEW_NOW
from tests.test_evaluation_prior import continuing
from workflow.forms import drafts
from workflow.forms.spec import Problem
from workflow.results import selection
from workflow.results.sampling import SampleRule


@pytest.fixture
async def people(e2e_db: Database, sandbox: BotApiSandbox, bot: BotProcess) -> Bureau:
    return Bureau(await build_world(e2e_db), sandbox)


async def test_rescore_report_plan_with_a_file_accept_and_decide(
    people: Bureau, e2e_db: Database
) -> None:
    bureau = people
    world = bureau.world
    evaluation_id = await opened(world)
    await fill_to_summary(world, evaluation_id)  # 83.30 良
    await form_press(world, drafts.submit)
    drawn = await selection.draw_sample(
        e2e_db, actor=world["perf"], year=YEAR, rule=SampleRule(seed="e2e", count=1)
    )
    assert not isinstance(drawn, Problem) and len(drawn.selected) == 1
    perf, staff, budget = bureau["perf"], bureau["edu_staff"], bureau["budget"]

    await perf.send_text(f"/checks {YEAR}")
    checks = await perf.wait_for_message(says("财政评价名单", "随机抽中"), timeout=WAIT)
    menu = await tap(perf, checks, "🧮 评价 1. 教师培训项目", "逐项复核评分", "部门 45 → 财政 45")
    perf.skip_pending()
    await press(perf, menu, "✏️ 第 1 条")
    row = await perf.wait_for_message(says("培训人次"), timeout=WAIT, include_edits=False)
    await tap(perf, row, "改实际完成值", "实际完成值")
    menu = await answer(perf, "400", "部门 45 → 财政 40（-5）")
    tags = await tap(perf, menu, "✅ 完成", "发现的问题")
    await tap(perf, tags, "✅ 完成选择", "评价结论")
    summary = await answer(perf, "培训人次核减", "请核对", "财政评价总分：78.3", "中")
    await tap(perf, summary, "✅ 确认提交", "财政评价已保存")
    perf.skip_pending()
    await perf.send_text(f"/checks {YEAR}")
    checks = await perf.wait_for_message(says("财政评价 78.30 分"), timeout=WAIT)
    await tap(perf, checks, "📤 出具报告 1. 教师培训项目", "已向部门出具")

    report = await card_for(staff, "教师培训项目", "抽查复核报告", "78.30")
    staff.skip_pending()
    await press(staff, report, "📄 评价报告（Word）")
    document = await staff.wait_for_message(lambda m: "document" in m, timeout=WAIT)
    assert document["document"]["file_name"].endswith(".docx")
    await tap(staff, report, "✍️ 报送整改方案", "整改情况概述")
    await answer(staff, "已整改", "问题")
    await answer(staff, "培训人次统计口径不一", "整改措施")
    await answer(staff, "统一签到系统", "责任人")
    await answer(staff, "培训科张科长", "完成时限")
    menu = await answer(staff, "2027-06-30", "整改事项")
    await tap(staff, menu, "✅ 完成", "附件")
    staff.skip_pending()
    await staff.send_document("整改方案.pdf", b"%PDF-1.4 the plan")
    files = await staff.wait_for_message(says("已收到 1 个文件"), timeout=WAIT)
    summary = await tap(staff, files, "✅ 完成（已收 1 个文件）", "请核对")
    await tap(staff, summary, "✅ 确认提交", "已提交")
    plan = await card_for(
        perf, "教师培训项目", "整改书面回复待审核", "统一签到系统", "附件（1 个）"
    )
    await tap(perf, plan, "✅ 认可整改", "已认可整改")

    await budget.send_text(f"/linkage {YEAR}")
    listing = await budget.wait_for_message(says("评价结果运用", "适度调整"), timeout=WAIT)
    assert "⚖️ 决定 1. 教师培训项目" in buttons(listing)
    decision = await tap(budget, listing, "⚖️ 决定 1. 教师培训项目", "建议适度调整")
    await tap(budget, decision, "调整金额", "调整后金额")
    await answer(budget, "100", "理由")
    summary = await answer(budget, "培训人次核减，压减安排", "请核对")
    await tap(budget, summary, "✅ 确认提交", "调整金额")

    # Next year's continuing project: its reviewer sees last year's results and the decision.
    async with e2e_db.sessions() as session:
        last_year = await session.scalar(select(Project.id).where(Project.name == "教师培训项目"))
    _, goal = await continuing(world, last_year)
    await submit_goal_version(world, goal, "edu_staff", REVIEW_NOW)
    head = bureau["edu_head"]
    await card_for(head, "教师培训项目（续）", "上年结果", "财政评价 78.30 分", "调整金额 100")

    async with e2e_db.sessions() as session:
        finance = (await session.scalars(select(FinanceEvaluation))).one()
        request = (await session.scalars(select(RectificationRequest))).one()
        linkage = (await session.scalars(select(BudgetLinkage))).one()
        files = list(await session.scalars(select(Attachment.item_type)))
    assert (finance.grade, request.source, request.status) == ("中", "spot_check", "accepted")
    assert (linkage.decision, linkage.recommendation) == ("adjusted", "adjust")
    assert files == ["rectification_reply"]
