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
