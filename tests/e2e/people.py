"""Registered people for end-to-end tests: the org chart imported, an invitation redeemed."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from sandbox.client import SandboxUser
from sandbox.server import BotApiSandbox
from storage import inbox
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


async def replayed(db: Database, user: SandboxUser, timeout: float = 20.0) -> None:
    """After a restart: wait until the inbox has taken up what the crash interrupted (an
    applied update shows the person their current question again), then skip those messages."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while await inbox.unfinished(db):
        assert loop.time() < deadline, "the inbox did not take up the interrupted updates"
        await asyncio.sleep(0.05)
    user.skip_pending()
