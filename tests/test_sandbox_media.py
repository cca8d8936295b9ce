"""The sandbox's photos, driven by the real python-telegram-bot client: one photo, an album
of 2–10 sharing a media_group_id, and Telegram's refusals (one-item album, not an image)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InputMediaPhoto
from telegram.error import BadRequest

from sandbox import BotApiSandbox, SandboxUser
from sandbox.media import image_size, photo_bytes

ALICE = 1001


def png(width: int, height: int) -> bytes:
    """A tiny valid PNG of the given size (one grey pixel row repeated)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiSandbox]:
    async with BotApiSandbox() as running:
        yield running


@pytest.fixture
def alice(sandbox: BotApiSandbox) -> SandboxUser:
    return sandbox.add_user(ALICE, "Alice", "alice")


async def test_a_photo_and_an_album(sandbox: BotApiSandbox, bot: Bot, alice: SandboxUser) -> None:
    sent = await bot.send_photo(ALICE, png(30, 20), caption="<b>图</b>", parse_mode="HTML")
    assert (sent.photo[-1].width, sent.photo[-1].height) == (30, 20) and sent.caption == "图"
    album = await bot.send_media_group(ALICE, [InputMediaPhoto(png(10 + n, 10)) for n in range(3)])
    assert len(album) == 3 and len({m.media_group_id for m in album}) == 1
    shown = [m for m in alice.bot_messages if "photo" in m]
    assert [image_size(photo_bytes(sandbox.state, m))[0] for m in shown] == [30, 10, 11, 12]
    assert "[photo] — 图" in alice.transcript()


async def test_telegrams_refusals(bot: Bot, alice: SandboxUser) -> None:
    with pytest.raises(BadRequest, match=r"(?i)2-10 items"):
        await bot.send_media_group(ALICE, [InputMediaPhoto(png(5, 5))])
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(ALICE, b"not an image at all")
    with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
        await bot.send_photo(ALICE, png(9000, 1200))
    assert not [m for m in alice.bot_messages if "photo" in m]
