"""`make demo`: the real bot process against the offline sandbox, driven by scripted people.

Each scene drives one part of the yearly cycle and returns the chats it wants printed;
later features add scenes. The demo fails (exit 1) when the bot does not answer as expected.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.demo.evaluation import scene_self_evaluation
from bot.demo.goal import scene_goal_declaration
from bot.demo.review import scene_review_chain
from bot.demo.tracking import scene_tracking
from sandbox.client import SandboxUser
from sandbox.harness import BotProcess, BotProcessError
from sandbox.server import BotApiSandbox
from storage import inbox, migrate
from storage.db import Database


@dataclass
class DemoWorld:
    """What scenes share: the sandbox, the bot process and the bot's database."""

    sandbox: BotApiSandbox
    bot: BotProcess
    db: Database
    shown: list[tuple[str, SandboxUser]] = field(default_factory=list)

    def show(self, title: str, user: SandboxUser) -> None:
        """Print this chat in the transcript at the end (once, however many scenes show it)."""
        self.shown.append((title, user))

    async def restart(self) -> None:
        """Kill the bot and start it again, the moment marked in every chat."""
        await self.bot.restart()
        self.sandbox.note("🔄 绩效助手进程被终止后重新启动")
        # The inbox takes up what the kill interrupted (an applied answer shows the person
        # their current question again): let it finish, so the next answer is not mistaken.
        deadline = asyncio.get_running_loop().time() + 20
        while await inbox.unfinished(self.db):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the inbox did not take up the interrupted updates")
            await asyncio.sleep(0.05)
        for user in self.sandbox.users:
            user.skip_pending()


Scene = Callable[[DemoWorld], Awaitable[None]]


async def expect(user: SandboxUser, *fragments: str, timeout: float = 15.0) -> dict:
    """Wait for the bot's next message to this user and check it says what it should."""
    message = await user.wait_for_message(timeout=timeout)
    text = message.get("text") or message.get("caption") or ""
    missing = [fragment for fragment in fragments if fragment not in text]
    if missing:
        raise AssertionError(f"expected {missing} in the bot's answer:\n{text}")
    return message


async def scene_stranger(world: DemoWorld) -> None:
    """Someone without an invitation writes to the bot and learns how to get access."""
    stranger = world.sandbox.add_user(9001, "陌生人")
    await stranger.send_text("/start")
    await expect(stranger, "绩效助手", "邀请")
    world.show("未登记的人", stranger)


SCENES: tuple[Scene, ...] = (
    scene_stranger,
    scene_goal_declaration,
    scene_review_chain,
    scene_tracking,
    scene_self_evaluation,
)


def _print_transcripts(world: DemoWorld) -> None:
    """Each chat once, under every title the scenes gave it, in the order things happened."""
    chats: dict[int, tuple[list[str], SandboxUser]] = {}
    for title, user in world.shown:
        chats.setdefault(user.id, ([], user))[0].append(title)
    for titles, user in chats.values():
        print(f"\n━━━━ {'；'.join(titles)}（{user.first_name}）━━━━")
        print(user.story())


async def run_demo(*, database_url: str | None = None) -> int:
    """Run every scene against a fresh database; print the chats; 0 when all went well."""
    with tempfile.TemporaryDirectory(prefix="perfbot-demo-") as scratch:
        workdir = Path(scratch)
        url = database_url or f"sqlite+aiosqlite:///{workdir / 'demo.db'}"
        await asyncio.to_thread(migrate.upgrade, url)
        db = Database(url)
        async with BotApiSandbox(bot_name="绩效助手") as sandbox:
            bot = BotProcess(sandbox, database_url=url, workdir=workdir)
            world = DemoWorld(sandbox=sandbox, bot=bot, db=db)
            try:
                await bot.start()
                print(f"绩效助手 demo — offline Telegram sandbox at {sandbox.url}")
                for scene in SCENES:
                    print(f"▶ {scene.__doc__}")
                    await scene(world)
            except (AssertionError, TimeoutError, BotProcessError) as exc:
                _print_transcripts(world)
                log_tail = bot.log()[-4000:]
                print(f"\nDEMO FAILED: {exc}\n--- bot log ---\n{log_tail}", file=sys.stderr)
                return 1
            finally:
                await bot.stop()
                await db.dispose()
        _print_transcripts(world)
        print("\n✔ demo finished: every scene answered as expected")
        return 0
