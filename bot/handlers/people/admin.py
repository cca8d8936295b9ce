"""/invite, /users and /revoke: the administrator manages people from the chat."""

from __future__ import annotations

import html
import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import services
from bot.identity import checked_actor
from bot.ui.buttons import label
from bot.ui.callbacks import (
    REVOKE_DECLINED,
    REVOKE_INVITATION_PATTERN,
    REVOKE_ROLES_PATTERN,
    parse_revoke_invitation,
    parse_revoke_roles,
    revoke_invitation_data,
    revoke_roles_data,
)
from bot.ui.render import render
from bot.ui.replies import reply_parts
from bot.ui.vocabulary import typed_roles
from storage.models import Role
from workflow.core import numbers
from workflow.core.access import Action, Actor
from workflow.people.invitations import (
    DEFAULT_EXPIRY_DAYS,
    MAX_EXPIRY_DAYS,
    InvalidInvitation,
    create_invitation,
    pending_invitations,
    revoke_invitation,
)
from workflow.people.persons import count_people, list_people, revoke_roles, roles_to_revoke

MAX_REVOKE_BUTTONS = 10
USERS_PAGE = 30  # people (and invitations) per /users page
_INVITATION_REF = re.compile(r"[Ii]([0-9]{1,12})")
_PERSON_REF = re.compile(r"[Pp]([0-9]{1,12})")


def _parse_role(word: str) -> str:
    """A role code from what the administrator typed (unknown words pass through)."""
    words = typed_roles()  # the words of the messages, their aliases, or the codes
    return words.get(word.strip().lower()) or words.get(word.strip()) or word


async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Make an invitation: /invite <role> <organisation code> [name] [days]."""
    actor = await checked_actor(update, context, Action.INVITE)
    args = list(context.args or [])
    if len(args) < 2:
        await update.effective_message.reply_text(
            render("invite_usage", default_days=DEFAULT_EXPIRY_DAYS)
        )
        return
    days = DEFAULT_EXPIRY_DAYS
    if len(args) > 2 and numbers.whole_number(args[-1]) is not None:
        days = numbers.whole_number(args.pop()) or 0
    name = " ".join(args[2:]) or None
    settings = services.get(context).settings
    try:
        created = await create_invitation(
            services.get(context).db,
            actor=actor,
            role=_parse_role(args[0]),
            organisation_code=args[1],
            name=name,
            expires_days=days,
        )
    except InvalidInvitation as refused:
        await update.effective_message.reply_text(
            render(
                "invite_refused",
                problem=refused.problem,
                value=refused.value,
                max_days=MAX_EXPIRY_DAYS,
            )
        )
        return
    link = f"https://t.me/{context.bot.username}?start={created.token}"
    await update.effective_message.reply_text(
        render("invitation_created", invitation=created, link=link, tz=settings.tz),
        disable_web_page_preview=True,
    )


async def users(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List registered people and pending invitations: /users [organisation code]."""
    actor = await checked_actor(update, context, Action.VIEW_USERS)
    db = services.get(context).db
    args = list(context.args or [])
    page = numbers.whole_number(args.pop(), low=1) if args and args[-1].isdigit() else 1
    organisation_code = args[0] if args else None
    offset = ((page or 1) - 1) * USERS_PAGE
    people = await list_people(
        db, actor=actor, organisation_code=organisation_code, limit=USERS_PAGE, offset=offset
    )
    total = await count_people(db, actor=actor, organisation_code=organisation_code)
    invitations = await pending_invitations(db, actor=actor, limit=USERS_PAGE, offset=offset)
    text = render(
        "users_list",
        people=people,
        total=total,
        page=page or 1,
        pages=max(1, -(-total // USERS_PAGE)),
        invitations=invitations,
        organisation_code=organisation_code,
        tz=services.get(context).settings.tz,
    )
    await reply_parts(update.effective_message, text)


def _ref(pattern: re.Pattern[str], args: list[str]) -> int | None:
    """The id in `I12` / `P7` when the first argument is one (and a possible id)."""
    match = pattern.fullmatch(args[0]) if args else None
    return numbers.record_id(match.group(1)) if match else None


async def revoke(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Revoke an invitation (I<n>) or a person's roles (P<n> [role organisation])."""
    actor = await checked_actor(update, context, Action.REVOKE)
    args = list(context.args or [])
    invitation = _ref(_INVITATION_REF, args)
    person = _ref(_PERSON_REF, args)
    if invitation is not None:
        text = await _revoke_invitation(context, actor, invitation)
    elif person is not None and len(args) in (1, 3):
        await _confirm_revoke_roles(update, context, actor, person, args[1:])
        return
    else:
        await _revoke_menu(update, context, actor)
        return
    await update.effective_message.reply_text(text)


async def _revoke_invitation(
    context: ContextTypes.DEFAULT_TYPE, actor: Actor, invitation_id: int
) -> str:
    """Revoke one invitation and describe the outcome."""
    status = await revoke_invitation(
        services.get(context).db, actor=actor, invitation_id=invitation_id
    )
    return render("revoke_result", kind="invitation", status=status, invitation_id=invitation_id)


async def _confirm_revoke_roles(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    actor: Actor,
    person_id: int,
    which: list[str],
) -> None:
    """Show whose roles would go and ask to confirm; nothing changes yet."""
    role = organisation_code = None
    if which:
        role_code = _parse_role(which[0])
        if role_code not in typed_roles().values():
            await update.effective_message.reply_text(render("revoke_usage", invitations=[]))
            return
        role, organisation_code = Role(role_code), which[1]
    preview = await roles_to_revoke(
        services.get(context).db,
        actor=actor,
        person_id=person_id,
        role=role,
        organisation_code=organisation_code,
    )
    keyboard = None
    if preview.revoked:
        confirm = revoke_roles_data(person_id, role.value if role else None, organisation_code)
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(label("revoke_confirm"), callback_data=confirm),
                    InlineKeyboardButton(label("revoke_cancel"), callback_data=REVOKE_DECLINED),
                ]
            ]
        )
    await update.effective_message.reply_text(
        render(
            "revoke_result",
            kind="person",
            confirm=True,
            person_id=person_id,
            person_name=preview.person_name,
            revoked=preview.revoked,
        ),
        reply_markup=keyboard,
    )


async def revoke_roles_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """确认撤销 (the roles go, the person is told) or 取消; the buttons leave the message."""
    query = update.callback_query
    actor = await checked_actor(update, context, Action.REVOKE)
    await query.edit_message_reply_markup(None)
    if query.data == REVOKE_DECLINED:
        await query.answer(render("revoke_declined"))
        return
    parsed = parse_revoke_roles(query.data)
    if parsed is None:
        await query.answer(render("button_expired"))
        return
    person_id, role, organisation_code = parsed
    outcome = await revoke_roles(
        services.get(context).db,
        actor=actor,
        person_id=person_id,
        role=Role(role) if role in typed_roles().values() else None,
        organisation_code=organisation_code,
    )
    await query.answer()
    await query.message.reply_text(
        render(
            "revoke_result",
            kind="person",
            person_id=person_id,
            person_name=outcome.person_name,
            revoked=outcome.revoked,
        )
    )


async def _revoke_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    """How to revoke, with a button for each of the newest pending invitations."""
    invitations = await pending_invitations(services.get(context).db, actor=actor)
    shown = invitations[:MAX_REVOKE_BUTTONS]
    keyboard = [
        [
            InlineKeyboardButton(
                html.unescape(render("revoke_button", invitation=invitation)),
                callback_data=revoke_invitation_data(invitation.id),
            )
        ]
        for invitation in shown
    ]
    await update.effective_message.reply_text(
        render("revoke_usage", invitations=shown),
        reply_markup=InlineKeyboardMarkup(keyboard) if keyboard else None,
    )


async def revoke_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A revoke button was pressed: revoke that invitation and drop its button."""
    query = update.callback_query
    invitation_id = parse_revoke_invitation(query.data)
    if invitation_id is None:
        await query.answer(render("button_expired"))
        return
    actor = await checked_actor(update, context, Action.REVOKE)
    text = await _revoke_invitation(context, actor, invitation_id)
    await query.answer(html.unescape(text)[:200])
    await _drop_button(query, revoke_invitation_data(invitation_id))


async def _drop_button(query: Any, data: str) -> None:
    """Remove the pressed button from the message's keyboard."""
    markup = query.message.reply_markup if query.message else None
    if markup is None:
        return
    rows = [
        [button for button in row if button.callback_data != data] for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    await query.edit_message_reply_markup(InlineKeyboardMarkup(rows) if rows else None)


def build_handlers() -> list[BaseHandler]:
    """The handlers of this feature."""
    return [
        CommandHandler("invite", invite),
        CommandHandler("users", users),
        CommandHandler("revoke", revoke),
        CallbackQueryHandler(revoke_button, pattern=REVOKE_INVITATION_PATTERN),
        CallbackQueryHandler(revoke_roles_button, pattern=REVOKE_ROLES_PATTERN),
    ]
