"""The Bot API sandbox, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import re
import signal
import sys
import warnings
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox import BotApiSandbox, ButtonNotFoundError, SandboxUser, transcript
from sandbox.markup import parse_html

ALICE, BOB = 1001, 1002
# PTB itself reads RetryAfter.retry_after while building the error, which warns about the
# int → timedelta migration; that is PTB's business, not the sandbox's.
pytestmark = pytest.mark.filterwarnings("ignore:.*will be of type `datetime.timedelta`")


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    """One row of callback buttons."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in buttons]])


def said(text: str, *, exact: bool = False) -> str:
    """A case-insensitive pattern for PTB error messages (PTB lower-cases most of them)."""
    pattern = re.escape(text)
    return f"(?i)^{pattern}$" if exact else f"(?i){pattern}"


def retry_seconds(error: RetryAfter) -> float:
    """retry_after as seconds, whichever type this PTB version returns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiSandbox]:
    """A running sandbox, stopped after the test."""
    async with BotApiSandbox() as running:
        yield running


@pytest.fixture
def alice(sandbox: BotApiSandbox) -> SandboxUser:
    """The first scripted user."""
    return sandbox.add_user(ALICE, "Alice", "alice")


@pytest.fixture
def bob(sandbox: BotApiSandbox) -> SandboxUser:
    """A second user, for per-chat behaviour."""
    return sandbox.add_user(BOB, "Bob")


# --- basics ---------------------------------------------------------------------------------


async def test_urls_and_get_me(sandbox: BotApiSandbox, bot: Bot) -> None:
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert sandbox.base_url == sandbox.url + "/bot"
    assert sandbox.base_file_url == sandbox.url + "/file/bot"
    me = await bot.get_me()
    assert me.is_bot and me.username == "perfbot_test_bot" and me.id == 123456
    assert me.can_join_groups is True


async def test_wrong_token_is_invalid_token(sandbox: BotApiSandbox) -> None:
    wrong = Bot("123456:WRONG", base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    assert sandbox.calls[-1].status == 401


async def test_unknown_method_is_not_found(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("frobnicate")


async def test_json_body_query_string_and_raw_shapes(
    sandbox: BotApiSandbox, alice: SandboxUser
) -> None:
    async with aiohttp.ClientSession() as http:
        api = f"{sandbox.base_url}{sandbox.token}"
        async with http.post(f"{api}/sendMessage", json={"chat_id": ALICE, "text": "json"}) as r:
            body = await r.json()
        assert body["ok"] and body["result"]["text"] == "json"
        assert isinstance(body["result"]["date"], int)
        assert body["result"]["from"] == {**sandbox.bot_user}
        async with http.get(f"{api}/sendMessage", params={"chat_id": str(ALICE), "text": "q"}) as r:
            assert (await r.json())["result"]["chat"]["id"] == ALICE
        async with http.post(f"{api}/noSuchMethod") as r:
            assert r.status == 404
            assert await r.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.post(f"{sandbox.base_url}1:bad/getMe") as r:
            assert (r.status, (await r.json())["description"]) == (401, "Unauthorized")
    assert [m["text"] for m in alice.messages] == ["json", "q"]


# --- messages -------------------------------------------------------------------------------


async def test_send_message_returns_full_message(bot: Bot, alice: SandboxUser) -> None:
    sent = await bot.send_message(
        ALICE,
        "<b>Budget</b> &amp; <i>plan</i> &lt;2025&gt;",
        parse_mode="HTML",
        reply_markup=keyboard(("OK", "ok")),
    )
    assert sent.text == "Budget & plan <2025>"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 6),
        ("italic", 9, 4),
    ]
    assert sent.chat.id == ALICE and sent.chat.type == "private" and sent.chat.username == "alice"
    assert sent.from_user.is_bot and sent.reply_markup.inline_keyboard[0][0].callback_data == "ok"
    assert alice.last_bot_message["text"] == "Budget & plan <2025>"


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<br>", 'unsupported start tag "br" at byte offset 0'),
        ("a < b", 'unsupported start tag "" at byte offset 2'),
        ("<b>open", 'can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("R&amp;D &foo; x", 'unsupported html entity "&foo;" at byte offset 8'),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_bad_html_is_bad_request(
    bot: Bot, alice: SandboxUser, html: str, reason: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(ALICE, html, parse_mode="HTML")
    # PTB drops "Bad Request: " and capitalize()s the rest, which lower-cases it.
    assert caught.value.message.lower() == f"can't parse entities: {reason}".lower()
    assert alice.messages == []


async def test_all_telegram_tags_parse(bot: Bot, alice: SandboxUser) -> None:
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike>"
        '<del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
        '<a href="https://example.org/?a=1&amp;b=2">link</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre><blockquote>q</blockquote>'
        "<blockquote expandable>e</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        "&#20013;&#x6587;&quot;"
    )
    sent = await bot.send_message(ALICE, html, parse_mode="HTML")
    assert sent.text == 'bsieunskdpqlinkcx = 1qe👍中文"'
    kinds = {e.type for e in sent.entities}
    assert {"bold", "spoiler", "text_link", "pre", "expandable_blockquote", "custom_emoji"} <= kinds
    link = next(e for e in sent.entities if e.type == "text_link")
    assert link.url == "https://example.org/?a=1&b=2"


def test_lenient_mode_keeps_unknown_entities_like_telegram() -> None:
    assert parse_html("&laquo;x&raquo; & y", strict_entities=False)[0] == "&laquo;x&raquo; & y"


async def test_text_length_and_empty_text(bot: Bot, alice: SandboxUser) -> None:
    sent = await bot.send_message(ALICE, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert len(sent.text) == 4096
    with pytest.raises(BadRequest, match=said("message is too long")):
        await bot.send_message(ALICE, "字" * 4097)
    with pytest.raises(BadRequest, match=said("message text is empty")):
        await bot.send_message(ALICE, "  <b> </b> ", parse_mode="HTML")


async def test_callback_data_is_limited_to_64_utf8_bytes(bot: Bot, alice: SandboxUser) -> None:
    await bot.send_message(ALICE, "ok", reply_markup=keyboard(("a", "数" * 21)))  # 63 bytes
    with pytest.raises(BadRequest, match=said("button_data_invalid")):
        await bot.send_message(ALICE, "too long", reply_markup=keyboard(("a", "数" * 22)))
    with pytest.raises(BadRequest, match=said("text buttons are unallowed")):
        await bot.send_message(ALICE, "x", reply_markup={"inline_keyboard": [[{"text": "a"}]]})


async def test_unknown_chat_is_chat_not_found(bot: Bot, alice: SandboxUser) -> None:
    with pytest.raises(BadRequest, match=said("chat not found", exact=True)):
        await bot.send_message(424242, "hello?")


async def test_edit_text_markup_and_not_modified(bot: Bot, alice: SandboxUser) -> None:
    sent = await bot.send_message(ALICE, "v1", reply_markup=keyboard(("A", "a")))
    edited = await bot.edit_message_text(
        "v2", ALICE, sent.message_id, reply_markup=keyboard(("B", "b"))
    )
    assert edited.text == "v2" and edited.edit_date is not None
    with pytest.raises(BadRequest, match=said("message is not modified: specified new message")):
        await bot.edit_message_text("v2", ALICE, sent.message_id, reply_markup=keyboard(("B", "b")))
    # Omitting reply_markup in an edit removes the keyboard, as on Telegram.
    plain = await bot.edit_message_text("v2", ALICE, sent.message_id)
    assert plain.reply_markup is None
    marked = await bot.edit_message_reply_markup(
        ALICE, sent.message_id, reply_markup=keyboard(("C", "c"))
    )
    assert marked.reply_markup.inline_keyboard[0][0].text == "C"
    with pytest.raises(BadRequest, match=said("message is not modified")):
        await bot.edit_message_reply_markup(
            ALICE, sent.message_id, reply_markup=keyboard(("C", "c"))
        )
    with pytest.raises(BadRequest, match=said("message to edit not found", exact=True)):
        await bot.edit_message_text("x", ALICE, 999)
    assert alice.messages[0]["text"] == "v2" and "edit_date" in alice.messages[0]


async def test_delete_message(bot: Bot, alice: SandboxUser) -> None:
    sent = await bot.send_message(ALICE, "bye")
    assert await bot.delete_message(ALICE, sent.message_id) is True
    assert alice.messages == []
    with pytest.raises(BadRequest, match=said("message to delete not found", exact=True)):
        await bot.delete_message(ALICE, sent.message_id)


async def test_cannot_edit_user_message(bot: Bot, alice: SandboxUser) -> None:
    mine = await alice.send_text("hello")
    with pytest.raises(BadRequest, match=said("message can't be edited")):
        await bot.edit_message_text("hacked", ALICE, mine["message_id"])


# --- updates --------------------------------------------------------------------------------


async def test_get_updates_waits_for_a_late_update(bot: Bot, alice: SandboxUser) -> None:
    async def later() -> None:
        await asyncio.sleep(0.5)
        await alice.send_text("/report 2025")

    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.create_task(later())
    updates = await bot.get_updates(timeout=5)
    elapsed = loop.time() - started
    await task
    assert 0.4 <= elapsed < 2.0
    message = updates[0].message
    assert message.text == "/report 2025" and message.from_user.language_code == "zh-hans"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 7
    assert not message.from_user.is_bot


async def test_get_updates_times_out_empty(bot: Bot, alice: SandboxUser) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == ()
    assert loop.time() - started >= 0.9


async def test_offset_limit_and_negative_offset(
    sandbox: BotApiSandbox, bot: Bot, alice: SandboxUser
) -> None:
    for text in ("one", "two", "three"):
        await alice.send_text(text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["one", "two"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["three"]
    assert [u.message.text for u in await bot.get_updates()] == ["three"]  # not yet confirmed
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()
    assert sandbox.pending_updates == []
    for text in ("four", "five"):
        await alice.send_text(text)
    assert [u.message.text for u in await bot.get_updates(offset=-1)] == ["five"]
    assert len(sandbox.pending_updates) == 1


async def test_allowed_updates_filters(bot: Bot, alice: SandboxUser) -> None:
    sent = await bot.send_message(ALICE, "pick", reply_markup=keyboard(("Yes", "y")))
    await alice.send_text("noise")
    await alice.press(sent, "Yes")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in updates] == ["y"]


async def test_newer_get_updates_terminates_older(sandbox: BotApiSandbox, bot: Bot) -> None:
    other = Bot(sandbox.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with other:
        await other.get_updates(timeout=0)
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await waiting


async def test_user_media_parses_in_ptb(bot: Bot, alice: SandboxUser) -> None:
    await alice.send_sticker()
    await alice.send_photo(caption="看图")
    await alice.send_voice(duration=4)
    updates = await bot.get_updates()
    sticker, photo, voice = (u.message for u in updates)
    assert sticker.sticker.emoji == "👍" and sticker.text is None
    assert photo.photo[-1].width == 800 and photo.caption == "看图"
    assert voice.voice.duration in (4, dtm.timedelta(seconds=4))


# --- callback queries -----------------------------------------------------------------------


async def test_callback_query_round_trip(bot: Bot, alice: SandboxUser) -> None:
    sent = await bot.send_message(
        ALICE, "pick", reply_markup=keyboard(("Yes", "yes"), ("No", "no"))
    )
    pressed = await alice.press(sent.to_dict(), "No")
    (update,) = await bot.get_updates()
    query = update.callback_query
    assert query.id == pressed["id"] and query.data == "no" and query.chat_instance
    assert query.message.message_id == sent.message_id and query.from_user.id == ALICE
    assert await bot.answer_callback_query(query.id, text="收到", show_alert=True)
    assert await alice.wait_for_callback_answer() == {"text": "收到", "show_alert": True}
    with pytest.raises(BadRequest, match=said("query is too old")):
        await bot.answer_callback_query(query.id)
    with pytest.raises(BadRequest, match=said("query id is invalid")):
        await bot.answer_callback_query("123")


async def test_callback_query_expires() -> None:
    async with BotApiSandbox(callback_query_ttl=0.05) as sandbox:
        user = sandbox.add_user(ALICE, "Alice")
        async with Bot(sandbox.token, base_url=sandbox.base_url) as bot:
            sent = await bot.send_message(ALICE, "x", reply_markup=keyboard(("Go", "go")))
            query = await user.press(sent.message_id, "go")
            await asyncio.sleep(0.1)
            with pytest.raises(BadRequest, match=said("query is too old")):
                await bot.answer_callback_query(query["id"])


# --- documents and files ----------------------------------------------------------------------


async def test_send_document_get_file_and_download(
    sandbox: BotApiSandbox, bot: Bot, alice: SandboxUser
) -> None:
    payload = bytes(range(256)) * 40
    sent = await bot.send_document(
        ALICE, payload, filename="绩效报告.xlsx", caption="<b>Q3</b>", parse_mode="HTML"
    )
    document = sent.document
    assert document.file_name == "绩效报告.xlsx" and document.file_size == len(payload)
    assert document.mime_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert sent.caption == "Q3" and document.file_id and document.file_unique_id
    file = await bot.get_file(document.file_id)
    assert file.file_path.startswith(f"{sandbox.base_file_url}{sandbox.token}/documents/")
    assert bytes(await file.download_as_bytearray()) == payload
    assert alice.download(alice.last_bot_message) == payload
    assert "📎 绩效报告.xlsx (10.0 KB) — Q3" in alice.transcript()
    again = await bot.send_document(ALICE, document.file_id)
    assert again.document.file_id == document.file_id
    with pytest.raises(BadRequest, match=said("wrong file_id")):
        await bot.get_file("nope")


async def test_user_document_can_be_downloaded_by_bot(bot: Bot, alice: SandboxUser) -> None:
    await alice.send_document("目标表.docx", b"PK\x03\x04docx")
    (update,) = await bot.get_updates()
    document = update.message.document
    assert document.file_name == "目标表.docx" and document.mime_type.endswith("document")
    file = await document.get_file()
    assert bytes(await file.download_as_bytearray()) == b"PK\x03\x04docx"


# --- commands, webhook, misc ----------------------------------------------------------------


async def test_commands_per_scope_and_language(sandbox: BotApiSandbox, bot: Bot) -> None:
    assert await bot.get_my_commands() == ()
    await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("help", "帮助")])
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands([BotCommand("report", "报告")], scope=scope, language_code="zh")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands(scope=scope, language_code="zh")] == [
        "report"
    ]
    assert await bot.get_my_commands(scope=scope) == ()
    assert sandbox.commands({"type": "all_private_chats"}, "zh") == [
        {"command": "report", "description": "报告"}
    ]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=said("bot_command_invalid")):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_webhook_blocks_polling(sandbox: BotApiSandbox, bot: Bot, alice: SandboxUser) -> None:
    assert (await bot.get_webhook_info()).url == ""
    await bot.set_webhook("https://perfbot.invalid/hook")
    info = await bot.get_webhook_info()
    assert info.url == "https://perfbot.invalid/hook" and sandbox.webhook is not None
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await alice.send_text("queued")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


async def test_chat_action_close_and_log_out(bot: Bot, alice: SandboxUser) -> None:
    assert await bot.send_chat_action(ALICE, "upload_document")
    assert alice.chat_actions == ["upload_document"]
    with pytest.raises(BadRequest, match=said("wrong parameter action")):
        await bot.send_chat_action(ALICE, "dancing")
    assert await bot.close() is True
    assert await bot.log_out() is True


# --- faults and flood control ---------------------------------------------------------------


async def test_fail_next_statuses(sandbox: BotApiSandbox, bot: Bot, alice: SandboxUser) -> None:
    sandbox.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE, "x")
    assert retry_seconds(caught.value) == 3
    sandbox.fail_next("sendMessage", status=403)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE, "x")
    sandbox.fail_next("sendMessage", status=500, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(ALICE, "x")
    sandbox.fail_next("*", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_me()
    assert (await bot.send_message(ALICE, "finally")).text == "finally"
    assert [m["text"] for m in alice.messages] == ["finally"]
    statuses = [c.status for c in sandbox.calls_to("sendMessage")]
    assert statuses == [429, 403, 500, 500, 200]


async def test_block_user(
    sandbox: BotApiSandbox, bot: Bot, alice: SandboxUser, bob: SandboxUser
) -> None:
    sandbox.block_user(ALICE)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE, "hi")
    await bot.send_message(BOB, "hi bob")
    sandbox.unblock_user(ALICE)
    await bot.send_message(ALICE, "hi again")
    assert [m["text"] for m in alice.messages] == ["hi again"]


async def test_set_delay(sandbox: BotApiSandbox, bot: Bot) -> None:
    sandbox.set_delay("getMe", 0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await bot.get_me()
    assert loop.time() - started >= 0.3


async def test_flood_control(
    sandbox: BotApiSandbox, bot: Bot, alice: SandboxUser, bob: SandboxUser
) -> None:
    sandbox.enforce_limits(per_chat_per_second=1.0, global_per_second=30.0)
    await bot.send_message(ALICE, "1")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE, "2")
    assert retry_seconds(caught.value) == 1
    await bot.send_message(BOB, "other chat is fine")
    assert sandbox.flood_429_count == 1
    sandbox.enforce_limits(per_chat_per_second=100.0, global_per_second=2.0)
    await bot.send_message(ALICE, "a")
    await bot.send_message(BOB, "b")
    with pytest.raises(RetryAfter):
        await bot.send_message(ALICE, "c")
    assert sandbox.flood_429_count == 1  # a fresh limiter counts afresh
    call = sandbox.calls_to("sendMessage")[-1]
    assert (call.status, call.params["chat_id"], call.params["text"]) == (429, ALICE, "c")


# --- scripted user --------------------------------------------------------------------------


async def test_user_waits_in_order_and_sees_edits(bot: Bot, alice: SandboxUser) -> None:
    first = await bot.send_message(ALICE, "first")
    await bot.send_message(ALICE, "second")
    await bot.edit_message_text("first (v2)", ALICE, first.message_id)
    assert (await alice.wait_for_message())["text"] == "first"
    assert (await alice.wait_for_message())["text"] == "second"
    edit = await alice.wait_for_message()
    assert edit["text"] == "first (v2)" and "edit_date" in edit
    with pytest.raises(
        TimeoutError, match="recent chat:\n🤖 Perfbot Test: first \\(v2\\) \\(edited\\)"
    ):
        await alice.wait_for_message(timeout=0.05)
    await bot.send_message(ALICE, "progress 50%")
    await bot.send_message(ALICE, "done")
    done = await alice.wait_for_message(lambda m: m.get("text") == "done", timeout=1)
    assert done["text"] == "done"


async def test_press_requires_current_button(bot: Bot, alice: SandboxUser) -> None:
    sent = await bot.send_message(ALICE, "menu", reply_markup=keyboard(("Old", "old")))
    await bot.edit_message_reply_markup(
        ALICE, sent.message_id, reply_markup=keyboard(("New", "new"))
    )
    with pytest.raises(
        ButtonNotFoundError, match=r"no button 'Old' on message 1; it shows: \[New\]"
    ):
        await alice.press(sent.to_dict(), "Old")
    stale = await alice.press_data(sent.message_id, "old")
    by_data = await alice.press(sent.message_id, "new")
    updates = await bot.get_updates()
    assert [u.callback_query.data for u in updates] == ["old", "new"]
    assert updates[0].callback_query.id == stale["id"] and by_data["data"] == "new"
    await bot.delete_message(ALICE, sent.message_id)
    with pytest.raises(LookupError, match="deleted"):
        await alice.press(sent.message_id, "New")


async def test_reply_keyboard_press_sends_text(bot: Bot, alice: SandboxUser) -> None:
    await bot.send_message(ALICE, "choose", reply_markup=ReplyKeyboardMarkup([["填报", "查询"]]))
    assert alice.keyboard is not None and alice.last_bot_message.get("reply_markup") is None
    message = await alice.press(alice.last_bot_message, "查询")
    assert message["text"] == "查询"
    (_, update) = (None, (await bot.get_updates())[0])
    assert update.message.text == "查询"


async def test_transcript_rendering(bot: Bot, alice: SandboxUser) -> None:
    await alice.send_text("/start")
    await bot.send_message(
        ALICE,
        "欢迎\n请选择",
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("填报", callback_data="fill"),
                    InlineKeyboardButton("帮助", url="https://example.org"),
                ],
            ]
        ),
    )
    await alice.send_sticker("😀")
    assert transcript(alice) == (
        "👤 Alice: /start\n"
        "🤖 Perfbot Test: 欢迎\n    请选择\n"
        "    [填报] [帮助 ↗]\n"
        "👤 Alice: [sticker 😀]"
    )


# --- the whole loop with a PTB Application --------------------------------------------------


async def test_application_end_to_end(sandbox: BotApiSandbox, alice: SandboxUser) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text("欢迎", reply_markup=keyboard(("Ping", "ping")))

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("pong")
        await query.edit_message_text(f"pressed {query.data}")

    app = (
        Application.builder()
        .token(sandbox.token)
        .base_url(sandbox.base_url)
        .base_file_url(sandbox.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(button))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=5)
        try:
            await alice.send_text("/start")
            welcome = await alice.wait_for_message(timeout=5)
            assert welcome["text"] == "欢迎"
            await alice.press(welcome, "Ping")
            assert (await alice.wait_for_callback_answer(timeout=5))["text"] == "pong"
            edited = await alice.wait_for_message(timeout=5)
            assert edited["text"] == "pressed ping" and "reply_markup" not in edited
            await alice.send_text("你好")
            assert (await alice.wait_for_message(timeout=5))["text"] == "echo: 你好"
        finally:
            await app.updater.stop()
            await app.stop()
    assert sandbox.pending_updates == []  # the updater confirmed everything it handled
    assert sandbox.calls_to("deleteWebhook") and sandbox.calls_to("getMe")


async def test_restart_keeps_port_and_state(
    bot: Bot, sandbox: BotApiSandbox, alice: SandboxUser
) -> None:
    url = sandbox.url
    waiting = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.05)
    await sandbox.stop()  # wakes the waiting long poll instead of hanging
    assert await asyncio.wait_for(waiting, 2) == ()
    with pytest.raises(NetworkError):
        await bot.get_me()
    await sandbox.start()
    assert sandbox.url == url
    await alice.send_text("back")
    assert [u.message.text for u in await bot.get_updates()] == ["back"]


# --- standalone ----------------------------------------------------------------------------


async def test_python_m_sandbox_serves_until_interrupted() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "--user",
        "1001:Alice",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        url = first.rsplit(" ", 1)[-1].strip()
        token = (await process.stdout.readline()).decode().split()[-1]
        async with aiohttp.ClientSession() as http:
            body = json.dumps({"chat_id": 1001, "text": "hi"})
            headers = {"Content-Type": "application/json"}
            async with http.post(f"{url}/bot{token}/sendMessage", data=body, headers=headers) as r:
                assert (await r.json())["ok"] is True
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
