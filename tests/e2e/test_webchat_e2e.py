"""The web chat's API against the real bot: live events, inviting a person from the page,
buttons, uploads, downloads, export and the clock; bad input refused in Chinese."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.playground.bureau import seed
from bot.playground.directory import BotDirectory
from bot.playground.run import demo_replay
from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox
from sandbox.webchat import SandboxClock, WebChat
from storage.db import Database
from storage.models import Person, RoleAssignment

pytestmark = pytest.mark.e2e
ADMIN = 9200  # templates/try_bureau.toml


class Events:
    """The page's event stream, read as the browser would."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, wanted: Any, timeout: float = 20.0) -> dict[str, Any]:
        return (await self.all(wanted, timeout=timeout))[0]

    async def all(self, *wanted: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The first event matching each of `wanted`, in whatever order they arrive."""
        found: dict[int, dict[str, Any]] = {}
        async with asyncio.timeout(timeout):
            while len(found) < len(wanted):
                line = (await self.response.content.readline()).decode()
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    for number, check in enumerate(wanted):
                        if number not in found and check(event):
                            found[number] = event
        return [found[number] for number in range(len(wanted))]


@pytest.fixture
async def page(
    request: pytest.FixtureRequest, tmp_path: Path, e2e_database_url: str, e2e_db: Database
) -> AsyncIterator[tuple[str, WebChat, aiohttp.ClientSession]]:
    """The page on a sandbox with the bot and the administrator; `replay` when marked so."""
    sandbox = BotApiSandbox()
    clock = SandboxClock(tmp_path / "clock.json")
    clock.ensure_file()
    bot = BotProcess(
        sandbox,
        database_url=e2e_database_url,
        workdir=tmp_path / "bot",
        extra_env={"SANDBOX_CLOCK_FILE": str(clock.path)},
    )
    with_replay = getattr(request, "param", False)
    replay = demo_replay(sandbox, bot, e2e_db) if with_replay else None
    chat = WebChat(sandbox, directory=BotDirectory(e2e_db), clock=clock, replay=replay)
    chat.install()
    async with sandbox:
        await bot.start()
        try:
            await seed(e2e_db, sandbox, empty=True)
            async with aiohttp.ClientSession(sandbox.url) as http:
                yield sandbox.url, chat, http
        finally:
            await bot.stop()


async def _post(http: aiohttp.ClientSession, path: str, body: dict) -> tuple[int, dict]:
    async with http.post(path, json=body) as response:
        return response.status, await response.json()


def _says(chat_id: int, fragment: str) -> Any:
    return lambda e: (
        e.get("type") in ("message", "edit")
        and e["chat_id"] == chat_id
        and fragment in e["message"].get("html", "")
    )


async def test_a_person_invited_from_the_page_registers_and_chats_live(page, e2e_db) -> None:
    *_, http = page
    async with http.get("/webchat/events") as stream:
        events = Events(stream)
        snapshot = await events.next(lambda e: e["type"] == "snapshot")
        assert [p["name"] for p in snapshot["people"]] == ["钱管理员"]
        assert "登记成功" in snapshot["chats"][str(ADMIN)][-1]["html"]
        assert {"value": "staff", "label": "经办人"} in snapshot["options"]["roles"]

        status, refused = await _post(
            http,
            "/webchat/api/people",
            {"name": "新人", "role": "staff", "organisation": "DEMO-F-JX"},
        )
        assert status == 400 and "这个角色不能设在" in refused["error"]
        status, added = await _post(
            http,
            "/webchat/api/people",
            {"name": "新人", "role": "staff", "organisation": "DEMO-D-RS"},
        )
        assert status == 200
        newcomer = added["user_id"]
        _, people = await events.all(
            _says(newcomer, "登记成功"),
            lambda e: e["type"] == "people" and any(p["role"] == "经办人" for p in e["people"]),
        )
        assert {
            "name": "新人",
            "role": "经办人",
            "organisation": "市人力资源和社会保障局",
        }.items() <= (next(p for p in people["people"] if p["id"] == newcomer).items())
        assert any(c["command"] == "new" for c in people["people"][-1]["commands"])

        assert (await _post(http, "/webchat/api/send", {"user_id": newcomer, "text": "/new"}))[
            0
        ] == 200
        question = await events.next(_says(newcomer, "预算年度"))
        button = question["message"]["keyboard"][0][0]
        status, _ = await _post(
            http,
            "/webchat/api/press",
            {"user_id": newcomer, "message_id": question["message"]["id"], "data": "forged"},
        )
        assert status == 400
        pressed = {
            "user_id": newcomer,
            "message_id": question["message"]["id"],
            "data": button["data"],
        }
        assert (await _post(http, "/webchat/api/press", pressed))[0] == 200
        await events.next(_says(newcomer, "项目属性"))

    async with e2e_db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == newcomer))
        assert person is not None and person.name == "新人"
        roles = await session.scalars(
            select(RoleAssignment.role).where(RoleAssignment.person_id == person.id)
        )
        assert list(roles) == ["staff"]

    async with http.get(f"/webchat/api/export/{newcomer}") as response:
        exported = await response.text()
        assert "attachment" in response.headers["Content-Disposition"]
    assert (
        "👤 新人: /new" in exported and "登记成功" in exported and f"✔ {button['text']}" in exported
    )


async def test_uploads_download_safely_and_the_clock_only_moves_forward(page) -> None:
    _, chat, http = page
    form = aiohttp.FormData()
    form.add_field("user_id", str(ADMIN))
    form.add_field(
        "file", b"<svg onload='alert(1)'/>", filename="图.svg", content_type="image/svg+xml"
    )
    async with http.post("/webchat/api/upload", data=form) as response:
        assert response.status == 200
    sent = chat.sandbox.user(ADMIN).messages[-1]
    async with http.get(f"/webchat/files/{sent['document']['file_id']}") as response:
        assert await response.read() == b"<svg onload='alert(1)'/>"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"

    for days in (0, -1, "x", 5000):
        status, refused = await _post(http, "/webchat/api/clock", {"days": days})
        assert status == 400 and "天数" in refused["error"]
    status, moved = await _post(http, "/webchat/api/clock", {"days": 7})
    assert status == 200 and moved["clock"]["offset_days"] == 7
    assert json.loads(chat.clock.path.read_text())["offset_seconds"] == 7 * 86400

    status, refused = await _post(http, "/webchat/api/send", {"user_id": 123, "text": "hi"})
    assert status == 400 and refused["error"] == "没有这个人。"
    status, refused = await _post(http, "/webchat/api/replay", {})
    assert status == 400 and "演示" in refused["error"]


@pytest.mark.parametrize("page", [True], indirect=True)
async def test_the_demo_replays_into_the_page(page) -> None:
    _, chat, http = page
    async with http.get("/webchat/events") as stream:
        events = Events(stream)
        await events.next(lambda e: e["type"] == "snapshot")
        assert (await _post(http, "/webchat/api/replay", {}))[0] == 200
        status, refused = await _post(http, "/webchat/api/replay", {})
        assert status == 400 and "回放过" in refused["error"]
        staff = 9101  # the demo's 王芳
        shown, _ = await events.all(
            _says(staff, "已提交"),  # the page saw the scenes live
            lambda e: e["type"] == "extras" and e["replay"]["state"] in ("done", "failed"),
            timeout=240,
        )
    assert chat.replay_state == "done", chat.replay_error
    assert "职业技能提升培训" in shown["message"]["html"]
    names = {user.first_name for user in chat.sandbox.users}
    assert {"钱管理员", "王芳", "李局长", "周科长"} <= names
