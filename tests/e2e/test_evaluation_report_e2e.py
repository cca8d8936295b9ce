"""The department's self-evaluation report through the running bot: a staff member writes its
narrative from /evalreport and downloads the report; the 自评表 from its button; another
department's forged press is refused."""

from __future__ import annotations

import io

import pytest
from docx import Document

from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from tests.e2e.test_review_chain import WAIT, Bureau, buttons, press, says
from tests.e2e.test_tracking_e2e import answer, tap
from tests.evaluation_world import evaluated_project
from tests.review_world import YEAR, build_world
from workflow.evaluation.scoring import shown

PARTS = [
    "本局主管全市教育工作，年度项目 1 个。",
    "年初设定绩效目标，年中未调整。",
    "实行项目负责制，按月调度。",
    "提前排期，加强培训后跟踪。",
]


@pytest.fixture
async def people(e2e_db: Database, sandbox: BotApiSandbox, bot: BotProcess) -> Bureau:
    """The review world in the bot's database, each person's chat in the sandbox."""
    return Bureau(await build_world(e2e_db), sandbox)


async def test_staff_write_the_narrative_and_download_the_report(people: Bureau) -> None:
    bureau = people
    built = await evaluated_project(bureau.world)
    staff, other = bureau["edu_staff"], bureau["health_staff"]

    await staff.send_text(f"/evalreport {YEAR}")
    state = await staff.wait_for_message(
        says("市教育局", "部门自评价报告", "尚未填写"), timeout=WAIT
    )
    assert buttons(state) == [
        "✍️ 填写自评价报告",
        "📄 部门自评价报告（Word）",
        "📊 项目自评得分（Excel）",
    ]
    await tap(staff, state, "✍️ 填写自评价报告", "一、基本概况")
    await answer(staff, PARTS[0], "二、绩效目标及调整情况")
    await answer(staff, PARTS[1], "三、管理措施及组织实施")
    await answer(staff, PARTS[2], "六、下一步改进意见")
    summary = await answer(staff, PARTS[3], "请核对")
    done = await tap(staff, summary, "✅ 确认提交", "部门自评价报告已保存")
    staff.skip_pending()
    await press(staff, done, "📄 下载自评价报告（Word）")
    sent = await staff.wait_for_message(lambda m: "document" in m, timeout=WAIT)
    assert sent["document"]["file_name"] == f"{YEAR}年度部门自评价报告-市教育局.docx"
    doc = Document(io.BytesIO(staff.download(sent)))
    texts = [p.text for p in doc.paragraphs]
    for part in PARTS:
        assert part in texts
    rows = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert rows[1][1] == "教师培训项目" and rows[1][6:] == [str(shown(built.total)), built.grade]

    # /evalreport now says the narrative is written, and offers to edit it.
    staff.skip_pending()
    await staff.send_text(f"/evalreport {YEAR}")
    again = await staff.wait_for_message(says("已填写", "张经办"), timeout=WAIT)
    assert buttons(again)[0] == "✏️ 修改自评价报告"

    # The 自评表 of the project from its button.
    staff.skip_pending()
    await staff.press_data(again["message_id"], f"ev:doc:{built.evaluation_id}")
    sheet = await staff.wait_for_message(lambda m: "document" in m, timeout=WAIT)
    assert sheet["document"]["file_name"] == "绩效自评表_教师培训项目.docx"

    # Another department's staff forging the report's buttons is refused.
    await other.send_text(f"/evalreport {YEAR} EDU")
    refused = await other.wait_for_message(says("没有权限"), timeout=WAIT)
    edu = bureau.world.orgs["EDU"]
    await other.press_data(refused["message_id"], f"ev:rd:{edu}:{YEAR}")
    assert "没有权限" in (await other.wait_for_callback_answer(timeout=WAIT))["text"]
    await other.press_data(refused["message_id"], f"ev:rw:{edu}:{YEAR}")
    assert "没有权限" in (await other.wait_for_callback_answer(timeout=WAIT))["text"]
