"""The sandbox's webhook: updates pushed with the secret, retried until a 2xx, polling refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from sandbox import BotApiSandbox
from sandbox.webhook import SECRET_HEADER

SECRET = "s3cret_token-1"


@dataclass
class Receiver:
    """A webhook endpoint that answers with the statuses it is told, and keeps what came."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiSandbox]:
    """A running sandbox whose pushes are retried quickly."""
    async with BotApiSandbox() as running:
        running.pusher.first_retry = 0.02
        running.pusher.longest_retry = 0.1
        yield running


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """The bot's side of the webhook, on this machine."""
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    found.url = f"http://127.0.0.1:{port}/hook"
    yield found
    await runner.cleanup()


async def _until(condition: Any, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition never held"
        await asyncio.sleep(0.01)


async def test_updates_are_pushed_in_order_with_the_secret(
    sandbox: BotApiSandbox, bot: Bot, receiver: Receiver
) -> None:
    alice = sandbox.add_user(1001, "Alice")
    await bot.set_webhook(receiver.url, secret_token=SECRET, allowed_updates=["message"])
    for text in ("一", "二", "三"):
        await alice.send_text(text)
    await _until(lambda: len(receiver.received) == 3)
    assert [secret for secret, _ in receiver.received] == [SECRET] * 3
    assert [update["message"]["text"] for _, update in receiver.received] == ["一", "二", "三"]
    await _until(lambda: not sandbox.pending_updates)  # a 200 confirms
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()


async def test_a_failed_push_is_sent_again_until_a_2xx(
    sandbox: BotApiSandbox, bot: Bot, receiver: Receiver
) -> None:
    alice = sandbox.add_user(1001, "Alice")
    receiver.statuses = [500, 403]
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    await alice.send_text("保存")
    update_id = sandbox.state.updates.next_id - 1
    delivered = await sandbox.wait_for_delivery(update_id, timeout=5)
    assert delivered.status == 200
    assert [d.status for d in sandbox.webhook_deliveries] == [500, 403, 200]
    assert len(receiver.received) == 3 and not sandbox.pending_updates
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 403"


async def test_an_unreachable_webhook_keeps_the_update(sandbox: BotApiSandbox, bot: Bot) -> None:
    alice = sandbox.add_user(1001, "Alice")
    await bot.set_webhook("http://127.0.0.1:9/hook", secret_token=SECRET)  # nobody listens
    await alice.send_text("还在吗")
    await _until(lambda: len(sandbox.webhook_deliveries) >= 2)
    assert {d.status for d in sandbox.webhook_deliveries} == {0}
    assert len(sandbox.pending_updates) == 1
    assert (await bot.get_webhook_info()).last_error_message


async def test_a_lost_answer_means_the_update_comes_again(
    sandbox: BotApiSandbox, bot: Bot, receiver: Receiver
) -> None:
    alice = sandbox.add_user(1001, "Alice")
    sandbox.lose_webhook_answers(1)
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    await alice.send_text("一次")
    await _until(lambda: not sandbox.pending_updates)
    ids = [update["update_id"] for _, update in receiver.received]
    assert len(ids) == 2 and ids[0] == ids[1]
    assert [d.lost for d in sandbox.webhook_deliveries] == [True, False]


async def test_deleting_the_webhook_stops_pushing(
    sandbox: BotApiSandbox, bot: Bot, receiver: Receiver
) -> None:
    alice = sandbox.add_user(1001, "Alice")
    receiver.statuses = [502] * 1000
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    await alice.send_text("留着")
    await _until(lambda: receiver.received)
    assert await bot.delete_webhook()
    pushes = len(receiver.received)
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["留着"]
    await asyncio.sleep(0.2)
    assert len(receiver.received) <= pushes + 1  # at most the push that was in flight


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("http://perfbot.example/hook", SECRET),  # plain HTTP off this machine
        ("ftp://127.0.0.1/hook", SECRET),
        ("https://perfbot.example/hook", "not allowed!"),
        ("https://perfbot.example/hook", "x" * 257),
    ],
)
async def test_bad_webhooks_are_refused(bot: Bot, url: str, secret: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)bad webhook"):
        await bot.set_webhook(url, secret_token=secret)
