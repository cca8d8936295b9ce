"""/deadlines, /calendar, /setrule and /yeardates through the real bot and the sandbox."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.ui.render import render
from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import BudgetYear, DeadlineRule
from tests.deadline_world import SHANGHAI, add_project, build_world
from tests.e2e.conftest import BotFactory
from workflow.calendar.rules import load_rules
from workflow.calendar.workdays import WorkCalendar

pytestmark = pytest.mark.e2e


def _overdue_tracking_year() -> int:
    """A budget year whose tracking form (due about 10-15) is overdue today."""
    today = dt.datetime.now(SHANGHAI).date()
    return today.year if today >= dt.date(today.year, 10, 25) else today.year - 1


def _containing(text: str):
    return lambda message: text in message.get("text", "")


@pytest.fixture
async def running(e2e_db: Database, bot_factory: BotFactory) -> tuple[BotProcess, object]:
    """The bureau of tests/deadline_world with one overdue project, and the bot running."""
    world = await build_world(e2e_db)
    await add_project(e2e_db, world, year=_overdue_tracking_year())
    return await bot_factory(), world


async def test_staff_see_their_overdue_form_and_finance_sees_who_is_late(
    sandbox: BotApiSandbox, running: tuple[BotProcess, object]
) -> None:
    staff = sandbox.add_user(101, "张经办")
    await staff.send_text("/deadlines")
    reply = await staff.wait_for_message(_containing("我的待办期限"), timeout=20)
    assert "🔴 绩效跟踪表 · 教师培训" in reply["text"]
    assert "已逾期" in reply["text"]
    assert "逾期情况" not in reply["text"]  # not a finance section

    business = sandbox.add_user(103, "王科员")
    await business.send_text("/deadlines")
    reply = await business.wait_for_message(_containing("我的待办期限"), timeout=20)
    assert "目前没有待办的期限" in reply["text"]
    assert "🔴 市教育局 · 教师培训" in reply["text"]


async def test_admin_edits_a_rule_and_budget_section_sets_the_years_dates(
    sandbox: BotApiSandbox, running: tuple[BotProcess, object], e2e_db: Database
) -> None:
    admin = sandbox.add_user(106, "孙管理")
    await admin.send_text("/calendar")
    overview = await admin.wait_for_message(_containing("期限规则"), timeout=20)
    assert "绩效跟踪表：第三季度结束（9月30日）后 15 日内" in overview["text"]
    assert "绩效目标业务科室审核：送达本审核环节后 5 个工作日内" in overview["text"]
    assert "review." not in overview["text"]  # Chinese names, not the rule codes
    assert "工作日历" in overview["text"]

    await admin.send_text("/setrule review.business 7")
    changed = await admin.wait_for_message(_containing("期限规则"), timeout=20)
    assert "送达本审核环节后 7 个工作日内" in changed["text"]

    budget = sandbox.add_user(105, "钱科员")
    await budget.send_text("/yeardates 2099 2098-10-20 2099-01-15")
    answer = await budget.wait_for_message(_containing("2099"), timeout=20)
    assert "2098-10-20" in answer["text"] and "2099-01-15" in answer["text"]
    await budget.send_text("/yeardates 2099 soon")
    usage = await budget.wait_for_message(_containing("用法"), timeout=20)
    assert "/yeardates" in usage["text"]

    staff = sandbox.add_user(101, "张经办")
    await staff.send_text("/setrule tracking 30")
    refused = await staff.wait_for_message(timeout=20)
    assert refused["text"] == render("access_denied")

    async with e2e_db.sessions() as session:
        rule = await session.get(DeadlineRule, "review.business")
        rules = await load_rules(session)
        year = await session.get(BudgetYear, 2099)
    assert rule.days == 7 and rules["tracking"].days == 15
    assert (year.goal_submission_date, year.congress_date) == (
        dt.date(2098, 10, 20),
        dt.date(2099, 1, 15),
    )


async def test_admin_points_a_rule_at_another_trigger(
    sandbox: BotApiSandbox, running: tuple[BotProcess, object], e2e_db: Database
) -> None:
    admin = sandbox.add_user(106, "孙管理")
    await admin.send_text("/setrule tracking 15 q4_end")
    refused = await admin.wait_for_message(_containing("起算事件"), timeout=20)
    assert "没有这个起算事件" in refused["text"] and "年度结束（12月31日）" in refused["text"]
    assert "year_end" not in refused["text"]

    await admin.send_text("/setrule 绩效跟踪表 20 日 年度结束")  # the names /calendar shows
    changed = await admin.wait_for_message(_containing("期限规则"), timeout=20)
    assert "第三季度结束（9月30日）后 15 日内" in changed["text"]
    assert "年度结束（12月31日）后 20 日内" in changed["text"]

    staff = sandbox.add_user(101, "张经办")
    await staff.send_text("/deadlines")
    reply = await staff.wait_for_message(_containing("我的待办期限"), timeout=20)
    # Counted from 12-31 now: 20 days into the next year (the next working day if not one).
    due = WorkCalendar().calendar_deadline(dt.date(_overdue_tracking_year(), 12, 31), 20).due
    assert f"截止 {due.isoformat()}" in reply["text"]
    async with e2e_db.sessions() as session:
        rule = await session.get(DeadlineRule, "tracking")
    assert (rule.trigger, rule.days, rule.unit) == ("year_end", 20, "calendar_days")
