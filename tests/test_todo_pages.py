"""/todo a page at a time: a long list loads one page, numbered on from the pages before."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event

from bot.handlers.review.cards import todo_reply
from storage.db import Database
from storage.models import GoalVersion
from tests.review_world import approve_through, build_world, make_goal, submit_goal_version
from workflow.review import batch as review_batch
from workflow.review import views as review_views
from workflow.review.batch import CHECKLIST_SIZE

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
ITEMS = 45


def labels(markup: Any) -> list[str]:
    return [button.text for row in markup.inline_keyboard for button in row]


async def test_a_long_todo_is_loaded_and_shown_a_page_at_a_time(database: Database) -> None:
    world = await build_world(database)
    for number in range(ITEMS):
        goal = await make_goal(world, name=f"项目{number:02d}")
        # Entered on different days (some twice on one day), so the urgency order is mixed.
        await submit_goal_version(world, goal, "edu_staff", NOW - dt.timedelta(days=number % 17))
    head = world["edu_head"]
    everything = await review_views.todo(database, actor=head, now=NOW)
    assert len(everything) == ITEMS
    loaded: list[int] = []

    def record(target: GoalVersion, _context: Any) -> None:
        loaded.append(target.id)

    event.listen(GoalVersion, "load", record)
    try:
        second = await review_views.todo_page(database, actor=head, now=NOW, page=1)
    finally:
        event.remove(GoalVersion, "load", record)
    assert (second.total, second.pages, second.page) == (ITEMS, 5, 1)
    assert [i.item_id for i in second.items] == [i.item_id for i in everything[10:20]]
    assert len(set(loaded)) <= 20, len(set(loaded))  # the first two pages at most, not all 45
    text, markup = todo_reply(second)
    assert "我的待办（45 项，第 2/5 页）" in text
    assert "11. 【" in text and f"{everything[10].project}" in text.split("12. ")[0]
    assert everything[9].project not in text and everything[20].project not in text
    shown = labels(markup)
    assert shown[:2] == [f"11. {everything[10].project}", f"12. {everything[11].project}"]
    assert shown[10:12] == ["⬅️ 上一页", "下一页 ➡️"]
    last = await review_views.todo_page(database, actor=head, now=NOW, page=99)
    assert last.page == 4 and [i.item_id for i in last.items] == [
        i.item_id for i in everything[40:]
    ]
    assert "下一页 ➡️" not in labels(todo_reply(last)[1])


async def test_select_all_ticks_the_items_the_checklist_shows(database: Database) -> None:
    world = await build_world(database)
    for number in range(CHECKLIST_SIZE + 3):
        goal = await make_goal(world, name=f"项目{number:02d}")
        await approve_through(
            world, goal, reviewers=("edu_head", "biz1"), now=NOW - dt.timedelta(hours=number)
        )
    perf = world["perf"]
    urgent = [i for i in await review_views.todo(database, actor=perf, now=NOW) if i.batchable]
    assert len(urgent) == CHECKLIST_SIZE + 3
    checklist = await review_batch.tick_all(database, actor=perf, now=NOW)
    shown = [(i.item_id, i.checked) for i in checklist.items]
    assert shown == [(i.item_id, True) for i in urgent[:CHECKLIST_SIZE]]
    async with database.sessions() as session:
        ticked = await review_batch.ticked(session, perf.person_id)
    assert sorted(row[1] for row in ticked) == sorted(i.item_id for i in urgent[:CHECKLIST_SIZE])
