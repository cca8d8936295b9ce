"""Registered people for end-to-end tests: the org chart imported, an invitation redeemed."""

from __future__ import annotations

from sqlalchemy import select

from sandbox.client import SandboxUser
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import Organisation
from workflow.core.access import TERMINAL
from workflow.people.invitations import create_invitation
from workflow.people.orgchart import import_orgchart

ORG_CHART = (
    "code,name,kind,parent,section\n"
    "B01,预算科,budget_section,,\n"
    "S01,行政政法科,business_section,,\n"
    "D01,市司法局,department,,S01\n"
)


async def registered(
    sandbox: BotApiSandbox,
    db: Database,
    user_id: int,
    *,
    role: str = "admin",
    organisation: str = "B01",
    name: str = "管理员甲",
) -> SandboxUser:
    """A person registered through /start in their private chat (the chart imported once)."""
    async with db.sessions() as session:
        imported = await session.scalar(select(Organisation.id).limit(1))
    if imported is None:
        assert (await import_orgchart(db, actor=TERMINAL, data=ORG_CHART.encode())).ok
    invitation = await create_invitation(
        db, actor=TERMINAL, role=role, organisation_code=organisation, name=name
    )
    person = sandbox.add_user(user_id, name)
    await person.send_text(f"/start {invitation.token}")
    assert "登记成功" in (await person.wait_for_message(timeout=15))["text"]
    return person
