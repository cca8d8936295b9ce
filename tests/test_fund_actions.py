"""Fund actions: the budget section suspends, stops, recovers and resumes, within limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import FundAction, FundActionKind, OutboxMessage, TrackingReport
from tests.review_world import World, build_world
from tests.tracking_world import issued_project
from workflow.core.access import AccessDenied
from workflow.goals import issuance
from workflow.tracking import funds, opening, tasks

NOW = dt.datetime(2026, 10, 20, 1, 0, tzinfo=dt.UTC)
SUSPEND, STOP, RECOVER, RESUME = (
    FundActionKind.suspend,
    FundActionKind.stop,
    FundActionKind.recover,
    FundActionKind.resume,
)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def act(world: World, kind: FundActionKind, amount: str | None, reason: str = "进度滞后"):
    project = world.orgs["_project"]
    return await funds.record_fund_action(
        world.db,
        actor=world["budget"],
        project_id=project,
        kind=kind,
        amount=None if amount is None else Decimal(amount),
        reason=reason,
        now=NOW,
    )


async def stored(world: World) -> list[tuple[str, Decimal | None]]:
    async with world.db.sessions() as session:
        rows = await session.scalars(select(FundAction).order_by(FundAction.id))
        return [(row.action, row.amount) for row in rows]


@pytest.fixture
async def project(world: World) -> int:
    project, _ = await issued_project(world, name="教师培训项目", amount="120.5")
    world.orgs["_project"] = project
    return project


async def test_limits_are_checked_and_nothing_is_kept_when_refused(
    world: World, project: int
) -> None:
    for amount, code in [
        ("0", "fund_amount_positive"),
        ("-5", "fund_amount_positive"),
        ("120.51", "fund_over_annual"),
    ]:
        result = await act(world, SUSPEND, amount)
        assert result.problem is not None and result.problem.code == code
    missing = await act(world, STOP, "10", reason="  ")
    assert missing.problem is not None and missing.problem.code == "fund_reason_required"
    nothing = await act(world, RESUME, None)
    assert nothing.problem is not None and nothing.problem.code == "fund_nothing_to_resume"
    assert await stored(world) == []
    done = await act(world, STOP, "120.5")
    assert done.ok and await stored(world) == [("stop", Decimal("120.5"))]


async def test_a_recovery_is_bounded_by_what_was_spent(world: World, project: int) -> None:
    assert (await act(world, RECOVER, "100")).ok  # no tracking figures yet: the annual amount
    await opening.open_tracking(world.db, actor=world["perf"], year=2026, now=NOW)
    async with world.db.transaction() as session:
        report = await session.scalar(select(TrackingReport))
        report.executed_to_date = Decimal("60.25")
    over = await act(world, RECOVER, "60.26")
    assert over.problem is not None and over.problem.code == "fund_over_executed"
    assert over.problem.params["limit"] == "60.25"
    assert (await act(world, RECOVER, "60.25")).ok
    assert await stored(world) == [("recover", Decimal(100)), ("recover", Decimal("60.25"))]


async def test_a_suspension_is_lifted_once_as_its_own_row(world: World, project: int) -> None:
    assert (await act(world, SUSPEND, "30")).ok
    lifted = await act(world, RESUME, None, reason="已整改")
    assert lifted.ok and lifted.amount == "30.00"
    again = await act(world, RESUME, None, reason="已整改")
    assert again.problem is not None and again.problem.code == "fund_nothing_to_resume"
    assert await stored(world) == [("suspend", Decimal(30)), ("resume", Decimal(30))]
    overview = await issuance.budget_overview(world.db, actor=world["budget"], year=2026)
    assert overview.fund_actions[project]["kind"] == "resume"


async def test_only_the_budget_section_acts_and_the_department_hears(
    world: World, project: int
) -> None:
    for who in ("biz1", "perf", "edu_staff", "edu_head", "admin"):
        with pytest.raises(AccessDenied):
            await funds.record_fund_action(
                world.db,
                actor=world[who],
                project_id=project,
                kind=SUSPEND,
                amount=Decimal(1),
                reason="x",
                now=NOW,
            )
    assert await stored(world) == []
    assert (await act(world, SUSPEND, "12.5", reason="资金闲置")).ok
    async with world.db.sessions() as session:
        sent = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.template == "fund_action_notice")
            )
        )
    hearers = {m.person_id for m in sent}
    assert hearers == {
        world.person_id(k) for k in ("edu_staff", "edu_staff2", "edu_head", "biz1", "biz1b")
    }
    assert sent[0].context["amount"] == "12.50" and sent[0].context["kind"] == "suspend"
    await opening.open_tracking(world.db, actor=world["perf"], year=2026, now=NOW)
    [line] = await tasks.list_tasks(world.db, actor=world["edu_staff"])
    card = await tasks.task_card(world.db, actor=world["edu_staff"], report_id=line.report_id)
    assert card.fund_action is not None and card.fund_action["reason"] == "资金闲置"
