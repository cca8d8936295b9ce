"""`perfbot org import`, `perfbot invite` and `perfbot users`: set the bureau up from a terminal.

The command line acts as the administrator at the terminal (`workflow.core.access.TERMINAL`):
whoever can run it can reach the database anyway, and the first administrator comes from
here (`perfbot invite --role admin --org <code>`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from bot.cli.db import run_with_database
from bot.cli.text import cli_text
from bot.config import Settings
from bot.ui import vocabulary
from storage.db import Database
from storage.models import Role
from workflow.core.access import TERMINAL
from workflow.people.invitations import (
    DEFAULT_EXPIRY_DAYS,
    MAX_EXPIRY_DAYS,
    InvalidInvitation,
    NewInvitation,
    RevokeStatus,
    create_invitation,
    pending_invitations,
    revoke_invitation,
)
from workflow.people.orgchart import import_orgchart
from workflow.people.persons import RoleHeld, list_people, revoke_roles

ROLES = [role.value for role in Role]
BOT_LOOKUP_SECONDS = 5.0


def _role(role: str) -> str:
    return vocabulary.label(role, "role")


def _roles(held: tuple[RoleHeld, ...]) -> str:
    return "，".join(f"{_role(r.role)}·{r.organisation_code}" for r in held) or "-"


def cmd_org_import(settings: Settings, args: argparse.Namespace) -> int:
    """Import the org chart from a CSV file, all of it or nothing."""
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(cli_text("file_unreadable", path=path, detail=exc.strerror), file=sys.stderr)
        return 1
    result = run_with_database(settings, lambda db: import_orgchart(db, actor=TERMINAL, data=data))
    if isinstance(result, str):
        print(result, file=sys.stderr)
        return 2
    if not result.ok:
        print(cli_text("org_import_refused", count=len(result.problems)), file=sys.stderr)
        for problem in result.problems:
            text = cli_text(
                f"org_problem_{problem.problem}", code=problem.code, value=problem.value
            )
            print(cli_text("org_problem_line", line=problem.line, text=text), file=sys.stderr)
        return 1
    print(
        cli_text(
            "org_imported",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
    )
    return 0


async def _bot_username(settings: Settings) -> str | None:
    """The bot's @username from the Bot API, if a token is set and the API answers soon."""
    token = settings.token()
    if token is None:
        return None
    bot = Bot(token, base_url=settings.telegram_base_url)
    try:
        async with asyncio.timeout(BOT_LOOKUP_SECONDS):
            me = await bot.get_me()
        return me.username
    except (TelegramError, TimeoutError, OSError):
        return None
    finally:
        try:
            await bot.shutdown()
        except TelegramError:
            pass


def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    """Make an invitation; the token is printed alone on the last line."""
    if args.role is None or args.org is None:
        print(cli_text("invite_needs_role_and_org"), file=sys.stderr)
        return 2

    async def work(db: Database) -> NewInvitation | str:
        try:
            return await create_invitation(
                db,
                actor=TERMINAL,
                role=args.role,
                organisation_code=args.org,
                name=args.name,
                expires_days=args.expires_days,
            )
        except InvalidInvitation as refused:
            return cli_text(
                f"invite_{refused.problem}", value=refused.value, max_days=MAX_EXPIRY_DAYS
            )

    created = run_with_database(settings, work)
    if isinstance(created, str):
        print(created, file=sys.stderr)
        return 1
    username = args.bot_username or asyncio.run(_bot_username(settings))
    expires = created.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    print(
        cli_text(
            "invitation_created",
            id=created.id,
            role=_role(created.role),
            organisation=created.organisation_name,
            code=created.organisation_code,
            name=created.name or "-",
            expires=expires,
            timezone=settings.timezone,
        )
    )
    if username:
        print(cli_text("invitation_link", link=f"https://t.me/{username}?start={created.token}"))
    # "或…" only follows a link; alone, the token is the way.
    print(cli_text("invitation_token_follows" if username else "invitation_token_only"))
    print(created.token)
    return 0


def cmd_invite_list(settings: Settings, _args: argparse.Namespace) -> int:
    """List invitations that can still be used."""
    pending = run_with_database(settings, lambda db: pending_invitations(db, actor=TERMINAL))
    if isinstance(pending, str):
        print(pending, file=sys.stderr)
        return 2
    print(cli_text("invitations_header", count=len(pending)))
    for inv in pending:
        expires = inv.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
        print(
            cli_text(
                "invitation_row",
                id=inv.id,
                role=_role(inv.role),
                code=inv.organisation_code,
                organisation=inv.organisation_name,
                name=inv.name or "-",
                expires=expires,
            )
        )
    return 0


def cmd_invite_revoke(settings: Settings, args: argparse.Namespace) -> int:
    """Revoke an unused invitation by its number."""
    status = run_with_database(
        settings,
        lambda db: revoke_invitation(db, actor=TERMINAL, invitation_id=args.invitation_id),
    )
    if not isinstance(status, RevokeStatus):
        print(status, file=sys.stderr)
        return 2
    print(cli_text(f"invitation_{status}", id=args.invitation_id))
    return 0 if status == "revoked" else 1


def cmd_users(settings: Settings, args: argparse.Namespace) -> int:
    """List people with their roles."""
    people = run_with_database(
        settings, lambda db: list_people(db, actor=TERMINAL, organisation_code=args.org)
    )
    if isinstance(people, str):
        print(people, file=sys.stderr)
        return 2
    print(cli_text("users_header", count=len(people)))
    for person in people:
        username = f"@{person.telegram_username}" if person.telegram_username else "-"
        print(
            cli_text(
                "user_row",
                id=person.id,
                name=person.name,
                username=username,
                roles=_roles(person.roles),
            )
        )
    return 0


def cmd_users_revoke(settings: Settings, args: argparse.Namespace) -> int:
    """Take away a person's roles (all, or one role, or those in one organisation)."""
    outcome = run_with_database(
        settings,
        lambda db: revoke_roles(
            db,
            actor=TERMINAL,
            person_id=args.person_id,
            role=Role(args.role) if args.role else None,
            organisation_code=args.org,
        ),
    )
    if isinstance(outcome, str):
        print(outcome, file=sys.stderr)
        return 2
    if outcome.person_name is None:
        print(cli_text("person_not_found", id=args.person_id), file=sys.stderr)
        return 1
    if not outcome.revoked:
        print(cli_text("roles_none_matching", name=outcome.person_name))
        return 1
    print(cli_text("roles_revoked", name=outcome.person_name, roles=_roles(outcome.revoked)))
    return 0


def register(sub: Any) -> None:
    """Add `org`, `invite` and `users` to the `perfbot` command line."""
    org = sub.add_parser("org", help="the org chart").add_subparsers(dest="org", required=True)
    imp = org.add_parser("import", help="import organisations from a CSV file")
    imp.add_argument("file", help="UTF-8 CSV with columns code,name,kind,parent,section")
    imp.set_defaults(func=cmd_org_import)

    invite = sub.add_parser("invite", help="invite a person (prints a single-use start token)")
    invite.add_argument("--role", choices=ROLES)
    invite.add_argument("--org", help="code of the organisation the role belongs to")
    invite.add_argument("--name", help="the invited person's name")
    invite.add_argument("--expires-days", type=int, default=DEFAULT_EXPIRY_DAYS)
    invite.add_argument("--bot-username", help="for the t.me link (default: asked from the API)")
    invite.set_defaults(func=cmd_invite)
    more = invite.add_subparsers(dest="invite_command", required=False)
    more.add_parser("list", help="invitations still usable").set_defaults(func=cmd_invite_list)
    rev = more.add_parser("revoke", help="revoke an unused invitation")
    rev.add_argument("invitation_id", type=int)
    rev.set_defaults(func=cmd_invite_revoke)

    users = sub.add_parser("users", help="registered people and their roles")
    users.add_argument("--org", help="only people with a role in this organisation")
    users.set_defaults(func=cmd_users)
    user_commands = users.add_subparsers(dest="users_command", required=False)
    take = user_commands.add_parser("revoke", help="take roles away from a person")
    take.add_argument("person_id", type=int)
    take.add_argument("--role", choices=ROLES)
    take.add_argument("--org", help="only the roles in this organisation")
    take.set_defaults(func=cmd_users_revoke)
