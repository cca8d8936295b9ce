"""No silence: a registered person's message that nothing else handles still gets an answer.

An unknown command, chatter outside a form ("你好，我想申报项目"), a sticker, a photo: the
answer says what the person can do now (draft projects, the /todo count, /help) and, for
words that suggest an intent (申报 → /new), the command for it. The handler sits in the last
group and first asks every feature's handler whether it takes the update; the form runner
(-2) and the gate (-1) stop the updates they act on, so a form answer or a stranger's
message never reaches it.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache

from telegram import Message, Update
from telegram.ext import BaseHandler, ContextTypes, MessageHandler, filters

from bot import services
from bot.handlers.people.start import allowed_commands
from bot.identity import current_actor
from bot.ui.render import TEMPLATES, render
from workflow.core.access import Action, may_ever
from workflow.dashboards.now import standing

FALLBACK_GROUP = 100  # after every feature (group 0 and up)
MAX_HINTS = 3


@lru_cache(maxsize=1)
def intents() -> tuple[tuple[tuple[str, ...], str], ...]:
    """(words, command) pairs of templates/intents.toml, in order."""
    found = tomllib.loads((TEMPLATES / "intents.toml").read_text(encoding="utf-8"))["intents"]
    return tuple((tuple(entry["words"]), entry["command"]) for entry in found)


def hints(text: str, allowed: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The commands the words of `text` suggest, among those the person may use."""
    descriptions = dict(allowed)
    chosen: list[tuple[str, str]] = []
    for words, command in intents():
        if command in descriptions and any(word in text for word in words):
            if (command, descriptions[command]) not in chosen:
                chosen.append((command, descriptions[command]))
    return chosen[:MAX_HINTS]


def _handled_elsewhere(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether a handler of a feature group (0 up to ours) takes this update."""
    for group, handlers in context.application.handlers.items():
        if 0 <= group < FALLBACK_GROUP:
            for handler in handlers:
                found = handler.check_update(update)
                if found is not None and found is not False:
                    return True
    return False


def _kind(message: Message) -> tuple[str, str | None]:
    """("command", "/x") for a command, ("text", None) for words, ("other", None) else."""
    text = message.text or ""
    if text.startswith("/"):
        return "command", text.split(maxsplit=1)[0].split("@", 1)[0]
    return ("text", None) if text else ("other", None)


async def unhandled(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer with what the person can do now and the command their words suggest."""
    message = update.message
    if message is None or _handled_elsewhere(update, context):
        return
    actor = await current_actor(update, context)
    if actor is None:
        return  # strangers were answered by the gate
    kind, command = _kind(message)
    allowed = allowed_commands(actor)
    mine = await standing(services.get(context).db, actor=actor)
    await message.reply_text(
        render(
            "unhandled",
            kind=kind,
            command=command,
            hints=hints(message.text or message.caption or "", allowed) if kind == "text" else [],
            drafts=mine.drafts,
            draft_count=mine.draft_count,
            todo_count=mine.todo_count,
            may_todo=may_ever(actor, Action.VIEW_PROJECT),
        )
    )


def build_handlers() -> dict[int, list[BaseHandler]]:
    """The fallback, alone in the last group."""
    private_message = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return {FALLBACK_GROUP: [MessageHandler(private_message, unhandled)]}
