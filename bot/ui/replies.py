"""Long texts: split at line breaks under the limit, the keyboard on the last part."""

from __future__ import annotations

from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message

from bot.ui.render import split_message


async def send_parts(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None, **options: Any
) -> list[Message]:
    """Send `text` to a chat in as many messages as it needs; the keyboard goes on the last."""
    parts = split_message(text)
    sent = []
    for number, part in enumerate(parts, start=1):
        keyboard = markup if number == len(parts) else None
        sent.append(await bot.send_message(chat_id, part, reply_markup=keyboard, **options))
    return sent


async def reply_parts(
    message: Message, text: str, markup: InlineKeyboardMarkup | None = None, **options: Any
) -> list[Message]:
    """Reply to a message with `text` split as needed; the keyboard goes on the last part."""
    parts = split_message(text)
    sent = []
    for number, part in enumerate(parts, start=1):
        keyboard = markup if number == len(parts) else None
        sent.append(await message.reply_text(part, reply_markup=keyboard, **options))
    return sent
