"""The spot-check sample: the same seed and rule draw the same projects, another seed others;
shares and counts split over strata as stated; a kept draw records its seed and population,
and a re-draw (what `perfbot evaluation sample` runs) shows the same list. Projects added by
hand or marked for key evaluation carry their reason; only the performance section selects."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from bot.__main__ import main
from storage.db import Database
from storage.models import EvaluationSample, EvaluationSelection, OutboxMessage, SelfEvaluation
from storage.models.enums import FinanceCheck
from tests.conftest import run_blocking
from tests.review_world import YEAR, World, build_world
from tests.tracking_world import issued_project
from workflow.core.access import AccessDenied
from workflow.evaluation.opening import open_evaluation
from workflow.forms.spec import Problem
from workflow.results import selection
from workflow.results.sampling import Candidate, SampleRule, allocate, draw, population_hash
from workflow.results.selection import Drawn

NOW = dt.datetime(YEAR + 1, 4, 10, 2, 0, tzinfo=dt.UTC)


def population(size: int, departments: int = 3) -> list[Candidate]:
    return [
        Candidate(
            self_evaluation_id=1000 + i,
            project_id=i,
            project=f"项目{i}",
            department_id=i % departments,
            department=f"部门{i % departments}",
            amount=Decimal(i * 37 % 1500),
        )
        for i in range(1, size + 1)
    ]


def ids(chosen: list[Candidate]) -> list[int]:
    return [c.project_id for c in chosen]


def test_the_same_seed_draws_the_same_sample_and_another_seed_another() -> None:
    everyone = population(40)
    rule = SampleRule(seed="2027-抽查", share=Decimal("0.2"))
    first = draw(everyone, rule)
    assert ids(first) == ids(draw(list(reversed(everyone)), rule))  # order does not matter
    assert len(first) == 8 and ids(first) == sorted(ids(first))
    assert ids(first) != ids(draw(everyone, SampleRule(seed="another", share=Decimal("0.2"))))


def test_strata_each_give_their_share_rounded_up_or_a_count_split_in_proportion() -> None:
    assert allocate({"a": 10, "b": 5, "c": 1}, SampleRule("s", share=Decimal("0.2"))) == {
        "a": 2,
        "b": 1,
        "c": 1,
    }
    # 7 of 16: exact 4.375, 2.1875, 0.4375 → floors 4, 2, 0; one left goes to "c" (0.4375).
    assert allocate({"a": 10, "b": 5, "c": 1}, SampleRule("s", count=7)) == {"a": 4, "b": 2, "c": 1}
    assert allocate({"a": 2}, SampleRule("s", count=9)) == {"a": 2}  # never more than there are
    by_department = draw(
        population(30), SampleRule("s", share=Decimal("0.1"), stratify="department")
    )
    assert sorted(c.department_id for c in by_department) == [0, 1, 2]


@given(
    size=st.integers(min_value=1, max_value=60),
    count=st.integers(min_value=1, max_value=80),
    stratify=st.sampled_from(["none", "department", "amount"]),
    seed=st.text(min_size=1, max_size=12),
)
def test_a_count_draws_exactly_that_many_distinct_projects(
    size: int, count: int, stratify: str, seed: str
) -> None:
    rule = SampleRule(seed=seed, count=count, stratify=stratify)
    chosen = draw(population(size), rule)
    assert len(chosen) == min(count, size) == len(set(ids(chosen)))
    assert ids(chosen) == ids(draw(population(size), rule))


def test_the_population_hash_changes_with_the_population() -> None:
    assert population_hash(population(5)) == population_hash(list(reversed(population(5))))
    assert population_hash(population(5)) != population_hash(population(6))


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (SampleRule("s"), "sample_share_or_count"),
        (SampleRule("s", share=Decimal("1.5")), "sample_share_range"),
        (SampleRule("s", share=Decimal(0)), "sample_share_range"),
        (SampleRule("s", count=0), "sample_count_range"),
        (SampleRule("s", count=3, stratify="region"), "sample_stratify"),
        (SampleRule("", count=3), "sample_seed"),
    ],
)
def test_a_bad_rule_is_refused(rule: SampleRule, code: str) -> None:
    assert rule.problem() == code


@pytest.fixture
async def world(database: Database) -> World:
    built = await build_world(database)
    for number in range(6):
        org, staff = ("EDU", "edu_staff") if number % 2 else ("HEALTH", "health_staff")
        await issued_project(built, name=f"项目{number}", org=org, staff=staff)
    await open_evaluation(built.db, actor=built["perf"], year=YEAR, now=NOW)
    async with built.db.transaction() as session:
        await session.execute(update(SelfEvaluation).values(status="submitted"))
    return built


async def test_a_kept_draw_records_its_seed_and_a_redraw_shows_the_same_list(world: World) -> None:
    rule = SampleRule(seed="abc123", share=Decimal("0.5"), stratify="department")
    with pytest.raises(AccessDenied):
        await selection.draw_sample(world.db, actor=world["edu_staff"], year=YEAR, rule=rule)
    drawn = await selection.draw_sample(
        world.db, actor=world["perf"], year=YEAR, rule=rule, now=NOW
    )
    assert not isinstance(drawn, Problem) and len(drawn.selected) == 4  # 2 of 3 per department
    redraw = await selection.preview(world.db, year=YEAR, rule=rule)
    assert [c.project_id for c in redraw.chosen] == list(drawn.selected)
    async with world.db.sessions() as session:
        sample = (await session.scalars(select(EvaluationSample))).one()
        kept = list(await session.scalars(select(EvaluationSelection)))
        checks = set(await session.scalars(select(SelfEvaluation.finance_check)))
        told = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.template == "finance_check_selected")
            )
        )
    assert (sample.seed, sample.population, sample.population_hash) == (
        "abc123",
        6,
        redraw.population_hash,
    )
    assert {(k.source, k.check_kind, k.sample_id) for k in kept} == {
        ("drawn", "spot_check", sample.id)
    }
    assert checks == {"spot_check", "none"}
    # Each drawn project's staff, once: two 教育局 staff for each of its two, one each else.
    assert sorted(m.context["project"] for m in told) == sorted(
        [c.project for c in redraw.chosen for _ in range(2 if c.department == "市教育局" else 1)]
    )

    again = await selection.draw_sample(world.db, actor=world["perf"], year=YEAR, rule=rule)
    assert not isinstance(again, Problem) and not again.selected and len(again.already) == 4


async def test_projects_added_by_hand_or_marked_key_carry_their_reason(world: World) -> None:
    async with world.db.sessions() as session:
        first, second = list(await session.scalars(select(SelfEvaluation.project_id).limit(2)))
    spot, key = FinanceCheck.spot_check, FinanceCheck.key_evaluation
    empty = await selection.select_by_hand(
        world.db, actor=world["perf"], project_id=first, check=spot, reason="  "
    )
    assert isinstance(empty, Problem) and empty.code == "selection_reason_required"
    added = await selection.select_by_hand(
        world.db, actor=world["perf"], project_id=first, check=spot, reason="群众举报"
    )
    assert not isinstance(added, Problem) and added.source == "added"
    twice = await selection.select_by_hand(
        world.db, actor=world["perf"], project_id=first, check=spot, reason="再次"
    )
    assert isinstance(twice, Problem) and twice.code == "selection_exists"
    marked = await selection.select_by_hand(
        world.db, actor=world["perf"], project_id=second, check=key, reason="资金量大"
    )
    assert not isinstance(marked, Problem) and marked.source == "key"
    with pytest.raises(AccessDenied):
        await selection.select_by_hand(
            world.db, actor=world["budget"], project_id=second, check=spot, reason="x"
        )
    lines = await selection.selections(world.db, actor=world["perf"], year=YEAR)
    assert [(line.check_kind, line.source, line.reason) for line in lines] == [
        ("key_evaluation", "key", "资金量大"),
        ("spot_check", "added", "群众举报"),
    ]


def test_the_command_line_redraws_what_the_chat_kept(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    path = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    rule = SampleRule(seed="seed-7", count=3, stratify="amount")

    async def prepare() -> Drawn:
        db = Database(url)
        try:
            built = await build_world(db)
            for number in range(5):
                await issued_project(built, name=f"项目{number}", amount=str(50 + 400 * number))
            await open_evaluation(db, actor=built["perf"], year=YEAR, now=NOW)
            async with db.transaction() as session:
                await session.execute(update(SelfEvaluation).values(status="submitted"))
            drawn = await selection.draw_sample(db, actor=built["perf"], year=YEAR, rule=rule)
            assert not isinstance(drawn, Problem)
            return drawn
        finally:
            await db.dispose()

    kept = run_blocking(prepare())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    command = ["evaluation", "sample", "--year", str(YEAR), "--count", "3", "--by", "amount"]
    assert main([*command, "--seed", "seed-7"]) == 0
    header, *lines = capsys.readouterr().out.strip().splitlines()
    assert f"已提交的部门自评 5 个（总体校验码 {kept.preview.population_hash}）" in header
    assert [int(line.split("\t")[0]) for line in lines] == list(kept.selected)
    assert all(line.split("\t")[1] == "市教育局" for line in lines)
    others = []
    for seed in ("other-1", "other-2", "other-3", "other-4"):  # other seeds, other samples
        assert main([*command, "--seed", seed]) == 0
        others.append(capsys.readouterr().out.strip().splitlines()[1:])
    assert any(other != lines for other in others)
    assert main(["evaluation", "sample", "--year", "1999", "--share", "20%", "--seed", "x"]) == 2
    assert "还没有已提交的部门自评" in capsys.readouterr().err


async def test_finance_names_a_key_project_in_review_and_its_expert_review_then_applies(
    database: Database,
) -> None:
    from storage.models import Project, ReviewDecision
    from tests.review_world import approve_through, make_goal
    from workflow.review import chain as review

    built = await build_world(database)
    goal = await make_goal(built, name="智慧校园建设")  # the department answered 否 to 重点项目
    version = await approve_through(built, goal, reviewers=("edu_head", "biz1"), now=NOW)
    async with built.db.sessions() as session:
        project_id = (await session.scalars(select(Project.id))).one()
    marked = await selection.select_by_hand(
        built.db,
        actor=built["perf"],
        project_id=project_id,
        check=FinanceCheck.key_evaluation,
        reason="资金量大、社会关注度高",
    )
    assert not isinstance(marked, Problem) and marked.source == "key"
    async with built.db.sessions() as session:
        assert (await session.get(Project, project_id)).is_key
    early = await review.decide(
        built.db,
        actor=built["perf"],
        goal_version_id=goal,
        expected_version=version,
        decision=ReviewDecision.approve,
        now=NOW,
    )
    assert early.outcome.value == "awaiting_experts"  # a key project hears experts first
