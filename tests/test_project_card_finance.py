"""The project card for finance: the budget section's fund buttons and the newest action,
the performance section's 🔍 不定期跟踪 (a short form: due date, reason), nobody else's."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.handlers.goals.projects import card_reply
from bot.ui.callbacks import parse_tracking
from storage.db import Database
from storage.models import TrackingReport
from tests.review_world import World, build_world
from tests.test_fund_actions import RESUME, SUSPEND, act
from tests.tracking_world import issued_project
from workflow.core.access import AccessDenied
from workflow.forms import drafts
from workflow.forms.drafts import DraftOutcome
from workflow.forms.spec import Problem
from workflow.goals import projects
from workflow.tracking.ad_hoc_form import start_ad_hoc

NOW = dt.datetime(2026, 10, 20, 1, 0, tzinfo=dt.UTC)  # Tuesday 20 October, Shanghai morning


@pytest.fixture
async def world(database: Database) -> World:
    built = await build_world(database)
    project, _ = await issued_project(built, name="教师培训项目", amount="120.5")
    built.orgs["_project"] = project
    return built


async def card(world: World, who: str):
    sheet = await projects.goal_sheet(world.db, actor=world[who], project_id=world.orgs["_project"])
    reply = card_reply(sheet)
    presses = [
        parse_tracking(button.callback_data)
        for row in reply.markup.inline_keyboard
        for button in row
        if button.callback_data.startswith("tk:")
    ]
    return reply.text, [(p.action, p.first) for p in presses]


async def test_each_section_sees_its_own_buttons_and_the_newest_fund_action(world: World) -> None:
    _, budget = await card(world, "budget")
    assert budget == [("f", "s"), ("f", "t"), ("f", "r")]
    _, perf = await card(world, "perf")
    assert perf == [("ah", str(world.orgs["_project"]))]
    _, staff = await card(world, "edu_staff")
    assert staff == []

    assert (await act(world, SUSPEND, "30", "整改期间暂缓")).problem is None
    text, budget = await card(world, "budget")
    assert "💰 资金处理：暂缓拨付 30.00 万元（整改期间暂缓）" in text
    assert ("f", "u") in budget  # a suspension may be lifted
    staff_text, _ = await card(world, "edu_staff")
    assert "暂缓拨付 30.00 万元" in staff_text  # the department sees it on its card too
    assert (await act(world, RESUME, None, "整改到位")).problem is None
    text, budget = await card(world, "budget")
    assert "解除暂缓" in text and ("f", "u") not in budget


async def test_ad_hoc_tracking_from_the_card_asks_due_date_and_reason_then_opens_once(
    world: World,
) -> None:
    project = world.orgs["_project"]
    perf = world.person_id("perf")
    with pytest.raises(AccessDenied):
        await start_ad_hoc(world.db, actor=world["edu_staff"], project_id=project, now=NOW)
    opened = await start_ad_hoc(world.db, actor=world["perf"], project_id=project, now=NOW)
    assert not isinstance(opened, Problem) and str(opened.view.cursor) == "due_date"
    past = await drafts.answer(world.db, person_id=perf, text="2026-10-19", now=NOW)
    assert past.outcome is DraftOutcome.refused and past.problem.code == "adhoc_past_due"
    await drafts.answer(world.db, person_id=perf, text="2026-11-06", now=NOW)
    summary = await drafts.answer(world.db, person_id=perf, text="群众反映培训走过场", now=NOW)
    assert summary.view.step.kind == "summary"
    done = await drafts.submit(
        world.db, person_id=perf, draft_id=summary.view.id, version=summary.view.version, now=NOW
    )
    assert done.outcome is DraftOutcome.submitted, done.problem
    async with world.db.sessions() as session:
        reports = list(await session.scalars(select(TrackingReport)))
    assert [(r.ad_hoc, r.due_date, r.reason) for r in reports] == [
        (True, dt.date(2026, 11, 6), "群众反映培训走过场")
    ]
    again = await start_ad_hoc(world.db, actor=world["perf"], project_id=project, now=NOW)
    assert isinstance(again, Problem) and again.code == "adhoc_duplicate"
