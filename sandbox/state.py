"""In-memory world of the sandbox: chats, messages, files, the update queue and call records."""

from __future__ import annotations

import asyncio
import copy
import itertools
import mimetypes
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.validate import bad_request

DEFAULT_LANGUAGE = "zh-hans"
CHAT_NOT_FOUND = "chat not found"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})  # webhooks the sandbox can reach


class Notifier:
    """Wakes every waiter when something changes (a one-shot event that re-arms itself)."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        """Release everyone currently waiting."""
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, seconds: float) -> None:
        """Sleep until notify() or timeout; callers re-check their condition afterwards."""
        if self._event is None:
            self._event = asyncio.Event()
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), max(seconds, 0))
        except TimeoutError:
            pass


@dataclass
class ApiCall:
    """One request the bot made: method, decoded params, arrival time and the answer status."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    description: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the sandbox answered ok=true."""
        return self.status == 200


@dataclass
class WebhookDelivery:
    """One POST of an update to the bot's webhook: the bot's status (0: no answer)."""

    update_id: int
    status: int
    time: float
    lost: bool = False  # the answer was dropped on the way (injected), so it is sent again

    @property
    def ok(self) -> bool:
        """Whether the bot accepted it (any 2xx), so Telegram forgets the update."""
        return 200 <= self.status < 300


@dataclass
class StoredFile:
    """A file known to the sandbox, uploaded by the bot or sent by a user."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class ChatEvent:
    """One entry of a chat's append-only log, read by scripted users through a cursor."""

    kind: str  # "message", "edit", "delete", "action", "answer", "press" or "note"
    message: dict[str, Any] | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Chat:
    """A private chat between the bot and one sandbox user."""

    user: dict[str, Any]
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    blocked: bool = False
    changed: Notifier = field(default_factory=Notifier)
    group: dict[str, Any] | None = None  # set for a group chat; `user` is then the member typing

    @property
    def id(self) -> int:
        """Private chats share the user's id; a group has its own (negative) id."""
        return int(self.group["id"]) if self.group else int(self.user["id"])

    @property
    def chat(self) -> dict[str, Any]:
        """The Chat object Telegram embeds in messages."""
        if self.group:
            return dict(self.group)
        chat: dict[str, Any] = {"id": self.id, "type": "private"}
        chat["first_name"] = self.user["first_name"]
        if self.user.get("username"):
            chat["username"] = self.user["username"]
        return chat

    def log(self, kind: str, message: dict[str, Any] | None, **detail: Any) -> None:
        """Append to the event log (with a snapshot) and wake waiting users."""
        self.events.append(ChatEvent(kind, copy.deepcopy(message), detail))
        self.changed.notify()


class UpdateQueue:
    """Telegram's per-bot update queue: ids, confirmation by offset, allowed_updates, waiters."""

    def __init__(self, first_id: int = 100001) -> None:
        self.pending: list[dict[str, Any]] = []
        self.next_id = first_id
        self.allowed: set[str] | None = None
        self.generation = 0
        self.changed = Notifier()

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update and wake a waiting getUpdates."""
        update = {"update_id": self.next_id, kind: payload}
        self.next_id += 1
        self.pending.append(update)
        self.changed.notify()
        return update

    def confirm(self, offset: int | None) -> None:
        """Forget updates below offset; a negative offset keeps only the last -offset ones."""
        if not offset:
            return
        if offset < 0:
            self.pending = self.pending[offset:]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def take(self, limit: int) -> list[dict[str, Any]]:
        """Up to limit deliverable updates; filtered-out kinds are dropped for good."""
        if self.allowed:
            self.pending = [u for u in self.pending if _update_kind(u) in self.allowed]
        return copy.deepcopy(self.pending[:limit])

    def clear(self) -> None:
        """Drop everything pending (deleteWebhook with drop_pending_updates)."""
        self.pending.clear()


def _update_kind(update: dict[str, Any]) -> str:
    """'message', 'callback_query', ... — the one key besides update_id."""
    return next(key for key in update if key != "update_id")


class SandboxState:
    """Everything the fake Bot API knows; methods and scripted users both work on this."""

    def __init__(self, *, token: str, bot_username: str, bot_name: str) -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.chats: dict[int, Chat] = {}
        self.updates = UpdateQueue()
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.settings: dict[str, Any] = {}
        self.webhook: dict[str, Any] | None = None
        self.webhook_secret: str | None = None  # sent with every push, never shown in info
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhook_delivered = Notifier()
        self.callback_queries: dict[str, tuple[float, int]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.calls: list[ApiCall] = []
        self.downloads: list[str] = []
        self.stopping = False
        self.strict_html_entities = True
        self.callback_query_ttl = 15.0
        self._ids = itertools.count(1)

    def next_serial(self) -> int:
        """A sandbox-wide counter for file and query ids."""
        return next(self._ids)

    # --- chats and messages -------------------------------------------------------------

    def add_chat(self, user_id: int, first_name: str, username: str | None, language: str) -> Chat:
        """Register a user; their private chat with the bot exists from now on."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        user["language_code"] = language
        chat = Chat(user=user)
        self.chats[user_id] = chat
        return chat

    def add_group(self, group_id: int, title: str, member: dict[str, Any]) -> Chat:
        """A group chat the bot is in, where `member` types (negative ids, like Telegram's)."""
        chat = Chat(user=dict(member), group={"id": group_id, "type": "supergroup", "title": title})
        self.chats[group_id] = chat
        return chat

    def chat_for(self, params: dict[str, Any]) -> Chat:
        """The chat named by chat_id, or Telegram's 'chat not found'."""
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        return chat

    def new_message(self, chat: Chat, sender: dict[str, Any], **content: Any) -> dict[str, Any]:
        """Create, store and log a message; content holds text, document, reply_markup..."""
        message = {
            "message_id": chat.next_message_id,
            "from": dict(sender),
            "chat": chat.chat,
            "date": int(time.time()),
        }
        message.update({key: value for key, value in content.items() if value not in (None, [])})
        chat.next_message_id += 1
        chat.messages[message["message_id"]] = message
        chat.log("message", message)
        return message

    def find_message(self, chat: Chat, params: dict[str, Any], missing: str) -> dict[str, Any]:
        """The message named by message_id in chat, or 400 with the given reason."""
        message_id = params.get("message_id")
        if message_id is None or message_id == "":
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(message_id) if isinstance(message_id, int) else None
        if message is None:
            raise bad_request(missing)
        return message

    # --- files --------------------------------------------------------------------------

    def store_file(
        self, data: bytes, *, folder: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Keep bytes under a fresh file_id and file_path."""
        serial = self.next_serial()
        extension = _extension(file_name, mime_type)
        stored = StoredFile(
            file_id=f"SBX{folder[:3].upper()}{serial:08d}{self.bot_user['id']}",
            file_unique_id=f"U{serial:08d}",
            file_path=f"{folder}/file_{serial}{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        """Look a file up by the file_path getFile handed out."""
        return next((f for f in self.files.values() if f.file_path == path), None)

    # --- users acting ------------------------------------------------------------------

    def user_message(self, chat: Chat, **content: Any) -> dict[str, Any]:
        """A message from the human user; queued as a 'message' update for the bot."""
        message = self.new_message(chat, chat.user, **content)
        self.updates.push("message", copy.deepcopy(message))
        return message

    def user_edit(self, chat: Chat, message_id: int, text: str) -> dict[str, Any]:
        """The user edits one of their messages: queued as an 'edited_message' update."""
        message = chat.messages[message_id]
        message["text"] = text
        message["edit_date"] = int(time.time())
        chat.log("edit", message)
        self.updates.push("edited_message", copy.deepcopy(message))
        return message

    def user_callback(self, chat: Chat, message: dict[str, Any], data: str) -> dict[str, Any]:
        """The user pressed an inline button: queue a callback_query update."""
        query_id = str(4_300_000_000_000_000_000 + self.next_serial())
        query = {
            "id": query_id,
            "from": dict(chat.user),
            "message": copy.deepcopy(message),
            "chat_instance": str(-(abs(chat.id) * 31 + 7)),
            "data": data,
        }
        deadline = asyncio.get_running_loop().time() + self.callback_query_ttl
        self.callback_queries[query_id] = (deadline, chat.id)
        self.updates.push("callback_query", copy.deepcopy(query))
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        pressed = next((b for row in rows for b in row if b.get("callback_data") == data), None)
        label = pressed.get("text") if pressed else data
        chat.log("press", None, message_id=message.get("message_id"), label=label)
        return query

    def answer_callback(self, query_id: str, answer: dict[str, Any]) -> None:
        """Record answerCallbackQuery; a query can be answered once, before it expires."""
        entry = self.callback_queries.pop(query_id, None)
        if entry is None or entry[0] < asyncio.get_running_loop().time():
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.callback_answers[query_id] = answer
        self.chats[entry[1]].log("answer", None, query_id=query_id, answer=answer)


def _extension(file_name: str | None, mime_type: str | None) -> str:
    """The suffix Telegram keeps in file_path."""
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1]
    return (mimetypes.guess_extension(mime_type or "") or "") if mime_type else ""
