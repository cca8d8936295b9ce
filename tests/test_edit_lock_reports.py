"""One person edits a returned 绩效跟踪表 or 自评表 at a time, through the real bot.

The goal path's edit lock, reached from a returned report's card (✍️ 填报…): a colleague
opening it is told who holds it since when and may take it over after a confirmation (the
holder told); the stale holder's submission is refused with who holds it and the draft kept;
the holder's submission releases the lock and the others hear of it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import FormDraft, ReviewDecision, ReviewEditLock, TrackingReport
from tests.chat_harness import WAIT, buttons, running_bot, says
from tests.review_world import World, build_world
from tests.test_tracking_form import NOW, POINTS, open_report, press, say
from workflow.forms import drafts
from workflow.review import chain as review
from workflow.tracking.form import start_tracking_form
from workflow.tracking.review_kind import TRACKING

FILL = "✍️ 填报跟踪表"
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


async def open_card_form(user, project: str, fill: str) -> dict[str, Any]:
    """/track, the report's card, then its 填报 button: what the bot answers to the press."""
    await user.send_text("/track")
    listing = await user.wait_for_message(
        lambda message: f"1. {project}" in buttons(message), timeout=WAIT
    )
    await user.press(listing, f"1. {project}")
    card = await user.wait_for_message(says(project), timeout=WAIT)
    await user.press(card, fill)
    return await user.wait_for_message(timeout=WAIT)


async def at_summary(user, form: dict[str, Any]) -> dict[str, Any]:
    """The reopened form, taken to its summary (the indicator rows are all filled)."""
    if "✅ 完成" in buttons(form):
        await user.press(form, "✅ 完成")
        form = await user.wait_for_message(
            lambda message: "✅ 确认提交" in buttons(message), timeout=WAIT
        )
    assert "✅ 确认提交" in buttons(form), form["text"]
    return form


async def test_a_returned_tracking_report_is_edited_by_one_person_at_a_time(
    database,
) -> None:
    world = await build_world(database)
    report_id = await submitted_and_returned(world)
    async with running_bot(database) as sandbox:
        holder = sandbox.add_user(5001, "张经办")
        colleague = sandbox.add_user(5002, "刘经办")
        mine = await at_summary(holder, await open_card_form(holder, "教师培训项目", FILL))

        held = await open_card_form(colleague, "教师培训项目", FILL)
        assert "张经办 正在修改此项目" in held["text"] and "（自 " in held["text"]
        await colleague.press(held, "确认接手修改")
        theirs = await at_summary(colleague, await colleague.wait_for_message(timeout=WAIT))
        await holder.wait_for_message(says("已由 刘经办 接手修改"), timeout=WAIT)

        # The former holder's submission: refused, naming who holds it; the draft is kept.
        await holder.press(mine, "✅ 确认提交")
        refused = await holder.wait_for_message(says("正由 刘经办 修改"), timeout=WAIT)
        assert "您填写的内容仍保留" in refused["text"]
        async with database.sessions() as session:
            report = await session.get(TrackingReport, report_id)
            assert report.status == "returned"
            kept = await session.scalar(
                select(FormDraft).where(FormDraft.person_id == world.person_id(HOLDER))
            )
            assert kept is not None and kept.subject_id == report_id

        await colleague.press(theirs, "✅ 确认提交")
        await holder.wait_for_message(says("已由 刘经办 修改后重新提交"), timeout=WAIT)
        async with database.sessions() as session:
            report = await session.get(TrackingReport, report_id)
            assert report.status != "returned" and report.stage == "head"
            assert (await session.scalars(select(ReviewEditLock))).all() == []
