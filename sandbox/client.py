"""Scripted human users of the sandbox and a readable transcript of their chats."""

from __future__ import annotations

import asyncio
import copy
import mimetypes
from collections.abc import Callable, Iterable
from typing import Any

from sandbox.markup import command_entities
from sandbox.state import Chat, SandboxState, StoredFile

Message = dict[str, Any]
Predicate = Callable[[Message], bool]
_STICKER_BYTES = b"RIFF\x00\x00\x00\x00WEBPVP8 sandbox-sticker"
_PHOTO_BYTES = b"\xff\xd8\xff\xe0sandbox-photo\xff\xd9"
_VOICE_BYTES = b"OggS\x00sandbox-voice"


class ButtonNotFoundError(LookupError):
    """The button to press is not on the message's current keyboard."""


class SandboxUser:
    """A human in a private chat with the bot: sends messages, presses buttons, reads replies."""

    def __init__(self, state: SandboxState, chat: Chat) -> None:
        self._state = state
        self._chat = chat
        self._cursor = 0  # index into chat.events of the next event not yet consumed
        self._last_query_id: str | None = None

    # --- identity and chat state ---------------------------------------------------------

    @property
    def id(self) -> int:
        """The user's id (also the private chat's id)."""
        return self._chat.id

    @property
    def chat_id(self) -> int:
        """The private chat's id."""
        return self._chat.id

    @property
    def first_name(self) -> str:
        """Display name."""
        return str(self._chat.user["first_name"])

    @property
    def username(self) -> str | None:
        """@username without the @, if any."""
        return self._chat.user.get("username")

    @property
    def messages(self) -> list[Message]:
        """Current chat contents: edits applied in place, deleted messages gone."""
        return [copy.deepcopy(m) for _, m in sorted(self._chat.messages.items())]

    @property
    def bot_messages(self) -> list[Message]:
        """Current bot messages of the chat."""
        return [m for m in self.messages if m["from"].get("is_bot")]

    @property
    def last_bot_message(self) -> Message | None:
        """The newest bot message still in the chat."""
        bot_messages = self.bot_messages
        return bot_messages[-1] if bot_messages else None

    @property
    def keyboard(self) -> dict[str, Any] | None:
        """The reply keyboard the bot last showed (None if removed or never shown)."""
        return copy.deepcopy(self._chat.reply_keyboard)

    @property
    def chat_actions(self) -> list[str]:
        """Every chat action ('typing', 'upload_document'...) the bot sent, in order."""
        return [e.detail["action"] for e in self._chat.events if e.kind == "action"]

    @property
    def callback_answers(self) -> dict[str, dict[str, Any]]:
        """Answers to this user's button presses, by query id."""
        queries = {e.detail["query_id"] for e in self._chat.events if e.kind == "answer"}
        return {q: dict(self._state.callback_answers[q]) for q in sorted(queries)}

    # --- sending -------------------------------------------------------------------------

    async def send_text(self, text: str) -> Message:
        """Type a message; '/commands' get bot_command entities like in Telegram."""
        message = self._state.user_message(self._chat, text=text, entities=command_entities(text))
        await asyncio.sleep(0)
        return copy.deepcopy(message)

    async def edit_text(self, message_id: int, text: str) -> Message:
        """Edit a message the user sent earlier (Telegram sends an edited_message update)."""
        message = self._state.user_edit(self._chat, message_id, text)
        await asyncio.sleep(0)
        return copy.deepcopy(message)

    async def send_sticker(self, emoji: str = "👍") -> Message:
        """Send a sticker (for testing how the bot treats unexpected input)."""
        stored = self._store(_STICKER_BYTES, "stickers", None, "image/webp")
        sticker = {
            **_file_fields(stored.file_id, stored.file_unique_id, len(stored.data)),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return await self._send(sticker=sticker)

    async def send_photo(self, data: bytes = _PHOTO_BYTES, caption: str | None = None) -> Message:
        """Send a photo (two sizes, like Telegram's thumbnails + original)."""
        sizes = []
        for side in (90, 800):
            stored = self._store(data, "photos", None, "image/jpeg")
            fields = _file_fields(stored.file_id, stored.file_unique_id, len(data))
            sizes.append({**fields, "width": side, "height": side})
        return await self._send(photo=sizes, caption=caption)

    async def send_voice(self, duration: int = 3, data: bytes = _VOICE_BYTES) -> Message:
        """Send a voice note."""
        stored = self._store(data, "voice", None, "audio/ogg")
        voice = {
            **_file_fields(stored.file_id, stored.file_unique_id, len(data)),
            "duration": duration,
            "mime_type": "audio/ogg",
        }
        return await self._send(voice=voice)

    async def send_document(
        self,
        name: str,
        data: bytes,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> Message:
        """Send a file; the bot can getFile and download exactly these bytes."""
        stored = self._store(data, "documents", name, mime_type)
        document = {
            "file_name": name,
            **_file_fields(stored.file_id, stored.file_unique_id, len(data)),
        }
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return await self._send(document=document, caption=caption)

    def _store(self, data: bytes, folder: str, name: str | None, mime: str | None) -> StoredFile:
        """Keep a user file in the sandbox's file store."""
        mime = mime or (mimetypes.guess_type(name)[0] if name else None)
        return self._state.store_file(data, folder=folder, file_name=name, mime_type=mime)

    async def _send(self, **content: Any) -> Message:
        """Post a non-text message from the user."""
        message = self._state.user_message(self._chat, **content)
        await asyncio.sleep(0)
        return copy.deepcopy(message)

    # --- buttons -------------------------------------------------------------------------

    async def press(self, message: Message | int, button: str) -> Message:
        """Press a button (by text, else callback_data) on the message's CURRENT keyboard.

        Returns the callback_query sent to the bot; for a reply-keyboard button, the text
        message the press sends.
        """
        current = self._current(message)
        rows = (current.get("reply_markup") or {}).get("inline_keyboard") or []
        buttons = [b for row in rows for b in row]
        target = next((b for b in buttons if b.get("text") == button), None)
        target = target or next((b for b in buttons if b.get("callback_data") == button), None)
        if target is None:
            if button in _reply_keyboard_texts(self._chat.reply_keyboard):
                return await self.send_text(button)
            shown = ", ".join(f"[{b.get('text')}]" for b in buttons) or "no inline buttons"
            raise ButtonNotFoundError(
                f"no button {button!r} on message {current['message_id']}; it shows: {shown}"
            )
        if "callback_data" not in target:
            raise ButtonNotFoundError(f"button {button!r} is not a callback button: {target}")
        return await self.press_data(current["message_id"], target["callback_data"])

    async def press_data(self, message_id: int, data: str) -> Message:
        """Send a callback_query with any data from a message (stale or forged presses)."""
        current = self._current(message_id)
        query = self._state.user_callback(self._chat, current, data)
        self._last_query_id = query["id"]
        await asyncio.sleep(0)
        return copy.deepcopy(query)

    def _current(self, message: Message | int) -> Message:
        """The message as it is now in the chat."""
        message_id = message if isinstance(message, int) else int(message["message_id"])
        current = self._chat.messages.get(message_id)
        if current is None:
            raise LookupError(f"message {message_id} is not in chat {self.id} (deleted?)")
        return current

    # --- waiting -------------------------------------------------------------------------

    async def wait_for_message(
        self,
        predicate: Predicate | None = None,
        timeout: float = 10.0,
        *,
        include_edits: bool = True,
    ) -> Message:
        """The next bot message (or edit) after the last one consumed; skips non-matches."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self._next_bot_event(predicate, include_edits)
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"no bot message for user {self.id} within {timeout}s; recent chat:\n"
                    + transcript(self.messages[-10:])
                )
            await self._chat.changed.wait(remaining)

    def _next_bot_event(self, predicate: Predicate | None, include_edits: bool) -> Message | None:
        """Advance the cursor to the next matching bot message or edit, if there is one."""
        events = self._chat.events
        while self._cursor < len(events):
            event = events[self._cursor]
            self._cursor += 1
            message = event.message
            if message is None or not message["from"].get("is_bot"):
                continue
            if event.kind == "message" or (include_edits and event.kind == "edit"):
                if predicate is None or predicate(message):
                    return copy.deepcopy(message)
        return None

    async def wait_for_callback_answer(
        self,
        query_id: str | None = None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """The bot's answerCallbackQuery for a press (default: this user's last press)."""
        query_id = query_id or self._last_query_id
        if query_id is None:
            raise ValueError("no button was pressed yet")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while query_id not in self._state.callback_answers:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"callback query {query_id} not answered within {timeout}s")
            await self._chat.changed.wait(remaining)
        return dict(self._state.callback_answers[query_id])

    def skip_pending(self) -> None:
        """Mark everything so far as read, so waits see only what comes next."""
        self._cursor = len(self._chat.events)

    # --- files and rendering -------------------------------------------------------------

    def download(self, message: Message) -> bytes:
        """Bytes of a document the bot sent (or the user sent)."""
        file_id = (message.get("document") or {}).get("file_id")
        if file_id is None or file_id not in self._state.files:
            raise LookupError(f"message {message.get('message_id')} carries no known document")
        return self._state.files[file_id].data

    def transcript(self, limit: int | None = None) -> str:
        """The chat rendered for humans (last `limit` messages)."""
        messages = self.messages
        return transcript(messages[-limit:] if limit else messages)

    def story(self) -> str:
        """The chat in the order things happened: each message as it is now (edits applied),
        each button press as the person's action ("👆 通过"), and notes such as a restart."""
        lines = []
        name = str(self._chat.user.get("first_name", "?"))
        for event in self._chat.events:
            if event.kind == "message" and event.message is not None:
                current = self._chat.messages.get(int(event.message["message_id"]))
                if current is not None:  # deleted messages are gone from the chat
                    lines.append(render_message(current))
            elif event.kind == "press":
                lines.append(f"👤 {name}: 👆 {event.detail.get('label')}")
            elif event.kind == "note":
                lines.append(f"—— {event.detail.get('text')} ——")
        while lines and lines[-1].startswith("—— "):  # a note after the chat ended says nothing
            lines.pop()
        return "\n".join(lines)


def _file_fields(file_id: str, unique_id: str, size: int) -> dict[str, Any]:
    """The id/size fields every Telegram file object has."""
    return {"file_id": file_id, "file_unique_id": unique_id, "file_size": size}


def _reply_keyboard_texts(markup: dict[str, Any] | None) -> list[str]:
    """Button labels of a reply keyboard."""
    rows = (markup or {}).get("keyboard") or []
    return [b if isinstance(b, str) else str(b.get("text")) for row in rows for b in row]


def transcript(source: SandboxUser | Iterable[Message]) -> str:
    """Render messages as 'who: what' lines, buttons as [text], documents as 📎 name."""
    messages = source.messages if isinstance(source, SandboxUser) else list(source)
    return "\n".join(render_message(m) for m in messages)


def render_message(message: Message) -> str:
    """One message as readable text, with its keyboard below."""
    sender = message.get("from") or {}
    who = ("🤖 " if sender.get("is_bot") else "👤 ") + str(sender.get("first_name", "?"))
    edited = " (edited)" if message.get("edit_date") else ""
    body = _body(message).replace("\n", "\n    ")
    lines = [f"{who}: {body}{edited}"]
    for row in (message.get("reply_markup") or {}).get("inline_keyboard") or []:
        lines.append("    " + " ".join(_button_label(button) for button in row))
    return "\n".join(lines)


def _body(message: Message) -> str:
    """The visible content of a message."""
    if "text" in message:
        return str(message["text"])
    caption = f" — {message['caption']}" if message.get("caption") else ""
    if "document" in message:
        document = message["document"]
        size = document.get("file_size")
        size_note = f" ({_human_size(size)})" if size is not None else ""
        return f"📎 {document.get('file_name', 'file')}{size_note}{caption}"
    if "sticker" in message:
        return f"[sticker {message['sticker'].get('emoji', '')}]".replace(" ]", "]")
    if "photo" in message:
        return f"[photo]{caption}"
    if "voice" in message:
        return f"[voice {message['voice'].get('duration', 0)}s]"
    return "[unsupported message]"


def _button_label(button: dict[str, Any]) -> str:
    """[text] for callback buttons, [text ↗] for links."""
    return f"[{button.get('text')} ↗]" if "url" in button else f"[{button.get('text')}]"


def _human_size(size: int) -> str:
    """1536 → '1.5 KB'."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
