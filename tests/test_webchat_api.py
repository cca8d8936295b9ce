"""The web chat shows what a bot does through the Bot API: HTML, reply keyboards, edits,
the command menu; no bot process needed, the calls are made as the bot would make them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from sandbox.server import BotApiSandbox
from sandbox.webchat import WebChat


async def _call(http: aiohttp.ClientSession, sandbox: BotApiSandbox, method: str, **params: Any):
    async with http.post(f"/bot{sandbox.token}/{method}", json=params) as response:
        answer = await response.json()
    assert answer["ok"], answer
    return answer["result"]


async def _event(stream: aiohttp.ClientResponse, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            line = (await stream.content.readline()).decode()
            if line.startswith("data: ") and (event := json.loads(line[6:]))["type"] == kind:
                return event


async def test_the_page_follows_sends_edits_keyboards_and_menus() -> None:
    sandbox = BotApiSandbox()
    WebChat(sandbox).install()
    async with sandbox, aiohttp.ClientSession(sandbox.url) as http:
        sandbox.add_user(42, "张三")
        async with http.get("/webchat/events") as stream:
            snapshot = await _event(stream, "snapshot")
            assert snapshot["people"][0]["name"] == "张三" and snapshot["chats"]["42"] == []
            sent = await _call(
                http,
                sandbox,
                "sendMessage",
                chat_id=42,
                text="<b>请选择</b> &lt;x&gt;",
                parse_mode="HTML",
                reply_markup={"keyboard": [["是", "否"]], "resize_keyboard": True},
            )
            shown = (await _event(stream, "message"))["message"]
            assert shown["html"] == "<b>请选择</b> &lt;x&gt;" and shown["from_bot"]
            people = await _event(stream, "people")
            assert people["people"][0]["keyboard"] == [["是", "否"]]

            await _call(
                http,
                sandbox,
                "editMessageText",
                chat_id=42,
                message_id=sent["message_id"],
                text="<i>已选择</i>",
                parse_mode="HTML",
            )
            edit = await _event(stream, "edit")
            assert edit["message"]["id"] == sent["message_id"]
            assert edit["message"]["html"] == "<i>已选择</i>" and edit["message"]["edited"]

            await _call(
                http,
                sandbox,
                "setMyCommands",
                commands=[{"command": "todo", "description": "我的待办"}],
                scope={"type": "chat", "chat_id": 42},
            )
            menu = await _event(stream, "people")
            assert menu["people"][0]["commands"] == [{"command": "todo", "description": "我的待办"}]

        async with http.get("/") as page:
            assert page.status == 200 and "绩效助手" in await page.text()
        async with http.get("/webchat/static/app.js") as script:
            assert script.status == 200 and "EventSource" in await script.text()
        async with http.get("/webchat/static/..%2Fclient.py") as escape:
            assert escape.status == 404


async def test_a_sandbox_without_the_web_chat_serves_no_page() -> None:
    async with BotApiSandbox() as sandbox, aiohttp.ClientSession(sandbox.url) as http:
        async with http.get("/") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found"


async def _upload(
    http: aiohttp.ClientSession, sandbox: BotApiSandbox, method: str, **parts: Any
) -> Any:
    """A multipart call as python-telegram-bot makes it: (name, bytes, type) for files."""
    form = aiohttp.FormData()
    for key, value in parts.items():
        if isinstance(value, tuple):
            name, data, mime = value
            form.add_field(key, data, filename=name, content_type=mime)
        else:
            form.add_field(key, value if isinstance(value, str) else json.dumps(value))
    async with http.post(f"/bot{sandbox.token}/{method}", data=form) as response:
        answer = await response.json()
    assert answer["ok"], answer
    return answer["result"]


def _png(width: int = 4, height: int = 3) -> bytes:
    import struct
    import zlib

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


async def test_documents_preview_and_album_photos_show_inline() -> None:
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["项目名称", "<script>alert(1)</script>"])
    workbook = io.BytesIO()
    book.save(workbook)
    sandbox = BotApiSandbox()
    WebChat(sandbox).install()
    async with sandbox, aiohttp.ClientSession(sandbox.url) as http:
        sandbox.add_user(42, "张三")
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        document = ("scores.xlsx", workbook.getvalue(), xlsx)
        sent = await _upload(http, sandbox, "sendDocument", chat_id="42", document=document)
        # Charts go as bare bytes: python-telegram-bot labels them application/octet-stream.
        png = ("image.png", _png(), "application/octet-stream")
        album = await _upload(
            http,
            sandbox,
            "sendMediaGroup",
            chat_id="42",
            media=[
                {"type": "photo", "media": "attach://a"},
                {"type": "photo", "media": "attach://b"},
            ],
            a=png,
            b=png,
        )
        async with http.get("/webchat/api/state") as response:
            chat = (await response.json())["chats"]["42"]
        document = next(m for m in chat if m["id"] == sent["message_id"])["document"]
        assert document["preview"] == "xlsx" and document["name"] == "scores.xlsx"
        async with http.get(f"/webchat/api/preview/{document['file_id']}") as response:
            answer = await response.json()
        assert response.status == 200 and answer["kind"] == "xlsx"
        assert "<td>项目名称</td><td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in answer["html"]
        async with http.get("/webchat/api/preview/nope") as missing:
            assert missing.status == 404

        photos = [m for m in chat if m["id"] in {a["message_id"] for a in album}]
        assert len(photos) == 2 and photos[0]["album"] == photos[1]["album"]
        assert photos[0]["photo"]["mime"] == "image/png"
        async with http.get(photos[0]["photo"]["url"]) as image:
            assert image.headers["Content-Type"] == "image/png"
            assert image.headers["Content-Disposition"].startswith("inline")
            assert (await image.read()).startswith(b"\x89PNG")
        async with http.get(f"/webchat/api/preview/{photos[0]['photo']['file_id']}") as none:
            assert none.status == 400 and "没有预览" in (await none.json())["error"]


async def test_message_times_follow_the_training_clock(tmp_path) -> None:
    from sandbox.webchat import SandboxClock

    clock = SandboxClock(tmp_path / "clock.json")
    clock.ensure_file()
    sandbox = BotApiSandbox()
    WebChat(sandbox, clock=clock).install()
    async with sandbox, aiohttp.ClientSession(sandbox.url) as http:
        sandbox.add_user(42, "张三")
        before = await _call(http, sandbox, "sendMessage", chat_id=42, text="移动之前")
        await asyncio.sleep(1.1)  # dates are whole seconds: the move comes in a later one
        async with http.post("/webchat/api/clock", json={"days": 3}) as response:
            assert (await response.json())["clock"]["offset_days"] == 3
        after = await _call(http, sandbox, "sendMessage", chat_id=42, text="移动之后")
        async with http.get("/webchat/api/state") as response:
            snapshot = await response.json()
        shown = {m["id"]: m for m in snapshot["chats"]["42"]}
        # A message keeps the day it was sent on; one sent afterwards is on the bot's new day.
        assert shown[before["message_id"]]["date"] == before["date"]
        assert shown[after["message_id"]]["date"] == after["date"] + 3 * 86400
        assert snapshot["clock"]["timezone"] == "Asia/Shanghai"
