"""One person edits a returned 绩效跟踪表 or 自评表 at a time, through the real bot.

The goal path's edit lock, reached from a returned report's card (✍️ 填报…): a colleague
opening it is told who holds it since when and may take it over after a confirmation (the
holder told); the stale holder's submission is refused with who holds it and the draft kept;
the holder's submission releases the lock and the others hear of it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import (
    FormDraft,
    ReviewDecision,
    ReviewEditLock,
    SelfEvaluation,
    TrackingReport,
)
from tests import test_evaluation_form as evaluation_form
from tests.chat_harness import WAIT, buttons, running_bot, says
from tests.review_world import YEAR, World, build_world
from tests.test_tracking_form import NOW, POINTS, open_report, press, say
from workflow.evaluation.review_kind import SELF_EVALUATION
from workflow.forms import drafts
from workflow.review import chain as review
from workflow.tracking.form import start_tracking_form
from workflow.tracking.review_kind import TRACKING

PROJECT = "教师培训项目"
HOLDER, COLLEAGUE = "edu_staff", "edu_staff2"  # 张经办, 刘经办: both may fill EDU's reports


async def submitted_and_returned(world: World) -> int:
    """张经办 fills and submits the tracking report, the head returns it; the report id."""
    report_id = await open_report(world)
    staff = world.person_id(HOLDER)
    await start_tracking_form(
        world.db, actor=world[HOLDER], report_id=report_id, yellow_points=POINTS, now=NOW
    )
    for text in ("120.5", "100", "120"):
        await say(world.db, staff, text)
    await drafts.skip(world.db, person_id=staff, now=NOW)
    for row in (("400", "全年可完成"), ("课堂评估优良率提高", "全年可达成"), ("95", "保持")):
        for text in row:
            await say(world.db, staff, text)
        await press(world.db, staff, drafts.choose, index=0)
    await press(world.db, staff, drafts.finish_rows)
    submitted = await press(world.db, staff, drafts.submit)
    assert submitted.outcome is drafts.DraftOutcome.submitted
    async with world.db.sessions() as session:
        version = (await session.get(TrackingReport, report_id)).version
    returned = await review.decide_on(
        world.db,
        actor=world["edu_head"],
        kind=TRACKING,
        item_id=report_id,
        expected_version=version,
        decision=ReviewDecision.return_,
        comment="培训人次请按花名册核实",
        now=NOW,
    )
    assert returned.ok
    return report_id


async def open_card_form(user, command: str, fill: str, project: str = PROJECT) -> dict[str, Any]:
    """/track or /evaluate, the item's card, then its 填报 button: the bot's answer to it."""
    await user.send_text(command)
    listing = await user.wait_for_message(
        lambda message: f"1. {project}" in buttons(message), timeout=WAIT
    )
    await user.press(listing, f"1. {project}")
    card = await user.wait_for_message(says(project), timeout=WAIT)
    await user.press(card, fill)
    return await user.wait_for_message(form_or_lock, timeout=WAIT)


def form_or_lock(message: dict[str, Any]) -> bool:
    """The form opened (its row menu or summary), or who holds the edit."""
    shown = buttons(message)
    return "✅ 完成" in shown or "✅ 确认提交" in shown or "确认接手修改" in shown


async def at_summary(user, form: dict[str, Any]) -> dict[str, Any]:
    """The reopened form, taken to its summary (the indicator rows are all filled)."""
    if "✅ 完成" in buttons(form):
        await user.press(form, "✅ 完成")
        form = await user.wait_for_message(
            lambda message: "✅ 确认提交" in buttons(message), timeout=WAIT
        )
    assert "✅ 确认提交" in buttons(form), form["text"]
    return form


async def one_at_a_time(database, world: World, command: str, fill: str, row, item_id: int):
    """The two staff members of EDU at the returned item, through the chat (see the module)."""
    async with running_bot(database) as sandbox:
        holder = sandbox.add_user(5001, "张经办")
        colleague = sandbox.add_user(5002, "刘经办")
        mine = await at_summary(holder, await open_card_form(holder, command, fill))

        held = await open_card_form(colleague, command, fill)
        assert "张经办 正在修改此项目" in held["text"] and "（自 " in held["text"]
        await colleague.press(held, "确认接手修改")
        theirs = await at_summary(
            colleague, await colleague.wait_for_message(form_or_lock, timeout=WAIT)
        )
        await holder.wait_for_message(says("已由 刘经办 接手修改"), timeout=WAIT)

        # The former holder's submission: refused, naming who holds it; the draft is kept.
        await holder.press(mine, "✅ 确认提交")
        refused = await holder.wait_for_message(says("正由 刘经办 修改"), timeout=WAIT)
        assert "您填写的内容仍保留" in refused["text"]
        async with database.sessions() as session:
            assert (await session.get(row, item_id)).status == "returned"
            kept = await session.scalar(
                select(FormDraft).where(FormDraft.person_id == world.person_id(HOLDER))
            )
            assert kept is not None and kept.subject_id == item_id

        await colleague.press(theirs, "✅ 确认提交")
        await holder.wait_for_message(says("已由 刘经办 修改后重新提交"), timeout=WAIT)
        async with database.sessions() as session:
            item = await session.get(row, item_id)
            assert item.status != "returned" and item.stage == "head"
            assert (await session.scalars(select(ReviewEditLock))).all() == []


async def test_a_returned_tracking_report_is_edited_by_one_person_at_a_time(database) -> None:
    world = await build_world(database)
    report_id = await submitted_and_returned(world)
    await one_at_a_time(database, world, "/track", "✍️ 填报跟踪表", TrackingReport, report_id)


async def test_a_returned_self_evaluation_is_edited_by_one_person_at_a_time(database) -> None:
    world = await build_world(database)
    evaluation_id = await evaluation_form.opened(world)
    await evaluation_form.fill_to_summary(world, evaluation_id)
    submitted = await evaluation_form.press(world, drafts.submit)
    assert submitted.outcome is drafts.DraftOutcome.submitted
    async with world.db.sessions() as session:
        version = (await session.get(SelfEvaluation, evaluation_id)).version
    returned = await review.decide_on(
        world.db,
        actor=world["edu_head"],
        kind=SELF_EVALUATION,
        item_id=evaluation_id,
        expected_version=version,
        decision=ReviewDecision.return_,
        comment="偏差原因请写具体",
        now=evaluation_form.NOW,
    )
    assert returned.ok
    command = f"/evaluate {YEAR}"
    await one_at_a_time(database, world, command, "✍️ 填报自评表", SelfEvaluation, evaluation_id)
