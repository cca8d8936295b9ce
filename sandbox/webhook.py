"""Pushing updates to a set webhook, as Telegram does.

While a webhook is set, pending updates are POSTed to it one at a time, oldest first, as JSON
with the secret token in `X-Telegram-Bot-Api-Secret-Token`. A 2xx answer confirms the update
(Telegram forgets it); anything else, or no answer, keeps it and it is sent again after a
pause that doubles up to a ceiling, the error shown in getWebhookInfo. A lost answer (the
bot said 200, the connection dropped before Telegram read it) can be injected: the update is
then sent again though the bot took it. One at a time keeps
each chat's order, which Telegram keeps too (a chat's next update waits for the 200).

Only addresses on this machine are reached: a webhook elsewhere counts as unreachable, so a
test never sends anything off the machine.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sandbox.state import LOCAL_HOSTS, SandboxState, WebhookDelivery

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
NO_ANSWER = 0  # recorded status when the bot could not be reached or did not answer


class WebhookPusher:
    """The background task that delivers pending updates to the webhook."""

    def __init__(
        self,
        state: SandboxState,
        *,
        timeout: float = 10.0,
        first_retry: float = 0.1,
        longest_retry: float = 2.0,
    ) -> None:
        self.state = state
        self.timeout = timeout
        self.first_retry = first_retry
        self.longest_retry = longest_retry
        self.answers_to_lose = 0  # fault: the bot's next 2xx answers never reach "Telegram"
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin pushing (a no-op while no webhook is set)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="sandbox-webhook-pusher")

    async def stop(self) -> None:
        """Stop pushing; an update in flight stays pending."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def wait_for(self, update_id: int, *, timeout: float) -> WebhookDelivery:
        """The first push of `update_id` the bot accepted (2xx); TimeoutError if none comes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for delivery in self.state.webhook_deliveries:
                if delivery.update_id == update_id and delivery.ok:
                    return delivery
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"update {update_id} was not accepted by the webhook")
            await self.state.webhook_delivered.wait(remaining)

    async def _run(self) -> None:
        """Deliver the oldest pending update, again and again, pausing after failures."""
        queue = self.state.updates
        failures = 0
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self.state.stopping:
                hook = self.state.webhook
                batch = queue.take(1) if hook else []
                if hook is None or not batch:
                    await queue.changed.wait(1.0)
                    continue
                update = batch[0]
                status, error = await self._post(session, hook["url"], update)
                lost = 200 <= status < 300 and self.answers_to_lose > 0
                self._record(update["update_id"], status, lost=lost)
                if lost:
                    self.answers_to_lose -= 1
                    error = "Read timeout expired"
                elif 200 <= status < 300:
                    queue.confirm(update["update_id"] + 1)
                    failures = 0
                    continue
                hook["last_error_date"] = int(time.time())
                hook["last_error_message"] = error
                failures += 1
                pause = min(self.first_retry * 2 ** (failures - 1), self.longest_retry)
                await asyncio.sleep(pause)  # stop() cancels it

    async def _post(
        self, session: aiohttp.ClientSession, url: str, update: dict[str, Any]
    ) -> tuple[int, str]:
        """POST one update; the status and Telegram's wording of a failure."""
        if urlsplit(url).hostname not in LOCAL_HOSTS:
            return NO_ANSWER, "Connection refused (the sandbox reaches this machine only)"
        headers = {"Content-Type": "application/json"}
        if self.state.webhook_secret is not None:
            headers[SECRET_HEADER] = self.state.webhook_secret
        try:
            async with session.post(url, data=json.dumps(update), headers=headers) as answer:
                await answer.read()
                return answer.status, f"Wrong response from the webhook: {answer.status}"
        except TimeoutError:
            return NO_ANSWER, "Read timeout expired"
        except aiohttp.ClientError as error:
            return NO_ANSWER, f"Connection failed: {type(error).__name__}"

    def _record(self, update_id: int, status: int, *, lost: bool) -> None:
        """Keep the delivery for tests, and wake whoever waits for one."""
        delivery = WebhookDelivery(update_id, status, time.time(), lost=lost)
        self.state.webhook_deliveries.append(delivery)
        self.state.webhook_delivered.notify()
