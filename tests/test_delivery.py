"""Outbox delivery through the Bot API sandbox with a real telegram.Bot, on both databases."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from telegram import Bot
from telegram.ext import Application

from bot.config import Settings
from bot.outbox.delivery import Deliverer, DeliveryPolicy
from bot.outbox.job import JOB_NAME
from bot.ui import render as render_module
from sandbox import BotApiSandbox, SandboxUser
from storage.db import Database
from storage.models import DeliveryAttempt, Organisation, OutboxMessage, Person, RoleAssignment
from workflow.notify import outbox
from workflow.notify.outbox import Outcome, RetryPolicy
from workflow.notify.queue import queue_message
from workflow.people import reachability

# PTB reads RetryAfter.retry_after while building the error and warns about its int →
# timedelta migration; that is PTB's business.
pytestmark = pytest.mark.filterwarnings("ignore:.*will be of type `datetime.timedelta`")

ALICE, BOB, CAROL, ADMIN = 1001, 1002, 1003, 9001
FAST = DeliveryPolicy(
    global_per_second=200,
    per_chat_per_second=50,
    retry=RetryPolicy(max_attempts=3, first_delay=0.05, max_delay=0.2),
    lease=dt.timedelta(seconds=0.5),
)


@dataclass
class Office:
    """Person ids by Telegram id."""

    person: dict[int, int]


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiSandbox]:
    """A running sandbox with Alice, Bob, Carol and an administrator."""
    async with BotApiSandbox() as running:
        for user_id, name in ((ALICE, "王丽"), (BOB, "李强"), (CAROL, "陈晨"), (ADMIN, "管理员")):
            running.add_user(user_id, name)
        yield running


@pytest.fixture
async def office(database: Database) -> Office:
    """The same people in the database, the administrator holding the admin role."""
    async with database.transaction() as session:
        org = Organisation(code="D1", name="市教育局", kind="department")
        people = {
            ALICE: Person(name="王丽", telegram_user_id=ALICE),
            BOB: Person(name="李强", telegram_user_id=BOB),
            CAROL: Person(name="陈晨", telegram_user_id=CAROL),
            ADMIN: Person(name="管理员", telegram_user_id=ADMIN),
        }
        session.add_all([org, *people.values()])
        await session.flush()
        session.add(
            RoleAssignment(person_id=people[ADMIN].id, role="admin", organisation_id=org.id)
        )
    return Office(person={tid: person.id for tid, person in people.items()})


async def _queue(
    db: Database,
    person_id: int | None,
    name: str,
    *,
    template: str = "welcome_guest",
    buttons: Sequence[Sequence[tuple[str, str]]] | None = None,
    **extra: Any,
) -> int:
    async with db.transaction() as session:
        context = extra.pop("context", {"name": name})
        message = queue_message(
            session,
            template=template,
            context=context,
            person_id=person_id,
            buttons=buttons,
            **extra,
        )
    return message.id


async def _rows(db: Database) -> dict[int, OutboxMessage]:
    async with db.sessions() as session:
        return {row.id: row for row in (await session.scalars(select(OutboxMessage))).all()}


async def _attempts(db: Database, message_id: int) -> list[tuple[str, str | None]]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(DeliveryAttempt.outcome, DeliveryAttempt.detail)
            .where(DeliveryAttempt.outbox_message_id == message_id)
            .order_by(DeliveryAttempt.id)
        )
        return [tuple(row) for row in rows.all()]


def _texts(user: SandboxUser) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in user.bot_messages]


# --- delivering ----------------------------------------------------------------------------


async def test_messages_arrive_rendered_with_buttons_and_are_recorded(
    database: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    to_alice = await _queue(
        database, office.person[ALICE], "王丽", buttons=[[("deadlines", "dl:list")]]
    )
    to_bob = await _queue(database, office.person[BOB], "李强")
    report = await Deliverer(database, FAST).run(bot)

    alice, bob = sandbox.user(ALICE), sandbox.user(BOB)
    (greeting,) = alice.bot_messages
    assert greeting["text"].startswith("您好，王丽！我是绩效助手")
    assert {"type": "bold", "offset": 8, "length": 4} in greeting["entities"]
    keyboard = alice.bot_messages[0]["reply_markup"]["inline_keyboard"]
    assert keyboard == [[{"text": "我的待办", "callback_data": "dl:list"}]]
    assert "李强" in _texts(bob)[0]
    rows = await _rows(database)
    for message_id, user in ((to_alice, alice), (to_bob, bob)):
        assert rows[message_id].status == "sent"
        assert rows[message_id].telegram_message_id == user.bot_messages[0]["message_id"]
        assert await _attempts(database, message_id) == [("sent", None)]
    assert report.outcomes == {Outcome.sent: 2}


def render_digest(template: str, /, **context: Any) -> str:
    """The real templates, plus a long multi-line 'digest' (no real template is that long yet)."""
    if template != "digest":
        return render_module.render(template, **context)
    lines = [
        f"<b>{i}.</b> 市教育局 · 教师培训项目 · 绩效跟踪表尚未提交，已逾期 {i} 个工作日"
        for i in range(200)
    ]
    return "\n".join(lines)


async def test_long_text_is_split_and_a_document_carries_its_caption(
    database: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    long_id = await _queue(
        database,
        office.person[ALICE],
        "",
        template="digest",
        context={},
        buttons=[[("help", "help")]],
    )
    doc_id = await _queue(
        database, office.person[BOB], "李强", document_name="评价报告.docx", document=b"PK\x03\x04"
    )
    await Deliverer(database, FAST, render_template=render_digest).run(bot)

    alice = sandbox.user(ALICE)
    parts = alice.bot_messages
    assert len(parts) >= 2 and all(len(p["text"]) <= 4096 for p in parts)
    assert parts[0]["text"].startswith("0. 市教育局") and "199. 市教育局" in parts[-1]["text"]
    assert [("reply_markup" in p) for p in parts] == [False] * (len(parts) - 1) + [True]
    bob = sandbox.user(BOB)
    (document,) = bob.bot_messages
    assert document["document"]["file_name"] == "评价报告.docx"
    assert bob.download(document) == b"PK\x03\x04" and "李强" in document["caption"]
    rows = await _rows(database)
    assert rows[long_id].status == rows[doc_id].status == "sent"
    outcomes = [outcome for outcome, _ in await _attempts(database, long_id)]
    assert outcomes == ["part_sent"] * (len(parts) - 1) + ["sent"]


async def test_person_without_telegram_yet_stays_pending(
    database: Database, bot: Bot, sandbox: BotApiSandbox
) -> None:
    async with database.transaction() as session:
        newcomer = Person(name="赵新")
        session.add(newcomer)
    message_id = await _queue(database, newcomer.id, "赵新")

    await Deliverer(database, FAST).run(bot)

    assert sandbox.calls_to("sendMessage") == []
    assert (await _rows(database))[message_id].status == "pending"


# --- Telegram says no ----------------------------------------------------------------------


async def test_retry_after_pauses_everything_for_as_long_as_telegram_says(
    database: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    ids = [await _queue(database, office.person[tid], str(tid)) for tid in (ALICE, BOB, CAROL)]
    sandbox.fail_next("sendMessage", status=429, retry_after=1)
    # Slots 0.1 s apart: the 429 is back before the next message would leave.
    deliverer = Deliverer(database, replace(FAST, global_per_second=10))

    first = await deliverer.run(bot)
    during_pause = await deliverer.run(bot)
    await asyncio.sleep(1.05)
    await deliverer.run(bot)

    assert first.outcomes == {Outcome.retry_after: 1} and during_pause.skipped
    calls = sandbox.calls_to("sendMessage")
    assert [c.status for c in calls] == [429, 200, 200, 200]
    assert calls[1].time - calls[0].time >= 1.0
    rows = await _rows(database)
    assert [rows[i].status for i in ids] == ["sent"] * 3
    throttled = next(
        i for i in ids if rows[i].person_id == office.person[calls[0].params["chat_id"]]
    )
    assert [o for o, _ in await _attempts(database, throttled)] == ["retry_after", "sent"]
    assert rows[throttled].attempts == 1  # the 429 cost no attempt


async def test_server_errors_are_retried_with_backoff(
    database: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    message_id = await _queue(database, office.person[ALICE], "王丽")
    sandbox.fail_next("sendMessage", status=500, times=2)
    deliverer = Deliverer(database, FAST)

    for _ in range(3):
        await deliverer.run(bot)
        await asyncio.sleep(0.12)

    assert len(sandbox.user(ALICE).bot_messages) == 1
    assert [c.status for c in sandbox.calls_to("sendMessage")] == [500, 500, 200]
    row = (await _rows(database))[message_id]
    assert (row.status, row.attempts) == ("sent", 3)
    assert [o for o, _ in await _attempts(database, message_id)] == ["network", "network", "sent"]


async def test_gives_up_after_the_last_attempt(
    database: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    message_id = await _queue(database, office.person[ALICE], "王丽")
    sandbox.fail_next("sendMessage", status=502, times=10)
    deliverer = Deliverer(database, FAST)

    for _ in range(4):  # waits 0.05 s, then 0.1 s; the fourth run finds nothing left to try
        await deliverer.run(bot)
        await asyncio.sleep(0.15)

    assert len(sandbox.calls_to("sendMessage")) == 3  # max_attempts
    row = (await _rows(database))[message_id]
    assert row.status == "failed" and row.last_error.startswith("gave up after 3 attempts")


async def test_blocked_person_becomes_unreachable_and_admins_are_told_once(
    database: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    waiting = [await _queue(database, office.person[ALICE], f"第{i}条") for i in range(3)]
    sandbox.block_user(ALICE)
    deliverer = Deliverer(database, FAST)

    for _ in range(3):
        await deliverer.run(bot)

    to_alice = [c for c in sandbox.calls_to("sendMessage") if c.params["chat_id"] == ALICE]
    assert [c.status for c in to_alice] == [403]  # one try, no hammering
    (notice,) = sandbox.user(ADMIN).bot_messages
    assert "王丽" in notice["text"] and "bot was blocked by the user" in notice["text"]
    async with database.sessions() as session:
        assert (await session.get(Person, office.person[ALICE])).unreachable_since is not None
    statuses = sorted(row.status for i, row in (await _rows(database)).items() if i in waiting)
    assert statuses == ["pending", "pending", "unreachable"]

    # Alice unblocks the bot and comes back: what waited for her arrives.
    sandbox.unblock_user(ALICE)
    await reachability.mark_reachable(database, person_id=office.person[ALICE])
    await deliverer.run(bot)
    assert len(sandbox.user(ALICE).bot_messages) == 2
    assert len(sandbox.user(ADMIN).bot_messages) == 1


async def test_bad_html_fails_with_telegrams_reason_and_is_not_retried(
    database: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    def render_with_a_broken_template(template: str, /, **context: Any) -> str:
        if template == "broken":
            return "<b>截止提醒：未闭合的标签"
        return render_module.render(template, **context)

    broken = await _queue(database, office.person[ALICE], "", template="broken", context={})
    fine = await _queue(database, office.person[BOB], "李强")
    deliverer = Deliverer(database, FAST, render_template=render_with_a_broken_template)

    await deliverer.run(bot)
    await asyncio.sleep(0.1)
    await deliverer.run(bot)

    assert [c.status for c in sandbox.calls_to("sendMessage")] in ([400, 200], [200, 400])
    rows = await _rows(database)
    assert (
        rows[broken].status == "failed"
        and "can't parse entities" in rows[broken].last_error.lower()
    )
    assert [o for o, _ in await _attempts(database, broken)] == ["bad_request"]
    assert rows[fine].status == "sent"


async def test_unrenderable_messages_fail_without_reaching_telegram(
    database: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    missing = await _queue(database, office.person[ALICE], "", template="no_such_template")
    no_context = await _queue(database, office.person[BOB], "", template="error", context={})
    bad_button = await _queue(
        database, office.person[CAROL], "陈晨", buttons=[[("no_such_label", "x")]]
    )

    await Deliverer(database, FAST).run(bot)

    assert sandbox.calls_to("sendMessage") == []
    rows = await _rows(database)
    assert [rows[i].status for i in (missing, no_context, bad_button)] == ["failed"] * 3
    assert "no_such_template" in rows[missing].last_error
    assert "reference" in rows[no_context].last_error
    assert "no_such_label" in rows[bad_button].last_error
    assert [o for o, _ in await _attempts(database, missing)] == ["render_error"]


# --- crashes -------------------------------------------------------------------------------


class CrashingBot:
    """A Bot whose process 'dies' (raises) on the n-th message, before it leaves."""

    def __init__(self, bot: Bot, crash_on: int) -> None:
        self.bot = bot
        self.calls = 0
        self.crash_on = crash_on

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self.crash_on:
            raise RuntimeError("the process died here")
        return await self.bot.send_message(*args, **kwargs)


async def test_a_crash_mid_run_loses_nothing_and_duplicates_nothing(
    database: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    ids = [
        await _queue(database, office.person[tid], f"{tid}-{n}")
        for n in range(3)
        for tid in (ALICE, BOB, CAROL)
    ]
    deliverer = Deliverer(database, FAST)

    with pytest.raises(RuntimeError, match="the process died here"):
        await deliverer.run(CrashingBot(bot, crash_on=3))  # type: ignore[arg-type]
    statuses = Counter(row.status for row in (await _rows(database)).values())
    assert statuses == {"sent": 2, "pending": 7}

    # The crashed message is still leased: the other chats' messages go now, while its own
    # chat's later messages wait behind it (a chat's messages arrive in queue order).
    await deliverer.run(bot)
    assert Counter(row.status for row in (await _rows(database)).values()) == {
        "sent": 6,
        "pending": 3,
    }
    await asyncio.sleep(FAST.lease.total_seconds())
    await deliverer.run(bot)

    rows = await _rows(database)
    assert all(rows[i].status == "sent" for i in ids)
    delivered = [t for tid in (ALICE, BOB, CAROL) for t in _texts(sandbox.user(tid))]
    assert len(delivered) == len(set(delivered)) == 9
    for tid in (ALICE, BOB, CAROL):
        assert _texts(sandbox.user(tid)) == sorted(_texts(sandbox.user(tid)))


async def test_claimed_by_a_deliverer_that_died_comes_back_after_the_lease(
    database: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    message_id = await _queue(database, office.person[ALICE], "王丽")
    await outbox.claim_due(database, now=outbox_now(), limit=10, per_chat=10, lease=FAST.lease)
    deliverer = Deliverer(database, FAST)

    await deliverer.run(bot)
    assert sandbox.calls_to("sendMessage") == []
    await asyncio.sleep(FAST.lease.total_seconds())
    await deliverer.run(bot)

    assert len(sandbox.user(ALICE).bot_messages) == 1
    assert (await _rows(database))[message_id].status == "sent"


async def test_the_documented_duplicate_a_send_not_recorded_goes_out_again(
    database: Database,
    bot: Bot,
    sandbox: BotApiSandbox,
    office: Office,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _queue(database, office.person[ALICE], "王丽")
    real_mark_sent = outbox.mark_sent
    outage = {"left": 1}

    async def mark_sent_during_an_outage(*args: Any, **kwargs: Any) -> bool:
        if outage["left"]:
            outage["left"] -= 1
            raise OperationalError("UPDATE outbox_message", {}, ConnectionError("database gone"))
        return await real_mark_sent(*args, **kwargs)

    monkeypatch.setattr(outbox, "mark_sent", mark_sent_during_an_outage)
    deliverer = Deliverer(database, FAST)
    with pytest.raises(OperationalError):
        await deliverer.run(bot)
    await asyncio.sleep(FAST.lease.total_seconds())
    await deliverer.run(bot)

    # Telegram had the first copy; nothing on our side knew, so it went again, once.
    assert len(sandbox.user(ALICE).bot_messages) == 2
    assert [c.status for c in sandbox.calls_to("sendMessage")] == [200, 200]


def outbox_now() -> dt.datetime:
    """Now, as the deliverer's clock tells it."""
    return dt.datetime.now(dt.UTC)


# --- limits and the job --------------------------------------------------------------------


async def test_fan_out_within_the_sandboxs_limits_delivers_everything_exactly_once(
    database: Database, bot: Bot, sandbox: BotApiSandbox
) -> None:
    people = list(range(2001, 2021))
    async with database.transaction() as session:
        rows = [Person(name=f"用户{tid}", telegram_user_id=tid) for tid in people]
        session.add_all(rows)
        await session.flush()
        for n in range(60):
            queue_message(
                session,
                template="welcome_guest",
                context={"name": f"第{n}号"},
                person_id=rows[n % 20].id,
            )
    for tid in people:
        sandbox.add_user(tid, f"用户{tid}")
    sandbox.enforce_limits(per_chat_per_second=5, global_per_second=60)
    policy = DeliveryPolicy(global_per_second=60, per_chat_per_second=5)

    deliverer = Deliverer(database, policy)
    for _ in range(10):  # one run normally suffices; a stuck outbox fails below, not forever
        await deliverer.run(bot)
        if not (await outbox.status_counts(database)).get("pending"):
            break

    assert sandbox.flood_429_count == 0
    delivered = [t for tid in people for t in _texts(sandbox.user(tid))]
    assert len(delivered) == len(set(delivered)) == 60
    assert await outbox.status_counts(database) == {"sent": 60}


def _application(database: Database, sandbox: BotApiSandbox, **settings: Any) -> Application:
    """The bot as `perfbot run` builds it, pointed at the sandbox."""
    from bot.app import build_application

    configured = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_base_url=sandbox.base_url,
        telegram_base_file_url=sandbox.base_file_url,
        **settings,
    )
    return build_application(configured, database, sandbox.token)


@asynccontextmanager
async def _running(application: Application) -> AsyncIterator[None]:
    """The application started (its jobs scheduled) until the block ends."""
    async with application:
        await application.start()
        try:
            yield
        finally:
            await application.stop()


async def test_the_job_runs_at_start_up_and_delivers_the_backlog(
    database: Database, sandbox: BotApiSandbox, office: Office
) -> None:
    await _queue(database, office.person[CAROL], "陈晨")
    application = _application(database, sandbox, outbox_interval_seconds=60)
    (job,) = application.job_queue.get_jobs_by_name(JOB_NAME)
    assert job.job.trigger.interval == dt.timedelta(seconds=60)

    async with _running(application):
        message = await sandbox.user(CAROL).wait_for_message(timeout=10)

    assert "陈晨" in message["text"]
    assert await outbox.status_counts(database) == {"sent": 1}


async def test_the_running_bot_hands_retry_after_to_the_outbox_not_to_its_rate_limiter(
    database: Database, sandbox: BotApiSandbox, office: Office
) -> None:
    ids = [await _queue(database, office.person[tid], str(tid)) for tid in (ALICE, BOB, CAROL)]
    sandbox.fail_next("sendMessage", status=429, retry_after=1)

    async with _running(_application(database, sandbox, outbox_interval_seconds=0.5)):
        for tid in (ALICE, BOB, CAROL):
            await sandbox.user(tid).wait_for_message(timeout=10)

    calls = sandbox.calls_to("sendMessage")
    assert [c.status for c in calls] == [429, 200, 200, 200]
    assert calls[1].time - calls[0].time >= 1.0  # nobody heard anything during the pause
    rows = await _rows(database)
    throttled = next(
        i for i in ids if rows[i].person_id == office.person[calls[0].params["chat_id"]]
    )
    # The outbox saw the 429 itself: recorded, no attempt spent, then sent once.
    assert [o for o, _ in await _attempts(database, throttled)] == ["retry_after", "sent"]
    assert [rows[i].status for i in ids] == ["sent"] * 3 and rows[throttled].attempts == 1


async def test_only_one_process_delivers_at_a_time(
    database: Database, second_process: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    for n in range(6):
        await _queue(database, office.person[(ALICE, BOB, CAROL)[n % 3]], f"第{n}条")
    sandbox.set_delay("sendMessage", 0.05)
    policy = DeliveryPolicy(global_per_second=50, per_chat_per_second=5)
    first, second = Deliverer(database, policy), Deliverer(second_process, policy)

    reports = await asyncio.gather(first.run(bot), second.run(bot))

    delivered = [t for tid in (ALICE, BOB, CAROL) for t in _texts(sandbox.user(tid))]
    assert len(delivered) == len(set(delivered)) == 6
    if database.dialect == "postgresql":  # the advisory lock turns the second one away
        assert sorted(r.skipped for r in reports) == [False, True]
    async with database.sessions() as session:
        sent = await session.scalars(select(OutboxMessage.status))
        assert set(sent.all()) == {"sent"}


# --- order within a chat, and leases after a crash ---------------------------------------


async def test_a_later_message_waits_while_an_earlier_one_to_the_same_chat_backs_off(
    database: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    for n in (1, 2, 3):
        await _queue(database, office.person[ALICE], f"第{n}条")
    await _queue(database, office.person[BOB], "李强")
    sandbox.fail_next("sendMessage", status=502)  # Alice's first message (largest backlog)
    deliverer = Deliverer(database, FAST)

    for _ in range(12):
        await deliverer.run(bot)
        if len(sandbox.user(ALICE).bot_messages) == 3:
            break
        await asyncio.sleep(0.1)

    assert [t.split("，")[1][:3] for t in _texts(sandbox.user(ALICE))] == [
        "第1条",
        "第2条",
        "第3条",
    ]
    assert len(sandbox.user(BOB).bot_messages) == 1  # another chat did not wait
    assert [c.status for c in sandbox.calls_to("sendMessage")].count(502) == 1


async def test_own_leases_come_back_at_once_after_a_crash_others_wait_out_theirs(
    database: Database, bot: Bot, sandbox: BotApiSandbox, office: Office
) -> None:
    mine = await _queue(database, office.person[ALICE], "王丽")
    theirs = await _queue(database, office.person[BOB], "李强")
    long_lease = dt.timedelta(minutes=2)
    for owner in ("bot-host", "other-host"):
        await outbox.claim_due(
            database, now=outbox_now(), limit=1, per_chat=1, lease=long_lease, owner=owner
        )
    # The process that leased as bot-host was killed; it starts again under the same name.
    restarted = Deliverer(database, replace(FAST, lease=long_lease, owner="bot-host"))

    await restarted.run(bot)

    rows = await _rows(database)
    assert rows[mine].status == "sent" and rows[mine].lease_owner is None
    assert rows[theirs].status == "pending" and rows[theirs].lease_owner == "other-host"
    assert len(sandbox.user(BOB).bot_messages) == 0
