"""/budget, /disclosure and /orgs as people use them: the year with work in it by default,
organisation codes in any case, an unknown code explained, the directory searched and paged."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from storage.db import Database
from storage.models import BudgetYear, Organisation, Project
from tests.chat_harness import answer_to, buttons, running_bot
from tests.review_world import PEOPLE, World, approve_through, build_world, make_goal
from workflow.goals import issuance

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
ISSUED, IN_PROGRESS = 2040, 2041  # far from the calendar year, which must not be the default


@pytest.fixture
async def world(database: Database) -> World:
    """An issued education project in 2040; a health project in review for 2041."""
    world = await build_world(database)
    edu = await make_goal(world, name="教师培训项目")
    await approve_through(world, edu, now=NOW)
    await issuance.issue_year(database, actor=world["budget"], year=2026, expected=1, now=NOW)
    health = await make_goal(world, org="HEALTH", staff="health_staff", name="基层医疗")
    await approve_through(world, health, staff="health_staff", reviewers=("health_head",), now=NOW)
    async with database.transaction() as session:
        session.add_all([BudgetYear(year=ISSUED, issued_at=NOW), BudgetYear(year=IN_PROGRESS)])
        await session.flush()
        for name, year in (("教师培训项目", ISSUED), ("基层医疗", IN_PROGRESS)):
            await session.execute(update(Project).where(Project.name == name).values(year=year))
    return world


def user(sandbox, key: str):
    name, telegram_id, _ = PEOPLE[key]
    return sandbox.add_user(telegram_id, name)


async def test_budget_and_disclosure_default_to_the_year_with_work_in_it(
    database: Database, world: World
) -> None:
    async with running_bot(database) as sandbox:
        budget = user(sandbox, "budget")
        await budget.send_text("/budget")
        overview = (await answer_to(budget, "年度项目绩效目标情况"))["text"]
        assert f"{IN_PROGRESS} 年度项目绩效目标情况" in overview and "基层医疗" in overview
        assert "不予预算安排 0 个" in overview  # in review, no deadline: pending

        staff = user(sandbox, "edu_staff")
        await staff.send_text("/disclosure")
        sent = await answer_to(staff, "公开表")
        assert f"市教育局 {ISSUED} 年度项目支出绩效目标公开表（1 个项目）" in sent["caption"]


async def test_disclosure_codes_in_any_case_and_an_unknown_code_says_how_to_find_one(
    database: Database, world: World
) -> None:
    async with running_bot(database) as sandbox:
        budget = user(sandbox, "budget")
        await budget.send_text(f"/disclosure {ISSUED} edu")
        sent = await answer_to(budget, "公开表")
        assert f"市教育局 {ISSUED} 年度" in sent["caption"]
        await budget.send_text(f"/disclosure {ISSUED} NOPE")
        text = (await answer_to(budget, "NOPE"))["text"]
        assert "没有单位代码为“NOPE”的单位" in text and "/orgs" in text
        assert "暂无已批复下达" not in text


async def test_orgs_lists_codes_searches_and_pages_for_finance_and_administrators(
    database: Database, world: World
) -> None:
    async with database.transaction() as session:
        session.add_all(
            Organisation(code=f"X{n:02d}", name=f"区属单位{n:02d}", kind="department")
            for n in range(1, 21)
        )
    async with running_bot(database) as sandbox:
        budget = user(sandbox, "budget")
        await budget.send_text("/orgs 教育")
        text = (await answer_to(budget, "单位和单位代码"))["text"]
        assert "EDU 市教育局 · 预算部门 · 3 人" in text
        assert "SCHOOL 市第一中学 · 所属单位 · 上级：市教育局 · 2 人" in text
        assert "HEALTH" not in text and "共 2 个" in text

        admin = user(sandbox, "admin")
        await admin.send_text("/orgs")
        first = await answer_to(admin, "单位和单位代码")
        assert "共 28 个，第 1/2 页" in first["text"] and buttons(first) == ["下一页 ➡️"]
        await admin.press(first, "下一页 ➡️")
        second = await answer_to(admin, "第 2/2 页")
        assert second["message_id"] == first["message_id"] and "X20 区属单位20" in second["text"]
        assert buttons(second) == ["⬅️ 上一页"]
        await admin.send_text("/invite 经办人 EDUX 张三")
        assert "/orgs" in (await answer_to(admin, "EDUX"))["text"]

        staff = user(sandbox, "edu_staff")
        await staff.send_text("/orgs")
        await answer_to(staff, "没有权限")


async def test_projects_search_filters_and_pages_with_buttons_titled_by_role(
    database: Database, world: World
) -> None:
    async with database.transaction() as session:
        culture = world.orgs["CULTURE"]
        session.add_all(
            Project(year=IN_PROGRESS, organisation_id=culture, name=f"文化惠民{n:02d}")
            for n in range(1, 11)
        )
    async with running_bot(database) as sandbox:
        budget = user(sandbox, "budget")
        await budget.send_text("/projects")
        first = await answer_to(budget, "全市项目")
        assert "本单位的项目" not in first["text"] and "共 12 个，第 1/2 页" in first["text"]
        assert "➕ 申报新项目" not in buttons(first)
        assert buttons(first)[-2:] == ["下一页 ➡️", "🔎 筛选"]

        await budget.send_text("/projects 惠民 草稿")
        found = await answer_to(budget, "符合条件")
        assert "符合条件 共 10 个，第 1/2 页" in found["text"]
        assert "筛选：“惠民” 草稿" in found["text"]
        await budget.press(found, "下一页 ➡️")
        second = await answer_to(budget, "第 2/2 页")
        assert "9. 2041 年 · 文化惠民09" in second["text"] and "筛选：“惠民” 草稿" in second["text"]

        await budget.press(second, "🔎 筛选")
        menu = await answer_to(budget, "筛选项目")
        assert "业务科室审核" in buttons(menu) and str(ISSUED) in buttons(menu)
        await budget.press(menu, "业务科室审核")  # the search and 草稿 stay: nothing left
        await answer_to(budget, "没有符合条件的项目")
        await budget.send_text("/projects 业务科室审核")
        waiting = await answer_to(budget, "业务科室审核中")
        assert "共 1 个" in waiting["text"] and "基层医疗" in waiting["text"]
        await budget.press(waiting, "✖️ 清除筛选")
        cleared = await answer_to(budget, "共 12 个")
        assert "筛选：" not in cleared["text"]

        expert = user(sandbox, "expert")
        await expert.send_text("/projects")
        theirs = await answer_to(expert, "邀请我评审的项目")
        assert "目前没有可查看的项目" in theirs["text"] and buttons(theirs) == ["🔎 筛选"]

        staff = user(sandbox, "edu_staff")
        await staff.send_text("/projects")
        own = await answer_to(staff, "本单位的项目")
        assert "➕ 申报新项目" in buttons(own)


async def test_a_role_named_like_its_organisation_is_shown_once(
    database: Database, world: World
) -> None:
    async with running_bot(database) as sandbox:
        budget = user(sandbox, "budget")
        await budget.send_text("/me")
        text = (await answer_to(budget, "您的角色"))["text"]
        assert "• 预算科（BUDGET）" in text and "预算科 · 预算科" not in text
        staff = user(sandbox, "edu_staff")
        await staff.send_text("/me")
        assert "• 经办人 · 市教育局（EDU）" in (await answer_to(staff, "您的角色"))["text"]


async def test_issue_before_the_peoples_congress_is_refused_with_its_date(
    database: Database, world: World
) -> None:
    async with database.transaction() as session:
        (await session.get(BudgetYear, IN_PROGRESS)).congress_date = dt.date(IN_PROGRESS, 1, 15)
    async with running_bot(database) as sandbox:
        budget = user(sandbox, "budget")
        await budget.send_text(f"/issue {IN_PROGRESS}")
        answer = await answer_to(budget, "人代会")
        assert f"{IN_PROGRESS}-01-15" in answer["text"] and "不能批复下达" in answer["text"]
        assert buttons(answer) == []  # nothing to confirm
