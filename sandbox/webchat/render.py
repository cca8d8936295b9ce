"""Bot API messages as the web chat shows them: safe HTML from entities, keyboards, files."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sandbox.markup import command_entities
from sandbox.state import SandboxState, StoredFile

# Entity type → (opening tag, closing tag): exactly what Telegram's HTML can express.
_SIMPLE_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="tg-spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote>", "</blockquote>"),
}
_LINK_SCHEMES = {"http", "https", "tg", "mailto"}
_PREVIEWS = {
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".pdf": "pdf",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".gif": "image",
    ".webp": "image",
    ".svg": "image",
}


def _safe_href(url: str) -> str | None:
    """The link if its scheme is one Telegram follows, else None (javascript: and the like)."""
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in _LINK_SCHEMES else None


def _tags(entity: dict[str, Any], covered: str) -> tuple[str, str]:
    """The tags wrapping one entity; unknown kinds (mention, hashtag...) stay plain text."""
    kind = entity.get("type")
    if kind in _SIMPLE_TAGS:
        return _SIMPLE_TAGS[kind]
    if kind in ("text_link", "url"):
        href = _safe_href(entity.get("url") or covered if kind == "text_link" else covered)
        if href:
            quoted = html.escape(href, quote=True)
            return f'<a href="{quoted}" target="_blank" rel="noopener noreferrer">', "</a>"
    if kind == "bot_command":
        return f'<span class="cmd" data-command="{html.escape(covered, quote=True)}">', "</span>"
    return "", ""


def entities_to_html(text: str, entities: list[dict[str, Any]] | None) -> str:
    """Text with its entities as HTML; every character of text is escaped."""
    units = text.encode("utf-16-le")

    def piece(start: int, end: int) -> str:
        return units[start * 2 : end * 2].decode("utf-16-le", errors="replace")

    ordered = sorted(entities or [], key=lambda e: (e["offset"], -e["length"]))
    boundaries = {0, len(units) // 2}
    for entity in ordered:
        boundaries.update((entity["offset"], entity["offset"] + entity["length"]))
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (end offset, closing tag)
    points = sorted(b for b in boundaries if 0 <= b <= len(units) // 2)
    for position, following in zip(points, [*points[1:], None], strict=True):
        while stack and stack[-1][0] <= position:
            out.append(stack.pop()[1])
        for entity in ordered:
            if entity["offset"] != position:
                continue
            end = entity["offset"] + entity["length"]
            # Entities from Telegram nest; one that would overlap its parent is clipped.
            end = min(end, stack[-1][0]) if stack else end
            opening, closing = _tags(entity, piece(position, end))
            out.append(opening)
            stack.append((end, closing))
        if following is not None:
            out.append(html.escape(piece(position, following)).replace("\n", "<br>"))
    while stack:
        out.append(stack.pop()[1])
    return "".join(out)


def _keyboard(message: dict[str, Any]) -> list[list[dict[str, str]]]:
    """Inline keyboard rows as the page draws them."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    drawn = []
    for row in rows:
        buttons = []
        for button in row:
            shown = {"text": str(button.get("text", ""))}
            if "callback_data" in button:
                shown["data"] = str(button["callback_data"])
            elif button.get("url") and _safe_href(str(button["url"])):
                shown["url"] = str(button["url"])
            buttons.append(shown)
        drawn.append(buttons)
    return drawn


def preview_kind(name: str) -> str | None:
    """How the page previews a file with this name: docx, xlsx, pdf, image or not at all."""
    suffix = "." + name.rsplit(".", 1)[1].lower() if "." in name else ""
    return _PREVIEWS.get(suffix)


def sniffed_mime(stored: StoredFile) -> str:
    """The stored type, or image/png or image/jpeg when the bytes say so (bare-bytes photos)."""
    declared = stored.mime_type or "application/octet-stream"
    if declared.startswith("image/"):
        return declared
    if stored.data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if stored.data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return declared


def _file(state: SandboxState, file_id: str, name: str | None) -> dict[str, Any]:
    """A file the page can download and preview."""
    stored = state.files.get(file_id)
    name = name or (stored.file_name if stored else None) or file_id
    return {
        "file_id": file_id,
        "name": name,
        "size": len(stored.data) if stored else 0,
        "mime": sniffed_mime(stored) if stored else "application/octet-stream",
        "url": f"/webchat/files/{file_id}",
        "preview": preview_kind(name),
    }


def message_view(
    state: SandboxState, message: dict[str, Any], *, shift: Callable[[int], int] | None = None
) -> dict[str, Any]:
    """One message for the page: who, when (on the bot's clock), safe HTML, keyboard, files."""
    sender = message.get("from") or {}
    moved = shift or (lambda timestamp: timestamp)
    view: dict[str, Any] = {
        "id": message["message_id"],
        "chat_id": message["chat"]["id"],
        "from_bot": bool(sender.get("is_bot")),
        "date": moved(message.get("edit_date") or message.get("date")),
        "sent": moved(message.get("date")),
        "edited": bool(message.get("edit_date")),
        "keyboard": _keyboard(message),
    }
    if "text" in message:
        entities = list(message.get("entities") or [])
        if sender.get("is_bot"):
            entities += _loose_commands(message["text"], entities)
        view["html"] = entities_to_html(message["text"], entities)
    elif message.get("caption"):
        view["html"] = entities_to_html(message["caption"], message.get("caption_entities"))
    if "document" in message:
        document = message["document"]
        view["document"] = _file(state, document["file_id"], document.get("file_name"))
    if message.get("photo"):
        largest = message["photo"][-1]
        stored = state.files.get(largest["file_id"])
        kind = sniffed_mime(stored).split("/")[-1] if stored else "jpeg"
        view["photo"] = _file(state, largest["file_id"], f"photo.{kind}")
        if message.get("media_group_id"):
            view["album"] = str(message["media_group_id"])
    if "sticker" in message:
        view["html"] = html.escape(message["sticker"].get("emoji") or "🖼")
    if "voice" in message:
        view["html"] = f"🎤 {int(message['voice'].get('duration', 0))}s"
    if message.get("reply_to_message"):
        view["reply_to"] = message["reply_to_message"]["message_id"]
    return view


def _loose_commands(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """/commands in a bot's text that Telegram's apps make tappable (outside other links)."""
    taken = [
        (e["offset"], e["offset"] + e["length"])
        for e in entities
        if e.get("type") in ("text_link", "url", "code", "pre", "bot_command")
    ]
    return [
        found
        for found in command_entities(text)
        if not any(
            start < found["offset"] + found["length"] and found["offset"] < end
            for start, end in taken
        )
    ]


def event_payload(
    state: SandboxState, user_id: int, event: Any, *, shift: Callable[[int], int]
) -> dict[str, Any]:
    """One chat event as the page applies it."""
    if event.kind in ("message", "edit") and event.message is not None:
        # The snapshot in the event may predate a later edit; the page shows the latest.
        current = state.chats[user_id].messages.get(event.message["message_id"], event.message)
        return {
            "type": event.kind,
            "chat_id": user_id,
            "message": message_view(state, current, shift=shift),
        }
    if event.kind == "delete" and event.message is not None:
        return {"type": "delete", "chat_id": user_id, "message_id": event.message["message_id"]}
    if event.kind == "answer":
        answer = event.detail.get("answer") or {}
        return {
            "type": "answer",
            "chat_id": user_id,
            "text": str(answer.get("text") or ""),
            "alert": bool(answer.get("show_alert")),
        }
    return {"type": "action", "chat_id": user_id, "action": event.detail.get("action", "")}


def commands_for(state: SandboxState, user_id: int, language: str) -> list[dict[str, str]]:
    """The command menu Telegram would show this user: the narrowest scope the bot set."""
    scopes = (
        {"type": "chat", "chat_id": user_id},
        {"type": "all_private_chats"},
        {"type": "default"},
    )
    for scope in scopes:
        key = json.dumps(scope, sort_keys=True)
        for lang in (language, language.split("-")[0], ""):
            found = state.commands.get((key, lang))
            if found:
                return [dict(command) for command in found]
    return []
