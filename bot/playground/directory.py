"""The web chat's view of the bot's people: roles, organisations and invitations."""

from __future__ import annotations

from sqlalchemy import select

from bot.cli.text import cli_text
from bot.ui import vocabulary
from sandbox.webchat import Choice, Options, PersonCard
from storage.db import Database
from storage.models import Organisation, Person, Role
from workflow.core.access import TERMINAL
from workflow.people.invitations import MAX_EXPIRY_DAYS, InvalidInvitation, create_invitation
from workflow.people.persons import roles_held


class BotDirectory:
    """Reads the bot's database; invites as the administrator at the terminal does."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def cards(self) -> dict[int, PersonCard]:
        """Role and organisation of every registered person, by Telegram id."""
        async with self.db.transaction() as session:
            people = dict(
                (
                    await session.execute(
                        select(Person.id, Person.telegram_user_id).where(
                            Person.telegram_user_id.is_not(None)
                        )
                    )
                ).all()
            )
            held = await roles_held(session, people)
        cards = {}
        for person_id, telegram_id in people.items():
            roles = held.get(person_id, [])
            cards[int(telegram_id)] = PersonCard(
                role="、".join(dict.fromkeys(vocabulary.label(r.role, "role") for r in roles)),
                organisation="、".join(dict.fromkeys(r.organisation_name for r in roles)),
            )
        return cards

    async def options(self) -> Options:
        """Every role, and every organisation in the database."""
        async with self.db.transaction() as session:
            organisations = (
                await session.execute(
                    select(Organisation.code, Organisation.name).order_by(Organisation.code)
                )
            ).all()
        return Options(
            roles=tuple(Choice(role.value, vocabulary.label(role, "role")) for role in Role),
            organisations=tuple(Choice(code, name) for code, name in organisations),
        )

    async def invite(self, *, name: str, role: str, organisation: str) -> str:
        """A fresh invitation's token; ValueError with the administrator's message if refused."""
        try:
            invitation = await create_invitation(
                self.db, actor=TERMINAL, role=role, organisation_code=organisation, name=name
            )
        except InvalidInvitation as refused:
            message = cli_text(
                f"invite_{refused.problem}", value=refused.value, max_days=MAX_EXPIRY_DAYS
            )
            raise ValueError(message) from None
        return invitation.token
