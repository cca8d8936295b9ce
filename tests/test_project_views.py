"""/projects as people see it: paged lists, co-departments' view, the card and the preview."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from bot.handlers.goals.projects import card_reply, page_reply, preview_reply
from storage.db import Database
from storage.models import Project, ProjectCodepartment
from tests.goal_world import actor_of_person_db, build_goal_world, declared
from tests.test_form_view import check
from workflow.goals import projects


def labels(reply) -> list[str]:
    return [button.text for row in reply.markup.inline_keyboard for button in row]


async def test_projects_are_paged_and_a_co_department_sees_the_shared_one(
    database: Database,
) -> None:
    world = await build_goal_world(database)
    async with database.transaction() as session:
        for number in range(1, 10):
            session.add(
                Project(year=2026, organisation_id=world.department, name=f"项目{number:02d}")
            )
        shared = Project(
            year=2026, organisation_id=world.other_department, name="共建项目", is_shared=True
        )
        session.add(shared)
        await session.flush()
        session.add(ProjectCodepartment(project_id=shared.id, organisation_id=world.department))
    staff = await actor_of_person_db(database, world.staff)

    first = await projects.list_projects(database, actor=staff)
    text = check(page_reply(first))
    assert (first.total, first.pages, len(first.lines)) == (10, 2, 8)
    assert "共 10 个，第 1/2 页" in text and "1. 2026 年 · 项目01" in text
    assert labels(page_reply(first))[-3:] == ["下一页 ➡️", "🔎 筛选", "➕ 申报新项目"]
    second = await projects.list_projects(database, actor=staff, page=1)
    text = check(page_reply(second))
    assert "9. 2026 年 · 项目09" in text and "10. 2026 年 · 共建项目" in text
    assert "市教育局 · 草稿 · 协同部门查看" in text
    assert labels(page_reply(second)) == [
        "9. 项目09",
        "10. 共建项目",
        "⬅️ 上一页",
        "🔎 筛选",
        "➕ 申报新项目",
    ]
    beyond = await projects.list_projects(database, actor=staff, page=7)
    assert beyond.page == 1  # an old "next" button after projects went away: the last page

    sheet = await projects.goal_sheet(database, actor=staff, project_id=shared.id)
    assert sheet.name == "共建项目" and sheet.may_edit is False  # viewing, not declaring
    outsider = await actor_of_person_db(database, world.outsider)  # the lead's staff
    theirs = await projects.list_projects(database, actor=outsider)
    assert [(line.name, line.codepartment) for line in theirs.lines] == [("共建项目", False)]


async def test_the_card_and_the_preview_show_the_declared_sheet(database: Database) -> None:
    world = await build_goal_world(database)
    done = await declared(database, world.staff)
    staff = await actor_of_person_db(database, world.staff)
    sheet = await projects.goal_sheet(database, actor=staff, project_id=done.record.project_id)

    card = card_reply(sheet)
    text = check(card)
    assert "状态：审核中 · 部门主要领导审定" in text
    assert "资金总额：120 万元 · 年度申请额：120 万元" in text and "绩效指标：4 条" in text
    # no edit in review; 历史 opens the review timeline
    assert labels(card) == ["📄 下载申报表（Word）", "👁 预览", "历史", "📚 项目列表"]

    preview = check(preview_reply(sheet))
    for fragment in (
        "项目支出绩效目标申报表（2026年度）",
        "其中：财政拨款 100 · 上年结转 15.5 · 其他资金 4.5",
        "1. 制定培训计划（2026年1月1日 至 2026年2月28日）",
        "【产出指标】\n  数量指标\n    · 培训人次：≥3000人次（权重 10）\n  质量指标\n",
        "· 就业率提升：定性：良（权重 20）",
        "状态：审核中",
    ):
        assert fragment in preview, fragment
    assert preview.count("【产出指标】") == 1


async def test_a_long_list_is_paged_in_sql_never_loading_every_project(database: Database) -> None:
    world = await build_goal_world(database)
    async with database.transaction() as session:
        session.add_all(
            Project(year=2026, organisation_id=world.department, name=f"项目{number:03d}")
            for number in range(1, 201)
        )
    staff = await actor_of_person_db(database, world.staff)
    parameters: list[int] = []

    def record(_conn: Any, _cursor: Any, _sql: str, params: Any, *_: Any) -> None:
        parameters.append(len(params) if isinstance(params, (tuple, list, dict)) else 0)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        second = await projects.list_projects(database, actor=staff, page=1)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
    text = check(page_reply(second))
    assert (second.total, second.pages, len(second.lines)) == (200, 25, 8)
    assert "共 200 个，第 2/25 页" in text
    assert "9. 2026 年 · 项目009" in text and "16. 2026 年 · 项目016" in text
    assert "项目008" not in text and "项目017" not in text
    assert labels(page_reply(second))[-4:-2] == ["⬅️ 上一页", "下一页 ➡️"]
    # no statement carries the visible projects' ids (today's IN list had all 200)
    assert parameters and max(parameters) < 20, parameters
