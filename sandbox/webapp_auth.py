"""Mini App launch data, as Telegram would hand it to a web app opened from the chat.

`signed_init_data` builds the `initData` string for a chosen user, signed with the bot's
token the way Telegram signs it: the data-check string (every field but `hash`, sorted,
`key=value` joined by newlines) under HMAC-SHA256 keyed with HMAC-SHA256("WebAppData",
token). `launch_url` appends it to the web app's address as Telegram clients do
(`#tgWebAppData=...`), so a browser can open the dashboard offline as that user.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote, urlencode


def secret_key(token: str) -> bytes:
    """The signing key Telegram derives from a bot token for Mini Apps."""
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def sign(fields: dict[str, str], token: str) -> str:
    """The hex `hash` of launch fields (without `hash`)."""
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    return hmac.new(secret_key(token), check.encode(), hashlib.sha256).hexdigest()


def signed_init_data(
    token: str,
    *,
    user_id: int,
    first_name: str,
    username: str | None = None,
    auth_date: int | None = None,
    language_code: str = "zh-hans",
) -> str:
    """`initData` for `user_id`, signed with `token` (now, unless `auth_date` is given)."""
    user = {"id": user_id, "first_name": first_name, "language_code": language_code}
    if username:
        user["username"] = username
    fields = {
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        "query_id": f"SBX{user_id}",
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
    }
    return urlencode({**fields, "hash": sign(fields, token)})


def launch_url(web_app_url: str, init_data: str) -> str:
    """The web app's address with the launch data where Telegram clients put it."""
    fragment = urlencode({"tgWebAppData": init_data, "tgWebAppVersion": "8.0"}, quote_via=quote)
    return f"{web_app_url}#{fragment}"


def web_app_button_url(message: dict[str, Any], text: str) -> str:
    """The address of the web_app button labelled `text` on a message the bot sent."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard") or []:
        for button in row:
            if button.get("text") == text and "web_app" in button:
                return str(button["web_app"]["url"])
    raise LookupError(f"no web app button {text!r} on message {message.get('message_id')}")


def open_web_app(token: str, user: Any, message: dict[str, Any], text: str, **signing: Any) -> str:
    """What a Telegram client opens when `user` presses the web_app button `text`: the
    button's address with launch data signed for that user (a SandboxUser or alike)."""
    init_data = signed_init_data(
        token, user_id=user.id, first_name=user.first_name, username=user.username, **signing
    )
    return launch_url(web_app_button_url(message, text), init_data)


def main(argv: list[str] | None = None) -> None:
    """`python -m sandbox.webapp_auth URL ID NAME`: print the address that opens the web
    dashboard as that Telegram user (signed with the sandbox's token unless --token)."""
    import argparse

    from sandbox.server import DEFAULT_TOKEN

    parser = argparse.ArgumentParser(prog="python -m sandbox.webapp_auth", description=main.__doc__)
    parser.add_argument("url", help="the bot's WEB_APP_URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("user_id", type=int, help="the person's Telegram user id")
    parser.add_argument("name", help="their first name")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the bot token the bot runs with")
    args = parser.parse_args(argv)
    init_data = signed_init_data(args.token, user_id=args.user_id, first_name=args.name)
    print(launch_url(f"{args.url.rstrip('/')}/", init_data))


if __name__ == "__main__":
    main()
