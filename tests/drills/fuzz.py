"""The fuzz drill: generated input through the real bot — texts at form steps, commands with
odd arguments, junk buttons, stickers, edits, group chats. Nothing may crash, every press
must be answered.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from sandbox.client import SandboxUser
from sandbox.harness import BotProcess
from sandbox.server import BotApiSandbox

ODD = [
    "\u200b",
    "\ufeff",
    "\u200f",
    "\u202e",
    "①",
    "²",
    "٣",
    "１２",
    "💥",
    "<b>",
    "&amp;",
    "'",
    '"',
]
COMMANDS = [
    "/new", "/todo", "/projects", "/me", "/help", "/cancel", "/resume", "/issue", "/budget",
    "/disclosure", "/adjust", "/revoke", "/funds", "/adhoc", "/track", "/evaluate", "/checks",
    "/sample", "/select", "/deadlines", "/calendar", "/start", "/users", "/invite", "/unknown",
]  # fmt: skip
PREFIXES = [
    "rv:ap:",
    "rv:rt:t",
    "pj:c:",
    "pj:ls:",
    "adm:ri:",
    "fm:1:1:c:",
    "tk:c:",
    "ev:c:",
    "rs:e:",
    "zz:",
]


@dataclass
class FuzzTally:
    """What the drill counted."""

    inputs: int = 0
    presses: int = 0
    unanswered: int = 0
    crashes: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The figures as the README reports them."""
        return (
            f"fuzz drill: {self.inputs} inputs ({self.presses} button presses), "
            f"{self.crashes} crashes, {self.unanswered} presses unanswered"
        )


def _text(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return "".join(rng.choice(ODD) for _ in range(rng.randrange(1, 6)))
    if kind == 1:
        return str(rng.choice([0, -1, 2**31, 2**63, 10**30, 3.5, 1e308]))
    if kind == 2:
        return rng.choice(["测试", "项目", "2026-02-30", "120万", "是", "否", "%"]) * rng.randrange(
            1, 4
        )
    if kind == 3:
        return rng.choice(COMMANDS) + " " + rng.choice([*ODD, "P" + str(2**40), "I0", "2026", ""])
    if kind == 4:
        return "字" * rng.choice([4096, 5000, 1])
    return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(1, 40)))


async def run_fuzz_drill(
    sandbox: BotApiSandbox,
    bot: BotProcess,
    people: list[SandboxUser],
    group: SandboxUser,
    *,
    inputs: int,
    seed: int = 11,
) -> FuzzTally:
    """Send `inputs` generated updates from `people` (and the group) and check the bot."""
    rng = random.Random(seed)
    tally = FuzzTally()
    queries: dict[str, str] = {}
    for n in range(inputs):
        user = rng.choice([*people, group])
        roll = rng.random()
        if roll < 0.6:
            await user.send_text(_text(rng))
        elif roll < 0.75 and user.bot_messages:
            anchor = user.bot_messages[-1]["message_id"]
            data = rng.choice(PREFIXES) + rng.choice(["1", str(2**40), "①", "x" * 50, ""])
            query = await user.press_data(anchor, data.encode()[:64].decode(errors="ignore"))
            queries[query["id"]] = f"{user.chat_id} {data}"
            tally.presses += 1
        elif roll < 0.85:
            await user.send_sticker()
        elif roll < 0.95 and user.messages:
            own = [m for m in user.messages if not m["from"].get("is_bot") and "text" in m]
            if own:
                await user.edit_text(own[-1]["message_id"], _text(rng))
            else:
                await user.send_text(_text(rng))
        else:
            await user.send_photo(caption=_text(rng)[:100])
        tally.inputs += 1
        if n % 10 == 9:
            await _settle(sandbox)
    await _settle(sandbox)
    await asyncio.sleep(1.0)
    unanswered = [data for q, data in queries.items() if q not in sandbox.state.callback_answers]
    tally.unanswered = len(unanswered)
    tally.problems.extend(f"press not answered: {data}" for data in unanswered)
    log = bot.log()
    tally.crashes = log.count(" while handling ") + log.count("Traceback")
    if not bot.running:
        tally.problems.append("the bot died")
    return tally


async def _settle(sandbox: BotApiSandbox, timeout: float = 60.0) -> None:
    """Wait until the bot has taken every update sent so far."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while sandbox.pending_updates and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
