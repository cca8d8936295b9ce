"""The Bot API methods the sandbox implements, as functions over SandboxState."""

from __future__ import annotations

import asyncio
import copy
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from sandbox import media
from sandbox import validate as v
from sandbox.state import LOCAL_HOSTS, Chat, SandboxState, StoredFile
from sandbox.validate import ApiError, Upload, bad_request

Params = dict[str, Any]
Uploads = dict[str, Upload]
Handler = Callable[[SandboxState, Params, Uploads], Any | Awaitable[Any]]

MAX_DOWNLOAD = 20 * 1024 * 1024
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


def get_me(state: SandboxState, params: Params, uploads: Uploads) -> dict[str, Any]:
    """The bot's own User object."""
    return {
        **state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(state: SandboxState, params: Params, uploads: Uploads) -> list[Any]:
    """Long polling: confirm below offset, then wait up to timeout for something to deliver."""
    if state.webhook:
        raise ApiError(409, CONFLICT_WEBHOOK)
    queue = state.updates
    allowed = params.get("allowed_updates")
    if isinstance(allowed, list):
        queue.allowed = set(allowed) or None
    # A newer getUpdates terminates an older waiting one, exactly like Telegram's 409.
    queue.generation += 1
    mine = queue.generation
    queue.changed.notify()
    queue.confirm(params.get("offset"))
    limit = min(max(int(params.get("limit") or 100), 1), 100)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(float(params.get("timeout") or 0), 0.0)
    while True:
        if queue.generation != mine:
            raise ApiError(409, CONFLICT_POLL)
        batch = queue.take(limit)
        remaining = deadline - loop.time()
        if batch or remaining <= 0 or state.stopping:
            return batch
        await queue.changed.wait(remaining)


def send_message(state: SandboxState, params: Params, uploads: Uploads) -> dict[str, Any]:
    """Post a text message from the bot."""
    chat = state.chat_for(params)
    text, entities = v.message_text(params, strict_entities=state.strict_html_entities)
    markup = v.reply_markup(params)
    message = state.new_message(
        chat,
        state.bot_user,
        reply_to_message=_replied(state, chat, params),
        text=text,
        entities=entities,
        reply_markup=_remember_keyboard(chat, markup),
    )
    return copy.deepcopy(message)


def _replied(state: SandboxState, chat: Chat, params: Params) -> dict[str, Any] | None:
    """The message being replied to, checked like Telegram."""
    reply = params.get("reply_parameters")
    message_id = reply.get("message_id") if isinstance(reply, dict) else None
    message_id = message_id or params.get("reply_to_message_id")
    if not message_id:
        return None
    found = chat.messages.get(message_id)
    allow = params.get("allow_sending_without_reply") or (
        isinstance(reply, dict) and reply.get("allow_sending_without_reply")
    )
    if found is None and not allow:
        raise bad_request("message to be replied not found")
    return copy.deepcopy(found) if found else None


def _remember_keyboard(chat: Chat, markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Inline keyboards go on the message; reply keyboards belong to the chat."""
    if markup is None or "inline_keyboard" in markup:
        return markup
    chat.reply_keyboard = markup if "keyboard" in markup else None
    return None


def _inline_only(params: Params) -> dict[str, Any] | None:
    """Edits accept only inline keyboards."""
    markup = v.reply_markup(params)
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def _editable(state: SandboxState, params: Params) -> tuple[Chat, dict[str, Any]]:
    """The bot message an edit method targets."""
    if params.get("inline_message_id"):
        raise bad_request("inline messages are not supported by the sandbox")
    chat = state.chat_for(params)
    message = state.find_message(chat, params, "message to edit not found")
    if not message["from"].get("is_bot"):
        raise bad_request("message can't be edited")
    return chat, message


def _apply_edit(chat: Chat, message: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply changes (None removes a field) unless nothing changes, then log the edit."""
    if all(message.get(key) == (value or None) for key, value in changes.items()):
        raise bad_request(v.NOT_MODIFIED)
    for key, value in changes.items():
        if value:
            message[key] = value
        else:
            message.pop(key, None)
    message["edit_date"] = int(time.time())
    chat.log("edit", message)
    return copy.deepcopy(message)


def edit_message_text(state: SandboxState, params: Params, uploads: Uploads) -> dict[str, Any]:
    """Replace a bot message's text (and markup: omitting it removes the keyboard)."""
    chat, message = _editable(state, params)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    text, entities = v.message_text(params, strict_entities=state.strict_html_entities)
    changes = {"text": text, "entities": entities, "reply_markup": _inline_only(params)}
    return _apply_edit(chat, message, changes)


def edit_message_caption(state: SandboxState, params: Params, uploads: Uploads) -> dict[str, Any]:
    """Replace the caption of a bot media message."""
    chat, message = _editable(state, params)
    if "text" in message:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = v.caption_text(params, strict_entities=state.strict_html_entities)
    changes = {
        "caption": caption,
        "caption_entities": entities,
        "reply_markup": _inline_only(params),
    }
    return _apply_edit(chat, message, changes)


def edit_message_reply_markup(
    state: SandboxState, params: Params, uploads: Uploads
) -> dict[str, Any]:
    """Replace or remove a bot message's inline keyboard."""
    chat, message = _editable(state, params)
    return _apply_edit(chat, message, {"reply_markup": _inline_only(params)})


def delete_message(state: SandboxState, params: Params, uploads: Uploads) -> bool:
    """Remove a message from the chat."""
    chat = state.chat_for(params)
    message = state.find_message(chat, params, "message to delete not found")
    del chat.messages[message["message_id"]]
    chat.log("delete", message)
    return True


def answer_callback_query(state: SandboxState, params: Params, uploads: Uploads) -> bool:
    """Record the answer to a button press."""
    answer = {
        key: params[key]
        for key in ("text", "show_alert", "url", "cache_time")
        if params.get(key) is not None
    }
    state.answer_callback(str(params.get("callback_query_id") or ""), answer)
    return True


def send_document(state: SandboxState, params: Params, uploads: Uploads) -> dict[str, Any]:
    """Store an uploaded (or re-sent) file and post it as a document message."""
    chat = state.chat_for(params)
    stored = _document_file(state, params.get("document"), uploads)
    caption, entities = v.caption_text(params, strict_entities=state.strict_html_entities)
    markup = v.reply_markup(params)
    document = {
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    message = state.new_message(
        chat,
        state.bot_user,
        reply_to_message=_replied(state, chat, params),
        document={key: value for key, value in document.items() if value is not None},
        caption=caption or None,
        caption_entities=entities,
        reply_markup=_remember_keyboard(chat, markup),
    )
    return copy.deepcopy(message)


def _document_file(state: SandboxState, value: Any, uploads: Uploads) -> StoredFile:
    """Resolve the document parameter: an upload, attach://name, or a known file_id."""
    if isinstance(value, str) and value.startswith("attach://"):
        value = uploads.get(value.removeprefix("attach://"))
    if value is None:
        value = uploads.get("document")
    if isinstance(value, Upload):
        if not value.data:
            raise bad_request("file must be non-empty")
        mime = mimetypes.guess_type(value.filename)[0] or value.content_type
        return state.store_file(
            value.data, folder="documents", file_name=value.filename, mime_type=mime
        )
    if not value:
        raise bad_request("there is no document in the request")
    if value in state.files:
        return state.files[value]
    if value.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")
    raise bad_request("wrong file identifier/HTTP URL specified")


def get_file(state: SandboxState, params: Params, uploads: Uploads) -> dict[str, Any]:
    """File metadata with the path for GET /file/bot<token>/<file_path>."""
    stored = state.files.get(str(params.get("file_id") or ""))
    if stored is None:
        raise bad_request("wrong file_id or the file is temporarily unavailable")
    if len(stored.data) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }


def set_my_commands(state: SandboxState, params: Params, uploads: Uploads) -> bool:
    """Store commands for (scope, language_code)."""
    commands = v.bot_commands(params)
    key = v.commands_key(params)
    if commands:
        state.commands[key] = commands
    else:
        state.commands.pop(key, None)
    return True


def get_my_commands(state: SandboxState, params: Params, uploads: Uploads) -> list[Any]:
    """Commands stored for exactly this (scope, language_code); [] when unset."""
    return copy.deepcopy(state.commands.get(v.commands_key(params), []))


def delete_my_commands(state: SandboxState, params: Params, uploads: Uploads) -> bool:
    """Forget commands for (scope, language_code)."""
    state.commands.pop(v.commands_key(params), None)
    return True


WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def set_webhook(state: SandboxState, params: Params, uploads: Uploads) -> bool:
    """Set the webhook the sandbox pushes updates to (BotApiSandbox); an empty url removes it.

    Like Telegram it wants HTTPS; plain HTTP is accepted to this machine only, standing in
    for the reverse proxy that ends TLS in front of the bot.
    """
    url = str(params.get("url") or "")
    if params.get("drop_pending_updates"):
        state.updates.clear()
    if not url:
        state.webhook = state.webhook_secret = None
        return True
    parts = urlsplit(url)
    if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS)):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and not WEBHOOK_SECRET.fullmatch(str(secret)):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    state.webhook = {"url": url, "max_connections": params.get("max_connections") or 40}
    state.webhook_secret = str(secret) if secret is not None else None
    if isinstance(params.get("allowed_updates"), list):
        state.webhook["allowed_updates"] = params["allowed_updates"]
        state.updates.allowed = set(params["allowed_updates"]) or None
    state.updates.changed.notify()  # wake the pusher
    return True


def delete_webhook(state: SandboxState, params: Params, uploads: Uploads) -> bool:
    """Remove the webhook (pushing stops), optionally dropping pending updates."""
    state.webhook = state.webhook_secret = None
    if params.get("drop_pending_updates"):
        state.updates.clear()
    return True


def get_webhook_info(state: SandboxState, params: Params, uploads: Uploads) -> dict[str, Any]:
    """WebhookInfo; url is empty while polling."""
    info = {"url": "", "has_custom_certificate": False}
    info.update(state.webhook or {})
    info["pending_update_count"] = len(state.updates.pending)
    return info


def send_chat_action(state: SandboxState, params: Params, uploads: Uploads) -> bool:
    """Show 'typing…' and friends; scripted users can see them in the chat log."""
    chat = state.chat_for(params)
    action = str(params.get("action") or "")
    if action not in v.CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.log("action", None, action=action)
    return True


def get_chat(state: SandboxState, params: Params, uploads: Uploads) -> dict[str, Any]:
    """ChatFullInfo of a private chat."""
    chat = state.chat_for(params)
    return {**chat.chat, "accent_color_id": 0, "max_reaction_count": 11}


def always_true(state: SandboxState, params: Params, uploads: Uploads) -> bool:
    """close / logOut: nothing to do locally."""
    return True


def _setting(key: str, field: str, default: Any) -> tuple[Handler, Handler]:
    """A set/get pair for a simple bot setting (description, name, menu button)."""

    def setter(state: SandboxState, params: Params, uploads: Uploads) -> bool:
        state.settings[key] = params.get(field) or default
        return True

    def getter(state: SandboxState, params: Params, uploads: Uploads) -> Any:
        value = state.settings.get(key, default)
        return value if field == "menu_button" else {field: value}

    return setter, getter


_SETTINGS = {
    "MyDescription": _setting("description", "description", ""),
    "MyShortDescription": _setting("short_description", "short_description", ""),
    "MyName": _setting("name", "name", ""),
    "ChatMenuButton": _setting("menu_button", "menu_button", {"type": "default"}),
}

METHODS: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "sendDocument": send_document,
    "getFile": get_file,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "sendChatAction": send_chat_action,
    "getChat": get_chat,
    "close": always_true,
    "logOut": always_true,
    **media.METHODS,
}
for _name, (_setter, _getter) in _SETTINGS.items():
    METHODS[f"set{_name}"] = _setter
    METHODS[f"get{_name}"] = _getter

# Telegram matches method names case-insensitively.
METHODS_BY_LOWER = {name.lower(): handler for name, handler in METHODS.items()}
SEND_METHODS = frozenset(
    name.lower()
    for name in METHODS
    if name.startswith(("send", "edit")) and name != "sendChatAction"
)
