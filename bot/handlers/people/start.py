"""/start, /help and /cancel: the bot's first words, and registration by invitation."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import services
from bot.handlers.gate import OPEN_COMMANDS
from bot.identity import current_actor, forget_actor
from bot.ui.commands import entries
from bot.ui.render import render
from workflow.core.access import Action, Actor, may_ever
from workflow.people.persons import profile
from workflow.people.registration import redeem_invitation

# What a guest may use is what the gate lets through to a stranger.
GUEST_COMMANDS = frozenset(command.lstrip("/") for command in OPEN_COMMANDS)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Register with an invitation token, or greet the person."""
    if context.args:
        await register(update, context, context.args[0])
        return
    actor = await current_actor(update, context)
    if actor is None:
        user = update.effective_user
        text = render("welcome_guest", name=user.full_name if user else None)
    else:
        mine = await profile(services.get(context).db, actor=actor)
        text = render("profile", greeting=True, name=mine.name, roles=mine.roles)
    await update.effective_message.reply_text(text)


async def register(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> None:
    """Redeem the invitation token of a deep link and say what happened."""
    user = update.effective_user
    outcome = await redeem_invitation(
        services.get(context).db,
        token=token,
        telegram_user_id=user.id,
        telegram_name=user.full_name,
        telegram_username=user.username,
    )
    if not outcome.ok:
        await update.effective_message.reply_text(
            render("invitation_invalid", status=outcome.status)
        )
        return
    forget_actor(context)  # the person's roles just changed
    await update.effective_message.reply_text(
        render(
            "registered",
            status=outcome.status,
            name=outcome.name,
            role=outcome.role,
            organisation=outcome.organisation_name,
            roles=outcome.roles,
        )
    )


def allowed_commands(actor: Actor | None) -> list[tuple[str, str]]:
    """The menu entries this person may use: a guest's few, or what their roles allow."""
    if actor is None:
        return [(c, d) for c, d, _ in entries() if c in GUEST_COMMANDS]
    return [
        (command, description)
        for command, description, action in entries()
        if action is None or may_ever(actor, Action(action))
    ]


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands this person may use."""
    actor = await current_actor(update, context)
    await update.effective_message.reply_text(
        render("help", commands=allowed_commands(actor), guest=actor is None)
    )


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Nothing is in progress outside a conversation: say so."""
    await update.effective_message.reply_text(render("cancelled", had_something=False))


def build_handlers() -> list[BaseHandler]:
    """The handlers of this feature."""
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("cancel", cancel),
    ]
