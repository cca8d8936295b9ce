"""Document dates are the bureau's day: at 07:30 in Shanghai it is already today, not yesterday."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import time_machine
from docx import Document

from bot.handlers.goals.projects import _show_sheet
from storage.db import Database
from tests.goal_world import actor_of_person_db, build_goal_world, declared
from workflow.goals import projects

EARLY_MORNING = dt.datetime(2027, 3, 1, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # 23:30 UTC


class RecordingBot:
    """Keeps the documents the handler sends."""

    def __init__(self) -> None:
        self.documents: list[bytes] = []

    async def send_chat_action(self, *_: object, **__: object) -> None:
        return None

    async def send_document(self, _chat_id: int, document: object, **__: object) -> None:
        self.documents.append(document.input_file_content)  # type: ignore[attr-defined]


async def test_the_word_file_keeps_the_submission_day_when_printed(database: Database) -> None:
    world = await build_goal_world(database)
    record = (await declared(database, world.staff)).record
    staff = await actor_of_person_db(database, world.staff)
    sheet = await projects.goal_sheet(database, actor=staff, project_id=record.project_id)
    bot = RecordingBot()
    with time_machine.travel(EARLY_MORNING, tick=False):
        assert dt.datetime.now(dt.UTC).date() == dt.date(2027, 2, 28)  # UTC is still yesterday
        await _show_sheet(SimpleNamespace(bot=bot), 1, "doc", sheet)  # type: ignore[arg-type]
    [content] = bot.documents
    paragraphs = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    # 填报日期 is the day the goals were submitted, not the day the file is printed.
    assert "填报日期：2025年9月15日" in paragraphs
    assert "2027年" not in paragraphs
