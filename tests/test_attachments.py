"""Files sent to a files question: the type, size and content checks, the limit per
question, text where a file is expected and a file where text is, and what is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Attachment, RectificationRequest
from tests.review_world import YEAR, World, build_world
from tests.test_rectification import at_finance, write
from workflow.forms import attachments, drafts, files
from workflow.forms import flow as form_flow
from workflow.forms.drafts import DraftOutcome
from workflow.forms.files import MAX_BYTES, Upload
from workflow.forms.spec import Cursor, FieldSpec, FormSpec, Kind
from workflow.tracking.rectification_forms import start_reply, start_suggestion

NOW = dt.datetime(YEAR, 10, 12, 2, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.7 minutes of the meeting"
FORM = FormSpec(
    "files_sample",
    entries=(
        FieldSpec("note", Kind.text, lambda text: text.strip()),
        FieldSpec("files", Kind.files, optional=True, max_count=2),
    ),
)


@pytest.mark.parametrize(
    ("name", "size", "code"),
    [
        ("复函.pdf", 1000, None),
        ("整改报告.DOCX", 1000, None),
        ("旧格式.doc", 1000, None),
        ("照片.JPEG", 1000, None),
        ("截图.png", 1000, None),
        ("病毒.exe", 1000, "file_type"),
        ("表格.xlsx", 1000, "file_type"),
        ("没有扩展名", 1000, "file_type"),
        (None, 1000, "file_type"),
        ("太大.pdf", MAX_BYTES + 1, "file_too_large"),
        ("刚好.pdf", MAX_BYTES, None),
        ("空.pdf", 0, "file_empty"),
    ],
)
def test_what_the_message_says_decides_before_downloading(
    name: str | None, size: int, code: str | None
) -> None:
    problem = files.announced_problem(name, size)
    assert (problem.code if problem else None) == code


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("复函.pdf", PDF, None),
        ("整改.docx", b"PK\x03\x04 word", None),
        ("照片.jpg", b"\xff\xd8\xff\xe1 exif", None),
        ("照片.pdf", b"\xff\xd8\xff\xe1 a photo renamed", "file_content_mismatch"),
        ("文档.png", PDF, "file_content_mismatch"),
        ("空.pdf", b"", "file_empty"),
    ],
)
def test_the_bytes_must_be_what_the_name_says(name: str, content: bytes, code: str | None) -> None:
    problem = files.content_problem(Upload(name, len(content), content))
    assert (problem.code if problem else None) == code


def test_files_gather_at_the_question_until_the_limit() -> None:
    begun = form_flow.start(FORM, {})
    typed = form_flow.answer_text(FORM, begun.data, begun.cursor, "会议纪要", {})
    assert str(typed.cursor) == "files"
    early = files.add_file(FORM, begun.data, begun.cursor, {"id": 1}, {})
    assert early.problem is not None and early.problem.code == "file_not_expected"
    text = form_flow.answer_text(FORM, typed.data, typed.cursor, "附件见邮件", {})
    assert text.problem is not None and text.problem.code == "file_expected"
    one = files.add_file(FORM, typed.data, typed.cursor, {"id": 1, "name": "a.pdf"}, {})
    two = files.add_file(FORM, one.data, one.cursor, {"id": 2, "name": "b.pdf"}, {})
    assert str(two.cursor) == "files" and [f["id"] for f in two.data["files"]] == [1, 2]
    assert typed.data.get("files") is None  # nothing changed in place
    third = files.add_file(FORM, two.data, two.cursor, {"id": 3}, {})
    assert third.problem is not None and third.problem.code == "too_many_files"
    done = form_flow.keep(FORM, two.data, two.cursor, {})
    assert done.cursor == Cursor(None)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def test_a_file_is_stored_with_the_draft_only_where_one_is_asked_for(world: World) -> None:
    report_id, version = await at_finance(world)
    await write(
        world,
        "perf",
        await start_suggestion(
            world.db, actor=world["perf"], report_id=report_id, version=version, now=NOW
        ),
        "请补充说明",
    )
    staff = world.person_id("edu_staff")
    async with world.db.sessions() as session:
        request_id = await session.scalar(select(RectificationRequest.id))
    opened = await start_reply(world.db, actor=world["edu_staff"], request_id=request_id, now=NOW)
    assert opened.outcome is DraftOutcome.moved
    pdf = Upload("复函.pdf", len(PDF), PDF, telegram_file_id="file-1")
    at_text = await attachments.attach(world.db, person_id=staff, upload=pdf, now=NOW)
    assert at_text.outcome is DraftOutcome.refused
    assert at_text.problem is not None and at_text.problem.code == "file_not_expected"
    await drafts.answer(world.db, person_id=staff, text="已整改", now=NOW)
    renamed = Upload("照片.pdf", 10, b"\xff\xd8\xff\xe1 photo", telegram_file_id="file-2")
    refused = await attachments.attach(world.db, person_id=staff, upload=renamed, now=NOW)
    assert refused.problem is not None and refused.problem.code == "file_content_mismatch"
    kept = await attachments.attach(world.db, person_id=staff, upload=pdf, now=NOW)
    assert kept.outcome is DraftOutcome.moved and kept.view is not None
    assert [f["name"] for f in kept.view.data["files"]] == ["复函.pdf"]
    async with world.db.sessions() as session:
        stored = list(await session.scalars(select(Attachment)))
    assert [(a.item_type, a.item_id, a.content, a.size) for a in stored] == [
        ("form_draft", kept.view.id, PDF, len(PDF))
    ]
    assert stored[0].sha256 == pdf.sha256 and stored[0].uploaded_by_id == staff
