"""Opening the Q3 tracking: one task per issued project, once; ad hoc; who may; who hears."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.ui.callbacks import button_data
from storage.db import Database
from storage.models import GoalVersion, OutboxMessage, TrackingReport
from tests.review_world import YEAR, World, build_world, make_goal
from tests.tracking_world import issued_project, set_status
from workflow.core.access import TERMINAL, AccessDenied
from workflow.tracking import opening, tasks
from workflow.tracking.opening import AdHocOutcome

NOW = dt.datetime(2026, 10, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def reports(world: World) -> list[TrackingReport]:
    async with world.db.sessions() as session:
        return list(await session.scalars(select(TrackingReport).order_by(TrackingReport.id)))


async def messages(world: World, template: str) -> list[OutboxMessage]:
    async with world.db.sessions() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == template)
                .order_by(OutboxMessage.id)
            )
        )


async def test_opening_twice_creates_each_task_once_and_skips_unfunded(world: World) -> None:
    edu, edu_version = await issued_project(world, name="教师培训项目", amount="120.5")
    school, _ = await issued_project(
        world, org="SCHOOL", staff="school_staff", name="校舍维修", amount="80"
    )
    unfunded = await make_goal(world, org="HEALTH", staff="health_staff", name="基层医疗")
    await set_status(world, unfunded, "no_budget", "no_budget")
    withdrawn = await make_goal(world, org="CULTURE", staff="edu_staff", name="撤回项目")
    await set_status(world, withdrawn, "withdrawn", "withdrawn")
    # An adjusted project: its first version superseded, the adjustment in force.
    adjusted, old_version = await issued_project(world, name="教学设备更新", amount="50")
    async with world.db.transaction() as session:
        (await session.get(GoalVersion, old_version)).status = "superseded"
        session.add(
            GoalVersion(
                project_id=adjusted,
                number=2,
                kind="adjustment",
                status="issued",
                annual_amount=Decimal("45.5"),
            )
        )

    first = await opening.open_tracking(world.db, actor=world["perf"], year=YEAR, now=NOW)
    assert len(first.opened) == 3 and first.existing == 0
    second = await opening.open_tracking(world.db, actor=world["admin"], year=YEAR, now=NOW)
    assert second.opened == [] and second.existing == 3

    found = await reports(world)
    assert sorted(r.project_id for r in found) == sorted([edu, school, adjusted])
    assert all(r.period_end == dt.date(YEAR, 9, 30) and not r.ad_hoc for r in found)
    assert all(r.status == "draft" for r in found)
    by_project = {r.project_id: r for r in found}
    assert by_project[edu].goal_version_id == edu_version
    assert by_project[edu].budget_initial == Decimal("120.5")
    assert by_project[adjusted].budget_initial == Decimal("45.5")
    assert by_project[adjusted].goal_version_id != old_version


async def test_the_database_refuses_a_second_periodic_task(world: World) -> None:
    project, version = await issued_project(world)
    await opening.open_tracking(world.db, actor=world["perf"], year=YEAR, now=NOW)
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        async with world.db.transaction() as session:
            session.add(
                TrackingReport(
                    project_id=project, goal_version_id=version, period_end=dt.date(YEAR, 9, 30)
                )
            )
    assert len(await reports(world)) == 1


async def test_the_opening_notice_is_queued_once_per_project_for_staff(world: World) -> None:
    edu, _ = await issued_project(world, name="教师培训项目")
    culture_goal = await make_goal(world, org="CULTURE", name="文化惠民")
    await set_status(world, culture_goal, "issued", "issued")
    await opening.open_tracking(world.db, actor=world["perf"], year=YEAR, now=NOW)
    await opening.open_tracking(world.db, actor=world["perf"], year=YEAR, now=NOW)
    sent = await messages(world, "tracking_opened")
    edu_people = {world.person_id("edu_staff"), world.person_id("edu_staff2")}
    # The culture bureau has no staff: its head hears instead.
    assert sorted(m.person_id for m in sent) == sorted(
        [*edu_people, world.person_id("culture_head")]
    )
    report = next(r for r in await reports(world) if r.project_id == edu)
    edu_message = next(m for m in sent if m.person_id in edu_people)
    assert edu_message.buttons == [[["tracking_start", {"tracking": ["c", report.id]}]]]
    assert button_data(edu_message.buttons[0][0][1]) == f"tk:c:{report.id}"
    assert edu_message.context["project"] == "教师培训项目"
    # 09-30 + 15 days = 10-15-2026, a Thursday: stays.
    assert edu_message.context["due"] == "2026-10-15"


async def test_only_administrators_and_the_performance_section_open(world: World) -> None:
    await issued_project(world)
    for who in ("budget", "biz1", "edu_staff", "edu_head"):
        with pytest.raises(AccessDenied):
            await opening.open_tracking(world.db, actor=world[who], year=YEAR, now=NOW)
    assert await reports(world) == []
    opened = await opening.open_tracking(world.db, actor=TERMINAL, year=YEAR, now=NOW)
    assert len(opened.opened) == 1
    counted = await opening.count_to_open(world.db, actor=world["perf"], year=YEAR)
    assert (len(counted.opened), counted.existing) == (0, 1)


async def test_ad_hoc_tracking_with_its_own_due_date_and_no_second(world: World) -> None:
    project, _ = await issued_project(world)
    due = dt.date(2026, 10, 20)
    with pytest.raises(AccessDenied):
        await opening.open_ad_hoc(
            world.db, actor=world["biz1"], project_id=project, due_date=due, reason="抽查"
        )
    empty = await opening.open_ad_hoc(
        world.db, actor=world["perf"], project_id=project, due_date=due, reason="  ", now=NOW
    )
    assert empty.outcome is AdHocOutcome.reason_required
    done = await opening.open_ad_hoc(
        world.db, actor=world["perf"], project_id=project, due_date=due, reason="群众反映", now=NOW
    )
    assert done.outcome is AdHocOutcome.opened
    again = await opening.open_ad_hoc(
        world.db, actor=world["perf"], project_id=project, due_date=due, reason="再查", now=NOW
    )
    assert again.outcome is AdHocOutcome.duplicate
    [report] = await reports(world)
    assert report.ad_hoc and report.due_date == due and report.reason == "群众反映"
    card = await tasks.task_card(world.db, actor=world["edu_staff"], report_id=report.id)
    assert card.line.due == due and card.reason == "群众反映"
    draft = await make_goal(world, name="未下达项目")
    async with world.db.sessions() as session:
        unissued = (await session.get(GoalVersion, draft)).project_id
    refused = await opening.open_ad_hoc(
        world.db, actor=world["perf"], project_id=unissued, due_date=due, reason="查", now=NOW
    )
    assert refused.outcome is AdHocOutcome.not_issued


async def test_track_lists_what_each_person_may_see(world: World) -> None:
    edu, _ = await issued_project(world, name="教师培训项目")
    school, _ = await issued_project(world, org="SCHOOL", staff="school_staff", name="校舍维修")
    health_goal = await make_goal(world, org="HEALTH", staff="health_staff", name="基层医疗")
    await set_status(world, health_goal, "issued", "issued")
    await opening.open_tracking(world.db, actor=world["perf"], year=YEAR, now=NOW)

    async def names(who: str) -> set[str]:
        return {line.project for line in await tasks.list_tasks(world.db, actor=world[who])}

    assert await names("edu_staff") == {"教师培训项目", "校舍维修"}  # the department and its unit
    assert await names("school_staff") == {"校舍维修"}
    assert await names("biz1") == {"教师培训项目", "校舍维修"}
    assert await names("biz2") == {"基层医疗"}
    assert await names("perf") == await names("budget") == {"教师培训项目", "校舍维修", "基层医疗"}
    assert await names("expert") == set()
    line = (await tasks.list_tasks(world.db, actor=world["school_staff"]))[0]
    assert (line.due, line.status) == (dt.date(2026, 10, 15), "draft")
    report = next(r for r in await reports(world) if r.project_id == edu)
    with pytest.raises(AccessDenied):
        await tasks.task_card(world.db, actor=world["health_staff"], report_id=report.id)
    card = await tasks.task_card(world.db, actor=world["edu_head"], report_id=report.id)
    assert card.annual_amount == Decimal("120.5")
    assert [i["name"] for i in card.indicators] == ["培训人次", "教学质量提升", "参训教师满意度"]
    assert card.indicators[0]["value"] == "500"
    assert school
