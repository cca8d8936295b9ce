"""BotApiSandbox: a local aiohttp server speaking the Telegram Bot API as PTB uses it."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from sandbox.client import SandboxUser
from sandbox.faults import FaultPlan, FloodControl, planned_failure
from sandbox.methods import METHODS_BY_LOWER, SEND_METHODS
from sandbox.state import DEFAULT_LANGUAGE, ApiCall, SandboxState, WebhookDelivery
from sandbox.validate import ApiError, Upload, coerce_params
from sandbox.webhook import WebhookPusher

_LOGGER = logging.getLogger(__name__)
DEFAULT_TOKEN = "123456:TEST-TOKEN"
DEFAULT_BOT_USERNAME = "perfbot_test_bot"
CLIENT_GONE = 499  # nginx's "client closed request"; never sent, only recorded
MAX_REQUEST_BYTES = 60 * 1024 * 1024  # Telegram accepts 50 MB uploads; leave room for the form


class BotApiSandbox:
    """A fake Telegram Bot API on 127.0.0.1 with scripted users and fault injection."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_name: str = "Perfbot Test",
        host: str = "127.0.0.1",
        port: int = 0,
        strict_html_entities: bool = True,
        callback_query_ttl: float = 15.0,
    ) -> None:
        self.state = SandboxState(token=token, bot_username=bot_username, bot_name=bot_name)
        self.state.strict_html_entities = strict_html_entities
        self.state.callback_query_ttl = callback_query_ttl
        self.faults = FaultPlan()
        self.pusher = WebhookPusher(self.state)
        self.flood: FloodControl | None = None
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._users: dict[int, SandboxUser] = {}
        # Extra pages served next to the Bot API (e.g. the web chat); each adds its routes.
        self.web_extensions: list[Callable[[web.Application], None]] = []

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the server to an (ephemeral) port and start answering."""
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        for extension in self.web_extensions:
            extension(app)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self.state.stopping = False
        # Short shutdown: waiting long polls are woken by stop(), nothing else lingers.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._port = self._bound_port()
        self.pusher.start()

    def _bound_port(self) -> int:
        """The port the OS picked when port=0."""
        assert self._runner is not None
        for address in self._runner.addresses:
            if isinstance(address, tuple):
                return int(address[1])
        raise RuntimeError("sandbox server has no TCP address")

    async def stop(self) -> None:
        """Release waiting long polls and close the server."""
        self.state.stopping = True
        self.state.updates.changed.notify()
        await self.pusher.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiSandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- addresses ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder.base_url (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ApplicationBuilder.base_file_url (PTB appends the token)."""
        return f"{self.url}/file/bot"

    @property
    def token(self) -> str:
        """The one token the sandbox accepts."""
        return self.state.token

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's User object (id, is_bot, first_name, username)."""
        return dict(self.state.bot_user)

    # --- users ----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        *,
        language_code: str = DEFAULT_LANGUAGE,
    ) -> SandboxUser:
        """Create a human user whose private chat with the bot now exists."""
        if user_id in self._users:
            raise ValueError(f"user {user_id} already exists in the sandbox")
        chat = self.state.add_chat(user_id, first_name, username, language_code)
        self._users[user_id] = SandboxUser(self.state, chat)
        return self._users[user_id]

    def add_group_member(self, group_id: int, title: str, user_id: int) -> SandboxUser:
        """The user (added earlier) typing in a group chat the bot is a member of."""
        member = self.user(user_id)
        chat = self.state.add_group(group_id, title, self.state.chats[member.id].user)
        return SandboxUser(self.state, chat)

    def note(self, text: str) -> None:
        """Write a line into every chat's log (a transcript shows it where it happened)."""
        for chat in self.state.chats.values():
            chat.log("note", None, text=text)

    def user(self, user_id: int) -> SandboxUser:
        """The scripted user added earlier with this id."""
        try:
            return self._users[user_id]
        except KeyError:
            raise KeyError(f"no sandbox user {user_id}; call add_user() first") from None

    @property
    def users(self) -> list[SandboxUser]:
        """All scripted users in creation order."""
        return list(self._users.values())

    # --- fault injection ------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of method ('*' = any) with this error."""
        self.faults.add_failure(method, planned_failure(status, description, retry_after, times))

    def block_user(self, user_id: int) -> None:
        """The user blocks the bot: sends to them answer 403 until unblocked."""
        self.state.chats[user_id].blocked = True

    def unblock_user(self, user_id: int) -> None:
        """The user unblocks the bot."""
        self.state.chats[user_id].blocked = False

    def lose_webhook_answers(self, times: int = 1) -> None:
        """The bot's next `times` 2xx answers to webhook pushes are lost: sent again."""
        self.pusher.answers_to_lose += times

    def set_delay(self, method: str, seconds: float) -> None:
        """Answer method ('*' = any) only after seconds; 0 removes the delay."""
        self.faults.set_delay(method, seconds)

    def enforce_limits(
        self,
        per_chat_per_second: float = 1.0,
        global_per_second: float = 30.0,
        *,
        per_chat_burst: int | None = None,
        global_burst: int | None = None,
    ) -> None:
        """Turn on Telegram-like flood control for send/edit methods (token buckets)."""
        self.flood = FloodControl(
            per_chat_per_second, global_per_second, per_chat_burst, global_burst
        )

    def disable_limits(self) -> None:
        """Turn flood control off again."""
        self.flood = None

    @property
    def flood_429_count(self) -> int:
        """How many 429s flood control has answered."""
        return self.flood.hits if self.flood else 0

    # --- inspection -----------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every Bot API request so far, in arrival order."""
        return self.state.calls

    def calls_to(self, method: str) -> list[ApiCall]:
        """Recorded calls of one method (case-insensitive)."""
        return [call for call in self.state.calls if call.method.lower() == method.lower()]

    def clear_calls(self) -> None:
        """Forget recorded calls (e.g. after a test's setup phase)."""
        self.state.calls.clear()

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates the bot has not confirmed yet."""
        return list(self.state.updates.pending)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """Commands the bot set for a scope (default scope if None) and language."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return list(self.state.commands.get(key, []))

    @property
    def webhook(self) -> dict[str, Any] | None:
        """The stored webhook settings, or None while polling."""
        return self.state.webhook

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every push to the webhook so far, with the bot's answer."""
        return list(self.state.webhook_deliveries)

    async def wait_for_delivery(self, update_id: int, *, timeout: float = 15.0) -> WebhookDelivery:
        """The first push of `update_id` the bot accepted (2xx); TimeoutError if none comes."""
        return await self.pusher.wait_for(update_id, timeout=timeout)

    # --- HTTP -----------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        """Run one Bot API method with faults, flood control and call recording."""
        method = request.match_info["method"]
        call = ApiCall(method=method, params={}, time=time.time())
        self.state.calls.append(call)
        try:
            raw, uploads = await _read_params(request)
            call.params = _record_params(raw, uploads)
            result = await self._dispatch(request.match_info["token"], method, raw, uploads)
        except ApiError as error:
            call.status, call.description = error.status, error.description
            _note_gone_client(request, call)
            return web.json_response(error.payload(), status=error.status)
        except Exception as exc:
            # A sandbox bug must not look like a Telegram answer: log it and say so in the call.
            _LOGGER.exception("sandbox failed on %s", method)
            error = ApiError(500, f"Internal Server Error: sandbox bug: {exc!r}")
            call.status, call.description = error.status, error.description
            return web.json_response(error.payload(), status=error.status)
        _note_gone_client(request, call)
        return web.json_response({"ok": True, "result": result})

    async def _dispatch(
        self, token: str, method: str, raw: dict[str, Any], uploads: dict[str, Upload]
    ) -> Any:
        """Check token and method, apply faults, then call the implementation."""
        if token != self.state.token:
            raise ApiError(401, "Unauthorized")
        handler = METHODS_BY_LOWER.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found")
        params = coerce_params(raw)
        await self._sleep(self.faults.delay_for(method))
        failure = self.faults.take_failure(method)
        if failure is not None:
            raise failure
        self._check_blocked_and_flood(method, params)
        result = handler(self.state, params, uploads)
        return await result if inspect.isawaitable(result) else result

    async def _sleep(self, seconds: float) -> None:
        """An injected delay that stop() cuts short."""
        if seconds <= 0:
            return
        deadline = asyncio.get_running_loop().time() + seconds
        while not self.state.stopping:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            await asyncio.sleep(min(remaining, 0.05))

    def _check_blocked_and_flood(self, method: str, params: dict[str, Any]) -> None:
        """403 for blocked users, 429 when the bot sends faster than allowed."""
        lowered = method.lower()
        if not (lowered in SEND_METHODS or lowered == "sendchataction"):
            return
        chat = self.state.chats.get(params.get("chat_id"))  # type: ignore[arg-type]
        if chat is not None and chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if self.flood is not None and lowered in SEND_METHODS:
            self.flood.check(params.get("chat_id"), asyncio.get_running_loop().time())

    async def _handle_file(self, request: web.Request) -> web.Response:
        """Serve bytes for GET /file/bot<token>/<file_path>."""
        stored = self.state.file_by_path(request.match_info["path"])
        if request.match_info["token"] != self.state.token or stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        self.state.downloads.append(stored.file_path)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        """Anything else: Telegram's JSON 404."""
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Merge query string with a JSON, urlencoded or multipart body."""
    params: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if not request.body_exists:
        return params, uploads
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse JSON object") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: JSON object expected")
        params.update(body)
        return params, uploads
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, FileField):
            uploads[name] = Upload(value.filename, value.content_type, value.file.read())
        else:
            params[name] = value
    return params, uploads


def _describe(upload: Upload) -> dict[str, Any]:
    """How an upload appears in recorded call params (bytes left out)."""
    return {
        "filename": upload.filename,
        "content_type": upload.content_type,
        "size": len(upload.data),
    }


def _note_gone_client(request: web.Request, call: ApiCall) -> None:
    """Record 499 when nobody is left to read the answer (e.g. a cancelled long poll)."""
    if request.transport is None or request.transport.is_closing():
        call.status, call.description = (
            CLIENT_GONE,
            "client closed the connection before the answer",
        )


def _record_params(raw: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
    """Params as recorded for assertions: typed when they decode, uploads summarised."""
    try:
        params = coerce_params(raw)
    except ApiError:
        params = dict(raw)
    params.update({name: _describe(upload) for name, upload in uploads.items()})
    return params
