"""A year with figures for the dashboard tests: the review world's bureau, five projects in
three departments (a unit among them), a declaration deadline, review timelines with known
durations, two Q3 tracking forms and two self-evaluations (one scored by finance).

Expected figures (today 2025-12-01, declaration due 2025-10-31):
- 市教育局 (with its unit 市第一中学): one goal on time, one late, one still owed (overdue);
  市文旅局: one owed; 市卫健委: one on time.
- Head stage stays: 2, 6 and 1 days; business stage: 4 days.
- Execution: 市教育局 50 / 100 万元, 市卫健委 180 / 200 万元.
- Self-evaluation: 良 85 (市教育局), 优 92 (市卫健委), finance grades the latter 良.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from storage.db import Database
from storage.models import (
    BudgetYear,
    EvaluationSelection,
    FinanceEvaluation,
    ReviewDecision,
    SelfEvaluation,
    TrackingReport,
)
from tests.review_world import YEAR, World, build_world, make_goal, submit_goal_version
from workflow.review import chain as review

TODAY = dt.date(2025, 12, 1)
SUBMISSION_DATE = dt.date(2025, 10, 31)


def at(day: dt.date, hour: int = 2) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


@dataclass
class DashboardWorld:
    world: World
    projects: dict[str, int]
    versions: dict[str, int]


async def _walk(
    world: World, version_id: int, staff: str, submitted: dt.datetime, steps: list[tuple[str, int]]
) -> None:
    """Submit at `submitted`, then each reviewer approves `days` after the previous step."""
    version = await submit_goal_version(world, version_id, staff, submitted)
    moment = submitted
    for who, days in steps:
        moment = moment + dt.timedelta(days=days)
        result = await review.decide(
            world.db,
            actor=world[who],
            goal_version_id=version_id,
            expected_version=version,
            decision=ReviewDecision.approve,
            now=moment,
        )
        assert result.ok, (who, result)
        assert result.version is not None
        version = result.version


async def _project_of(db: Database, version_id: int) -> int:
    from storage.models import GoalVersion

    async with db.sessions() as session:
        version = await session.get(GoalVersion, version_id)
        assert version is not None
        return version.project_id


async def build_dashboard_world(db: Database) -> DashboardWorld:
    world = await build_world(db)
    async with db.transaction() as session:
        year = await session.get(BudgetYear, YEAR)
        assert year is not None
        year.goal_submission_date = SUBMISSION_DATE
    versions = {
        "edu_on_time": await make_goal(world, name="教师培训项目"),
        "edu_late": await make_goal(world, name="校舍维修项目", staff="edu_staff2"),
        "school_owed": await make_goal(
            world, org="SCHOOL", name="实验室建设", staff="school_staff"
        ),
        "health_on_time": await make_goal(
            world, org="HEALTH", name="疫苗接种项目", staff="health_staff"
        ),
        "culture_owed": await make_goal(
            world, org="CULTURE", name="非遗保护", staff="culture_head"
        ),
    }
    await _walk(
        world,
        versions["edu_on_time"],
        "edu_staff",
        at(dt.date(2025, 10, 20)),
        [("edu_head", 2), ("biz1", 4), ("perf", 1), ("budget", 1)],
    )
    await _walk(
        world, versions["edu_late"], "edu_staff2", at(dt.date(2025, 11, 5)), [("edu_head", 6)]
    )
    await _walk(
        world,
        versions["health_on_time"],
        "health_staff",
        at(dt.date(2025, 10, 30)),
        [("health_head", 1)],
    )
    projects = {key: await _project_of(db, version) for key, version in versions.items()}
    async with db.transaction() as session:
        for key, budget, executed, light in (
            ("edu_on_time", "100", "50", "red"),
            ("health_on_time", "200", "180", "green"),
        ):
            session.add(
                TrackingReport(
                    project_id=projects[key],
                    goal_version_id=versions[key],
                    period_end=dt.date(YEAR, 9, 30),
                    status="submitted",
                    budget_full_year=Decimal(budget),
                    executed_to_date=Decimal(executed),
                    light=light,
                )
            )
        evaluations = {}
        for key, total, grade, status in (
            ("edu_on_time", "85", "良", "submitted"),
            ("health_on_time", "92", "优", "accepted"),
        ):
            evaluation = SelfEvaluation(
                project_id=projects[key],
                goal_version_id=versions[key],
                status=status,
                total_score=Decimal(total),
                grade=grade,
            )
            session.add(evaluation)
            await session.flush()
            evaluations[key] = evaluation.id
        selection = EvaluationSelection(
            year=YEAR,
            project_id=projects["health_on_time"],
            self_evaluation_id=evaluations["health_on_time"],
            check_kind="spot_check",
            source="drawn",
        )
        session.add(selection)
        await session.flush()
        session.add(
            FinanceEvaluation(
                selection_id=selection.id,
                project_id=projects["health_on_time"],
                self_evaluation_id=evaluations["health_on_time"],
                total_score=Decimal("84"),
                grade="良",
            )
        )
    return DashboardWorld(world, projects, versions)
