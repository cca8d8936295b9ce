"""The web chat: a page at / where a person plays the bot's users, served by the sandbox.

Only `perfbot try` installs it (WebChat(...).install() before the sandbox starts); the
Bot API routes are untouched. Live updates go to the page as server-sent events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from importlib import resources
from typing import Any
from urllib.parse import quote

from aiohttp import web

from sandbox.client import SandboxUser, transcript
from sandbox.server import BotApiSandbox
from sandbox.state import Chat
from sandbox.webchat.clock import SandboxClock
from sandbox.webchat.directory import Directory, PersonCard, Replay
from sandbox.webchat.preview import RENDERERS, PreviewError
from sandbox.webchat.render import (
    commands_for,
    event_payload,
    message_view,
    preview_kind,
    sniffed_mime,
)

_LOGGER = logging.getLogger(__name__)
STATIC = resources.files("sandbox.webchat") / "static"
_STATIC_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript"}
POLL_SECONDS = 0.1
HEARTBEAT_SECONDS = 15.0
CARDS_EVERY_SECONDS = 1.0
FIRST_NEW_USER_ID = 9501
MAX_TEXT = 4096
FILE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


class WebChat:
    """The page, its JSON API and its event stream, added to a sandbox's routes."""

    def __init__(
        self,
        sandbox: BotApiSandbox,
        *,
        directory: Directory | None = None,
        clock: SandboxClock | None = None,
        replay: Replay | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.directory = directory
        self.clock = clock
        self.replay = replay
        self.replay_state = "idle" if replay else "none"  # idle, running, done, failed
        self.replay_error = ""
        self._replay_task: asyncio.Task[None] | None = None
        self._previews: dict[str, str] = {}  # file_id → HTML (stored files never change)

    def install(self) -> None:
        """Serve the page from the sandbox (call before the sandbox starts)."""
        self.sandbox.web_extensions.append(self.add_routes)

    def add_routes(self, app: web.Application) -> None:
        """Register the page's routes on the sandbox's aiohttp application."""
        app.router.add_get("/", self._index)
        app.router.add_get("/webchat/static/{name}", self._static)
        app.router.add_get("/webchat/events", self._events)
        app.router.add_get("/webchat/api/state", self._state)
        app.router.add_post("/webchat/api/send", self._send)
        app.router.add_post("/webchat/api/press", self._press)
        app.router.add_post("/webchat/api/upload", self._upload)
        app.router.add_post("/webchat/api/people", self._add_person)
        app.router.add_post("/webchat/api/clock", self._move_clock)
        app.router.add_post("/webchat/api/replay", self._replay)
        app.router.add_get("/webchat/api/export/{user_id}", self._export)
        app.router.add_get("/webchat/files/{file_id}", self._file)
        app.router.add_get("/webchat/api/preview/{file_id}", self._preview)

    # --- page ---------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.Response:
        """The page itself."""
        return web.Response(
            text=(STATIC / "index.html").read_text("utf-8"), content_type="text/html"
        )

    async def _static(self, request: web.Request) -> web.Response:
        """The page's CSS and script (nothing else from the folder)."""
        name = request.match_info["name"]
        suffix = "." + name.rsplit(".", 1)[-1]
        if "/" in name or ".." in name or suffix not in _STATIC_TYPES:
            raise web.HTTPNotFound()
        path = STATIC / name
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.Response(
            text=path.read_text("utf-8"), content_type=_STATIC_TYPES[suffix], charset="utf-8"
        )

    def _shift(self, timestamp: int) -> int:
        """A machine timestamp as the bot's clock had it then (the training clock's offset)."""
        return self.clock.shift(timestamp) if self.clock else timestamp

    # --- state --------------------------------------------------------------------------

    async def _cards(self) -> dict[int, PersonCard]:
        """Roles and organisations from the application, or nothing when it cannot say."""
        if self.directory is None:
            return {}
        try:
            return await self.directory.cards()
        except Exception:  # the list still shows names when the database is busy
            _LOGGER.exception("web chat: reading people failed")
            return {}

    def _person(self, user: SandboxUser, cards: dict[int, PersonCard]) -> dict[str, Any]:
        """One list entry: name, role, organisation, menu and reply keyboard."""
        card = cards.get(user.id, PersonCard())
        chat = self.sandbox.state.chats[user.id]
        return {
            "id": user.id,
            "name": user.first_name,
            "role": card.role,
            "organisation": card.organisation,
            "commands": commands_for(self.sandbox.state, user.id, chat.user["language_code"]),
            "keyboard": _reply_keyboard(chat),
        }

    async def people(self) -> list[dict[str, Any]]:
        """Everyone in the sandbox, with what the bot knows about them."""
        cards = await self._cards()
        return [self._person(user, cards) for user in self.sandbox.users]

    def _extras(self) -> dict[str, Any]:
        """The clock and the replay's progress."""
        return {
            "clock": self.clock.view() if self.clock else None,
            "replay": {"state": self.replay_state, "error": self.replay_error},
        }

    async def snapshot(self) -> dict[str, Any]:
        """Everything the page draws: people, their chats, options, the clock."""
        state = self.sandbox.state
        chats = {
            str(user_id): [
                message_view(state, m, shift=self._shift) for _, m in sorted(chat.messages.items())
            ]
            for user_id, chat in state.chats.items()
        }
        options = await self.directory.options() if self.directory else None
        return {
            "type": "snapshot",
            "bot": state.bot_user["first_name"],
            "people": await self.people(),
            "chats": chats,
            "options": {
                "roles": [vars(c) for c in options.roles] if options else [],
                "organisations": [vars(c) for c in options.organisations] if options else [],
            },
            **self._extras(),
        }

    async def _state(self, request: web.Request) -> web.Response:
        """The snapshot as JSON (the page gets it from the event stream too)."""
        return web.json_response(await self.snapshot())

    # --- acting as a person --------------------------------------------------------------

    def _user(self, raw: Any) -> SandboxUser:
        """The sandbox user named in a request, or a Chinese 400."""
        try:
            return self.sandbox.user(int(raw))
        except (KeyError, TypeError, ValueError):
            raise _bad("没有这个人。") from None

    async def _send(self, request: web.Request) -> web.Response:
        """The person types a message."""
        body = await _json(request)
        user = self._user(body.get("user_id"))
        text = str(body.get("text") or "").strip()
        if not text:
            raise _bad("消息不能为空。")
        if len(text) > MAX_TEXT:
            raise _bad(f"消息太长（最多 {MAX_TEXT} 字）。")
        message = await user.send_text(text)
        return web.json_response({"ok": True, "message_id": message["message_id"]})

    async def _press(self, request: web.Request) -> web.Response:
        """The person presses an inline button still on the message."""
        body = await _json(request)
        user = self._user(body.get("user_id"))
        chat = self.sandbox.state.chats[user.id]
        message = chat.messages.get(_int(body.get("message_id")))
        data = str(body.get("data") or "")
        buttons = [b for row in _keyboard_rows(message) for b in row]
        if message is None or not any(b.get("callback_data") == data for b in buttons):
            raise _bad("这个按钮已经失效了。")
        query = await user.press_data(message["message_id"], data)
        return web.json_response({"ok": True, "query_id": query["id"]})

    async def _upload(self, request: web.Request) -> web.Response:
        """The person sends a file."""
        form = await request.post()
        user = self._user(form.get("user_id"))
        field = form.get("file")
        if not isinstance(field, web.FileField):
            raise _bad("请选择一个文件。")
        caption = str(form.get("caption") or "") or None
        data = field.file.read()
        await user.send_document(field.filename, data, field.content_type, caption=caption)
        return web.json_response({"ok": True})

    # --- training helpers ----------------------------------------------------------------

    async def _add_person(self, request: web.Request) -> web.Response:
        """Invite someone; they redeem the invitation in their new chat like anyone."""
        if self.directory is None:
            raise _bad("这个模拟环境不能添加人员。")
        body = await _json(request)
        name = str(body.get("name") or "").strip()
        if not name or len(name) > 32:
            raise _bad("请填写姓名（最多 32 字）。")
        try:
            token = await self.directory.invite(
                name=name, role=str(body.get("role")), organisation=str(body.get("organisation"))
            )
        except ValueError as refused:
            raise _bad(str(refused) or "邀请没有生成。") from None
        user_id = max([FIRST_NEW_USER_ID - 1, *(u.id for u in self.sandbox.users)]) + 1
        user = self.sandbox.add_user(user_id, name)
        await user.send_text(f"/start {token}")  # the real invitation flow
        return web.json_response({"ok": True, "user_id": user_id})

    async def _move_clock(self, request: web.Request) -> web.Response:
        """Move the bot's today forward."""
        if self.clock is None:
            raise _bad("这个模拟环境没有可调的时钟。")
        body = await _json(request)
        try:
            self.clock.advance(int(body.get("days") or 0))
        except (TypeError, ValueError):
            raise _bad("天数应为 1 到 3660 之间的整数。") from None
        return web.json_response({"ok": True, "clock": self.clock.view()})

    async def _replay(self, request: web.Request) -> web.Response:
        """Start `make demo`'s scenes in the background."""
        if self.replay is None:
            raise _bad("这个模拟环境没有演示场景。")
        if self.replay_state != "idle":
            raise _bad("演示场景已经回放过了；要再看一遍，请重新启动 perfbot try。")
        self.replay_state = "running"
        self._replay_task = asyncio.create_task(self._run_replay())
        return web.json_response({"ok": True})

    async def _run_replay(self) -> None:
        """Run the scenes; keep how it ended for the page."""
        assert self.replay is not None
        try:
            await self.replay()
        except Exception as exc:  # shown on the page; the chats keep what happened
            _LOGGER.exception("demo replay failed")
            self.replay_state, self.replay_error = "failed", str(exc)[:500]
        else:
            self.replay_state = "done"

    async def _export(self, request: web.Request) -> web.Response:
        """A chat as text, for a report or a training handout."""
        user = self._user(request.match_info["user_id"])
        name = quote(f"{user.first_name}-chat.txt")
        return web.Response(
            text=transcript(user) + "\n",
            content_type="text/plain",
            charset="utf-8",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
        )

    async def _file(self, request: web.Request) -> web.Response:
        """A file's bytes; images inline, everything else as a download."""
        stored = self.sandbox.state.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        name = quote(stored.file_name or stored.file_path.rsplit("/", 1)[-1])
        # A chart sent as bare bytes arrives as application/octet-stream: tell by its bytes.
        mime = sniffed_mime(stored)
        inline = mime.startswith("image/") and "download" not in request.query
        disposition = "inline" if inline else "attachment"
        return web.Response(
            body=stored.data,
            content_type=mime,
            headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{name}",
                # An uploaded SVG or HTML must never run as this page's script.
                "Content-Security-Policy": FILE_POLICY,
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def _preview(self, request: web.Request) -> web.Response:
        """A document's first pages or sheets as escaped HTML, drawn here, not in the page."""
        file_id = request.match_info["file_id"]
        stored = self.sandbox.state.files.get(file_id)
        if stored is None:
            raise web.HTTPNotFound()
        kind = preview_kind(stored.file_name or stored.file_path)
        if kind not in RENDERERS:
            raise _bad("这种文件没有预览，请下载后查看。")
        if file_id not in self._previews:
            try:
                drawn = await asyncio.to_thread(RENDERERS[kind], stored.data)
            except PreviewError as refused:
                raise _bad(str(refused)) from None
            self._previews[file_id] = drawn
        return web.json_response({"ok": True, "kind": kind, "html": self._previews[file_id]})

    # --- live updates --------------------------------------------------------------------

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: a snapshot, then every message, edit, deletion and answer."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        state = self.sandbox.state
        cursors = {user_id: len(chat.events) for user_id, chat in state.chats.items()}
        await _emit(response, await self.snapshot())
        people = json.dumps(await self.people(), sort_keys=True)
        extras = json.dumps(self._extras(), sort_keys=True)
        loop = asyncio.get_running_loop()
        last_beat = last_cards = loop.time()
        with contextlib.suppress(ConnectionResetError):  # the page was closed
            while not state.stopping:
                changed = False
                for user_id, chat in list(state.chats.items()):
                    start = cursors.get(user_id, 0)
                    for event in chat.events[start:]:
                        changed = True
                        await _emit(
                            response,
                            event_payload(self.sandbox.state, user_id, event, shift=self._shift),
                        )
                    cursors[user_id] = len(chat.events)
                now = loop.time()
                if changed or now - last_cards > CARDS_EVERY_SECONDS:
                    last_cards = now
                    fresh = json.dumps(await self.people(), sort_keys=True)
                    if fresh != people:
                        people = fresh
                        await _emit(response, {"type": "people", "people": json.loads(fresh)})
                fresh_extras = json.dumps(self._extras(), sort_keys=True)
                if fresh_extras != extras:
                    extras = fresh_extras
                    await _emit(response, {"type": "extras", **self._extras()})
                if now - last_beat > HEARTBEAT_SECONDS:
                    last_beat = now
                    await response.write(b": beat\n\n")
                await asyncio.sleep(POLL_SECONDS)
        return response


async def _emit(response: web.StreamResponse, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, ensure_ascii=False)
    await response.write(f"data: {data}\n\n".encode())


def _reply_keyboard(chat: Chat) -> list[list[str]]:
    rows = (chat.reply_keyboard or {}).get("keyboard") or []
    return [[b if isinstance(b, str) else str(b.get("text", "")) for b in row] for row in rows]


def _keyboard_rows(message: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    return ((message or {}).get("reply_markup") or {}).get("inline_keyboard") or []


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise _bad("请求格式不对。") from None
    if not isinstance(body, dict):
        raise _bad("请求格式不对。")
    return body


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"ok": False, "error": message}, ensure_ascii=False),
        content_type="application/json",
    )
