"""/stats through the running bot: the summary, the charts as one album of PNGs and the
workbook, each person seeing their own scope; a refusal for staff; usage for a bad year."""

from __future__ import annotations

import asyncio
import io
import socket
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from sandbox.harness import BotProcess
from sandbox.media import image_size, photo_bytes
from sandbox.server import BotApiSandbox
from storage.db import Database
from tests.dashboard_world import build_dashboard_world
from tests.e2e.test_bot_process import _perfbot
from tests.e2e.test_review_chain import WAIT, Bureau, says
from tests.review_world import YEAR

VIEWS = 8  # every view of the dashboard world has figures


def has_document(message: dict[str, Any]) -> bool:
    return "document" in message


async def ask_stats(user, year: int = YEAR) -> tuple[dict, list[dict], dict]:
    """Send /stats; the summary, the photos and the workbook the bot answered with."""
    user.skip_pending()
    await user.send_text(f"/stats {year}")
    summary = await user.wait_for_message(says("年度统计"), timeout=WAIT)
    document = await user.wait_for_message(has_document, timeout=WAIT * 2)
    photos = [
        m for m in user.bot_messages if "photo" in m and m["message_id"] > summary["message_id"]
    ]
    return summary, photos, document


@pytest.fixture
async def bureau(e2e_db: Database, sandbox: BotApiSandbox, bot: BotProcess) -> Bureau:
    return Bureau((await build_dashboard_world(e2e_db)).world, sandbox)


async def test_finance_sees_the_bureau_and_a_head_their_department(
    bureau: Bureau, sandbox: BotApiSandbox
) -> None:
    perf = bureau["perf"]
    summary, photos, document = await ask_stats(perf)
    text = summary["text"]
    assert "全局" in text and "项目 5 个" in text
    assert "按时申报率 40.0%" in text and "逾期未交 2 个" in text
    assert "市教育局 50.0%" in text  # below the 75 % time share
    assert "reply_markup" not in summary  # no web address configured: no 📊 button
    assert len(photos) == VIEWS
    assert len({m.get("media_group_id") for m in photos}) == 1
    for message in photos:
        width, _height = image_size(photo_bytes(sandbox.state, message))
        assert width == 1080
    book = load_workbook(io.BytesIO(perf.download(document)))
    assert len(book.sheetnames) == VIEWS
    timeliness = book["按时申报"]
    departments = [row[0] for row in timeliness.iter_rows(min_row=2, values_only=True)]
    assert departments == ["市文旅局", "市教育局", "市卫健委"]

    head = bureau["edu_head"]
    summary, photos, document = await ask_stats(head)
    assert "市教育局" in summary["text"] and "全局" not in summary["text"]
    assert "项目 3 个" in summary["text"]
    assert len(photos) == VIEWS
    book = load_workbook(io.BytesIO(head.download(document)))
    departments = [row[0] for row in book["按时申报"].iter_rows(min_row=2, values_only=True)]
    assert departments == ["市教育局"]
    execution = [row[0] for row in book["预算执行"].iter_rows(min_row=2, values_only=True)]
    assert execution == ["市教育局"]


async def test_staff_are_refused_and_a_bad_year_is_explained(bureau: Bureau) -> None:
    staff = bureau["edu_staff"]
    await staff.send_text(f"/stats {YEAR}")
    await staff.wait_for_message(says("没有权限"), timeout=WAIT)
    perf = bureau["perf"]
    await perf.send_text("/stats 去年")
    await perf.wait_for_message(says("用法：/stats"), timeout=WAIT)
    perf.skip_pending()
    await perf.send_text("/stats 1999")
    await perf.wait_for_message(says("1999 年度", "暂无统计"), timeout=WAIT)


async def test_a_busy_web_address_stops_the_bot_with_a_sentence(
    sandbox: BotApiSandbox, tmp_path: Path, e2e_database_url: str
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = await asyncio.to_thread(
            _perfbot,
            tmp_path,
            TELEGRAM_BOT_TOKEN=sandbox.token,
            TELEGRAM_BASE_URL=sandbox.base_url,
            DATABASE_URL=e2e_database_url,
            WEB_APP_URL="http://127.0.0.1:8080",
            WEB_BIND_PORT=str(port),
        )
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr and "WEB_BIND_PORT" in result.stderr
    assert "Traceback" not in result.stderr
