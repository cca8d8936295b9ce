"""Photos: sendPhoto and sendMediaGroup, checked like Telegram does (a PNG or JPEG, at most
10 MB, width + height ≤ 10000, an album of 2–10 items), kept as files of the sandbox."""

from __future__ import annotations

import copy
import json
import struct
from typing import Any

from sandbox import validate as v
from sandbox.state import Chat, SandboxState, StoredFile
from sandbox.validate import Upload, bad_request

MAX_PHOTO = 10 * 1024 * 1024
MAX_SIDES = 10000
ALBUM = range(2, 11)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG; Bad Request for anything else."""
    if data.startswith(PNG_SIGNATURE) and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith(b"\xff\xd8"):
        at = 2
        while at + 9 < len(data):
            marker, length = data[at + 1], struct.unpack(">H", data[at + 2 : at + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[at + 5 : at + 9])
                return width, height
            at += 2 + length
    raise bad_request("IMAGE_PROCESS_FAILED")


def _photo_file(state: SandboxState, value: Any, uploads: dict[str, Upload]) -> StoredFile:
    """An uploaded photo (a part, or attach://name) or a file_id the sandbox knows."""
    if isinstance(value, str) and value.startswith("attach://"):
        value = uploads.get(value.removeprefix("attach://"))
    if isinstance(value, Upload):
        if not value.data:
            raise bad_request("file must be non-empty")
        if len(value.data) > MAX_PHOTO:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        width, height = image_size(value.data)
        if width + height > MAX_SIDES:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return state.store_file(
            value.data, folder="photos", file_name=value.filename, mime_type=value.content_type
        )
    if isinstance(value, str) and value in state.files:
        return state.files[value]
    raise bad_request("there is no photo in the request")


def _photo_sizes(stored: StoredFile) -> list[dict[str, Any]]:
    width, height = image_size(stored.data)
    return [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "width": width,
            "height": height,
        }
    ]


def _photo_message(
    state: SandboxState, chat: Chat, stored: StoredFile, params: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    caption, entities = v.caption_text(params, strict_entities=state.strict_html_entities)
    return state.new_message(
        chat,
        state.bot_user,
        photo=_photo_sizes(stored),
        caption=caption or None,
        caption_entities=entities,
        **extra,
    )


def send_photo(state: SandboxState, params: dict[str, Any], uploads: dict[str, Upload]) -> Any:
    """One photo message."""
    chat = state.chat_for(params)
    stored = _photo_file(state, params.get("photo") or uploads.get("photo"), uploads)
    markup = v.reply_markup(params)
    message = _photo_message(state, chat, stored, params, reply_markup=markup)
    return copy.deepcopy(message)


def send_media_group(
    state: SandboxState, params: dict[str, Any], uploads: dict[str, Upload]
) -> list[Any]:
    """An album: 2–10 photos, one message each, sharing a media_group_id."""
    chat = state.chat_for(params)
    media = params.get("media")
    if isinstance(media, str):
        try:
            media = json.loads(media)
        except ValueError as exc:
            raise bad_request("can't parse media JSON object") from exc
    if not isinstance(media, list) or len(media) not in ALBUM:
        raise bad_request("media group must include 2-10 items")
    if any(not isinstance(item, dict) or item.get("type") != "photo" for item in media):
        raise bad_request("can't parse InputMedia: only photos are supported here")
    files = [_photo_file(state, item.get("media"), uploads) for item in media]
    group = str(state.next_serial())
    messages = [
        _photo_message(state, chat, stored, item, media_group_id=group)
        for stored, item in zip(files, media, strict=True)
    ]
    return copy.deepcopy(messages)


def photo_bytes(state: SandboxState, message: dict[str, Any]) -> bytes:
    """The largest size of a photo message the bot sent, as stored."""
    sizes = message.get("photo") or []
    if not sizes or sizes[-1]["file_id"] not in state.files:
        raise LookupError(f"message {message.get('message_id')} carries no known photo")
    return state.files[sizes[-1]["file_id"]].data


METHODS = {"sendPhoto": send_photo, "sendMediaGroup": send_media_group}
