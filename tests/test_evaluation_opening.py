"""Opening the self-evaluation: one per issued project, once; who may; who hears; who sees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.ui.callbacks import button_data, parse_evaluation
from bot.ui.render import render
from storage.db import Database
from storage.models import (
    AuditEntry,
    CalendarOverride,
    CalendarYear,
    GoalVersion,
    OutboxMessage,
    SelfEvaluation,
)
from tests.review_world import YEAR, World, build_world, make_goal
from tests.tracking_world import issued_project, set_status
from workflow.core.access import TERMINAL, AccessDenied
from workflow.evaluation import opening, tasks

NOW = dt.datetime(YEAR + 1, 1, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def evaluations(world: World) -> list[SelfEvaluation]:
    async with world.db.sessions() as session:
        return list(await session.scalars(select(SelfEvaluation).order_by(SelfEvaluation.id)))


async def messages(world: World, template: str) -> list[OutboxMessage]:
    async with world.db.sessions() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == template)
                .order_by(OutboxMessage.id)
            )
        )


async def test_opening_twice_creates_each_once_and_skips_what_has_no_goals_in_force(
    world: World,
) -> None:
    edu, edu_version = await issued_project(world, name="教师培训项目", amount="120.5")
    school, _ = await issued_project(
        world, org="SCHOOL", staff="school_staff", name="校舍维修", amount="80"
    )
    unfunded = await make_goal(world, org="HEALTH", staff="health_staff", name="基层医疗")
    await set_status(world, unfunded, "no_budget", "no_budget")
    withdrawn = await make_goal(world, org="CULTURE", staff="edu_staff", name="撤回项目")
    await set_status(world, withdrawn, "withdrawn", "withdrawn")
    await make_goal(world, name="仍在申报")  # a draft: never issued
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

    first = await opening.open_evaluation(world.db, actor=world["perf"], year=YEAR, now=NOW)
    assert len(first.opened) == 3 and first.existing == 0
    second = await opening.open_evaluation(world.db, actor=world["admin"], year=YEAR, now=NOW)
    assert second.opened == [] and second.existing == 3
    assert await opening.open_evaluation(world.db, actor=TERMINAL, year=YEAR + 1, now=NOW) == (
        opening.Opened(YEAR + 1)
    )

    found = await evaluations(world)
    assert sorted(e.id for e in found) == sorted(first.opened)
    assert sorted(e.project_id for e in found) == sorted([edu, school, adjusted])
    assert all(e.status == "draft" and e.stage is None and e.version == 1 for e in found)
    by_project = {e.project_id: e for e in found}
    assert by_project[edu].goal_version_id == edu_version
    assert by_project[edu].budget_initial == Decimal("120.5")
    assert by_project[school].budget_initial == Decimal(80)
    assert by_project[adjusted].budget_initial == Decimal("45.5")
    assert by_project[adjusted].goal_version_id != old_version
    async with world.db.sessions() as session:
        audited = list(
            await session.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == "open_evaluation")
            )
        )
    assert [sorted(d["opened"]) for d in audited] == [sorted(first.opened), [], []]


async def test_the_database_refuses_a_second_self_evaluation(world: World) -> None:
    project, version = await issued_project(world)
    await opening.open_evaluation(world.db, actor=world["perf"], year=YEAR, now=NOW)
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        async with world.db.transaction() as session:
            session.add(SelfEvaluation(project_id=project, goal_version_id=version))
    assert len(await evaluations(world)) == 1


async def test_an_opening_that_lost_a_race_opens_only_what_is_left(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = await issued_project(world, name="教师培训项目")
    await opening.open_evaluation(world.db, actor=world["perf"], year=YEAR, now=NOW)
    second, _ = await issued_project(world, name="校舍维修")
    looked = opening._evaluated_projects
    calls = []

    async def blind_once(session, year):  # a concurrent opening committed after we looked
        calls.append(year)
        return set() if len(calls) == 1 else await looked(session, year)

    monkeypatch.setattr(opening, "_evaluated_projects", blind_once)
    result = await opening.open_evaluation(world.db, actor=world["perf"], year=YEAR, now=NOW)
    assert len(calls) == 2  # the unique project refused the first attempt, the retry skipped
    assert (len(result.opened), result.existing) == (1, 1)
    assert sorted(e.project_id for e in await evaluations(world)) == sorted([first, second])
    assert len(await messages(world, "evaluation_opened")) == 4  # 2 projects × 2 EDU staff


async def test_the_opening_notice_is_queued_once_per_responsible_person(world: World) -> None:
    edu, _ = await issued_project(world, name="教师培训项目", amount="120.5")
    culture_goal = await make_goal(world, org="CULTURE", name="文化惠民")
    await set_status(world, culture_goal, "issued", "issued")
    await opening.open_evaluation(world.db, actor=world["perf"], year=YEAR, now=NOW)
    await opening.open_evaluation(world.db, actor=world["perf"], year=YEAR, now=NOW)
    sent = await messages(world, "evaluation_opened")
    edu_people = {world.person_id("edu_staff"), world.person_id("edu_staff2")}
    # The culture bureau has no staff: its head hears instead.
    assert sorted(m.person_id for m in sent) == sorted(
        [*edu_people, world.person_id("culture_head")]
    )
    assert len({m.dedupe_key for m in sent}) == len(sent)
    evaluation = next(e for e in await evaluations(world) if e.project_id == edu)
    edu_message = next(m for m in sent if m.person_id in edu_people)
    assert edu_message.buttons == [[["evaluation_start", {"evaluation": ["c", evaluation.id]}]]]
    data = button_data(edu_message.buttons[0][0][1])
    assert data == f"ev:c:{evaluation.id}"
    press = parse_evaluation(data)
    assert press is not None and (press.action, press.number) == ("c", evaluation.id)
    assert edu_message.context["project"] == "教师培训项目"
    assert edu_message.context["budget"] == "120.50"
    # 12-31 + 3 months = 03-31, a Wednesday in 2027, whose holidays are not known yet.
    assert (edu_message.context["due"], edu_message.context["provisional"]) == ("2027-03-31", True)
    text = render("evaluation_opened", **edu_message.context)
    assert "《教师培训项目》" in text and "2027-03-31（暂定" in text and "120.50 万元" in text


async def test_only_administrators_and_the_performance_section_open(world: World) -> None:
    await issued_project(world)
    for who in ("budget", "biz1", "edu_staff", "edu_head", "expert"):
        with pytest.raises(AccessDenied):
            await opening.open_evaluation(world.db, actor=world[who], year=YEAR, now=NOW)
        with pytest.raises(AccessDenied):
            await opening.count_to_open(world.db, actor=world[who], year=YEAR)
    assert await evaluations(world) == []
    assert await messages(world, "evaluation_opened") == []
    counted = await opening.count_to_open(world.db, actor=world["admin"], year=YEAR)
    assert (len(counted.opened), counted.existing) == (1, 0)
    opened = await opening.open_evaluation(world.db, actor=TERMINAL, year=YEAR, now=NOW)
    assert len(opened.opened) == 1
    counted = await opening.count_to_open(world.db, actor=world["perf"], year=YEAR)
    assert (len(counted.opened), counted.existing) == (0, 1)


async def test_evaluate_lists_what_each_person_may_see(world: World) -> None:
    edu, _ = await issued_project(world, name="教师培训项目")
    await issued_project(world, org="SCHOOL", staff="school_staff", name="校舍维修", amount="80")
    health_goal = await make_goal(world, org="HEALTH", staff="health_staff", name="基层医疗")
    await set_status(world, health_goal, "issued", "issued")
    await opening.open_evaluation(world.db, actor=world["perf"], year=YEAR, now=NOW)

    async def names(who: str, year: int | None = None) -> set[str]:
        found = await tasks.list_tasks(world.db, actor=world[who], year=year)
        return {line.project for line in found}

    assert await names("edu_staff") == {"教师培训项目", "校舍维修"}  # the department and its unit
    assert await names("edu_staff", YEAR - 1) == set()
    assert await names("school_staff") == {"校舍维修"}
    assert await names("biz1") == {"教师培训项目", "校舍维修"}
    assert await names("biz2") == {"基层医疗"}
    assert await names("perf") == await names("budget") == {"教师培训项目", "校舍维修", "基层医疗"}
    assert await names("expert") == await names("admin") == set()
    [line] = await tasks.list_tasks(world.db, actor=world["school_staff"])
    assert (line.due, line.provisional, line.status, line.year) == (
        dt.date(YEAR + 1, 3, 31),
        True,
        "draft",
        YEAR,
    )
    shown = render("evaluation_list", lines=[line.as_dict()])
    assert "《校舍维修》" in shown and "截止 2027-03-31（暂定" in shown and "待填报" in shown

    evaluation = next(e for e in await evaluations(world) if e.project_id == edu)
    with pytest.raises(AccessDenied):
        await tasks.task_card(world.db, actor=world["health_staff"], evaluation_id=evaluation.id)
    with pytest.raises(AccessDenied):
        await tasks.task_card(world.db, actor=world["edu_staff"], evaluation_id=2**31 - 1)
    card = await tasks.task_card(world.db, actor=world["edu_head"], evaluation_id=evaluation.id)
    assert (card.line.project, card.line.year, card.line.status) == ("教师培训项目", YEAR, "draft")
    assert card.budget_initial == Decimal("120.5")
    text = render("evaluation_card", card=card.as_dict())
    assert "教师培训项目" in text and f"{YEAR} 年度绩效自评价" in text
    assert "截止 2027-03-31（暂定" in text and "待填报" in text and "120.50 万元" in text


async def test_a_loaded_calendar_makes_the_due_date_official_and_moves_it(world: World) -> None:
    await issued_project(world)
    async with world.db.transaction() as session:
        # An official 2027 schedule in which 03-31 is a holiday (for the test's sake).
        session.add(CalendarOverride(day=dt.date(YEAR + 1, 3, 31), kind="holiday"))
        session.add(CalendarYear(year=YEAR + 1))  # confirmed complete: official
    await opening.open_evaluation(world.db, actor=world["perf"], year=YEAR, now=NOW)
    [line] = await tasks.list_tasks(world.db, actor=world["edu_staff"])
    assert (line.due, line.provisional) == (dt.date(YEAR + 1, 4, 1), False)
