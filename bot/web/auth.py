"""Telegram Mini App launch data (`initData`): who opened the web app, proven by Telegram.

Telegram signs the launch fields with the bot's token: the data-check string (every field but
`hash`, sorted by key, `key=value` joined by newlines) under HMAC-SHA256 keyed with
HMAC-SHA256(key "WebAppData", message token). A request is believed only when that hash
matches and `auth_date` is recent: a copied link stops working after `max_age` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

CLOCK_SKEW_SECONDS = 60  # an auth_date slightly ahead of our clock is still believed


class InvalidInitData(Exception):
    """The launch data is missing, forged, malformed or too old."""


@dataclass(frozen=True, slots=True)
class WebUser:
    """The Telegram user the launch data names."""

    id: int
    first_name: str
    auth_date: int


def _secret(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def validate_init_data(raw: str, token: str, *, max_age: int, now: float) -> WebUser:
    """The user of signed, fresh launch data; InvalidInitData otherwise."""
    if not raw or len(raw) > 4096:
        raise InvalidInitData("missing")
    try:
        fields = dict(parse_qsl(raw, keep_blank_values=True, strict_parsing=True))
    except ValueError as exc:
        raise InvalidInitData("malformed") from exc
    received = fields.pop("hash", "")
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    expected = hmac.new(_secret(token), check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, received):
        raise InvalidInitData("signature")
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidInitData("fields") from exc
    if now - auth_date > max_age or auth_date - now > CLOCK_SKEW_SECONDS:
        raise InvalidInitData("expired")
    return WebUser(user_id, str(user.get("first_name", "")), auth_date)
