"""Finance's checks through the running bot: the performance section previews a spot-check
sample, keeps it with ✅, the drawn department hears of it, /checks lists it with its seed,
a project is marked for key evaluation by hand; a department's staff may do none of it."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import EvaluationSample, EvaluationSelection, SelfEvaluation
from tests.e2e.test_review_chain import WAIT, Bureau, buttons, card_for, press, says
from tests.review_world import YEAR, build_world
from tests.tracking_world import issued_project
from workflow.evaluation.opening import open_evaluation


@pytest.fixture
async def people(e2e_db: Database, sandbox: BotApiSandbox, bot: BotProcess) -> Bureau:
    return Bureau(await build_world(e2e_db), sandbox)


async def test_the_performance_section_draws_a_sample_and_marks_a_key_project(
    people: Bureau, e2e_db: Database
) -> None:
    bureau = people
    world = bureau.world
    await issued_project(world, name="教师培训项目")
    await issued_project(world, name="校园安全", org="EDU")
    health, _ = await issued_project(world, name="基层卫生", org="HEALTH", staff="health_staff")
    await open_evaluation(e2e_db, actor=world["perf"], year=YEAR)
    async with e2e_db.transaction() as session:
        await session.execute(update(SelfEvaluation).values(status="submitted"))
    perf, staff, health_staff = bureau["perf"], bureau["edu_staff"], bureau["health_staff"]

    await staff.send_text(f"/sample {YEAR} 50%")
    await staff.wait_for_message(says("没有权限"), timeout=WAIT)
    await perf.send_text(f"/sample {YEAR} 五成")
    await perf.wait_for_message(says("用法"), timeout=WAIT)

    perf.skip_pending()
    await perf.send_text(f"/sample {YEAR} 50% 按部门 seed42")
    preview = await perf.wait_for_message(says("抽查预览", "已提交的部门自评 3 个"), timeout=WAIT)
    assert "随机种子 seed42" in preview["text"] and "将抽取 2 个" in preview["text"]
    assert "基层卫生" in preview["text"]  # one per department, and health has only this one
    assert buttons(preview) == ["✅ 确认抽取"]
    perf.skip_pending()
    await press(perf, preview, "✅ 确认抽取")
    await perf.wait_for_message(says("已抽取并保存", "新抽中 2 个"), timeout=WAIT)
    await card_for(health_staff, "基层卫生", "财政抽查复核")

    perf.skip_pending()
    await perf.send_text(f"/select {health} 重点")
    await perf.wait_for_message(says("请写明选取原因"), timeout=WAIT)  # no reason given
    perf.skip_pending()
    await perf.send_text(f"/select {health} 重点 资金量大、社会关注度高")
    await perf.wait_for_message(says("财政重点评价项目"), timeout=WAIT)
    perf.skip_pending()
    await perf.send_text(f"/checks {YEAR}")
    listing = await perf.wait_for_message(says("财政评价名单"), timeout=WAIT)
    assert listing["text"].count("随机抽中（种子 seed42）") == 2
    assert "财政确定" in listing["text"] and "资金量大" in listing["text"]

    async with e2e_db.sessions() as session:
        samples = list(await session.scalars(select(EvaluationSample.seed)))
        kept = list(await session.scalars(select(EvaluationSelection.source)))
    assert samples == ["seed42"] and sorted(kept) == ["drawn", "drawn", "key"]
