"""Invitations: single use, expiry, revocation, forged tokens, extra roles, and who is who."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.__main__ import main
from bot.config import Settings
from storage.db import Database
from storage.models import (
    AuditEntry,
    Invitation,
    Organisation,
    OutboxMessage,
    Person,
    Role,
    RoleAssignment,
)
from workflow.core.access import TERMINAL, AccessDenied, Actor
from workflow.people.invitations import (
    TOKEN_PATTERN,
    InvalidInvitation,
    InvitationProblem,
    RevokeStatus,
    create_invitation,
    pending_invitations,
    revoke_invitation,
)
from workflow.people.persons import find_actor, list_people, load_actor, revoke_roles
from workflow.people.registration import RedeemStatus, redeem_invitation

NOW = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)
ALICE, BOB = 5001, 5002  # Telegram user ids


async def _bureau(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        section = Organisation(code="S01", name="行政政法科", kind="business_section")
        budget = Organisation(code="B01", name="预算科", kind="budget_section")
        session.add_all([section, budget])
        await session.flush()
        department = Organisation(
            code="D01", name="市司法局", kind="department", section_id=section.id
        )
        session.add(department)
        await session.flush()
        return {o.code: o.id for o in (section, budget, department)}


async def _invite(db: Database, role: str = "staff", org: str = "D01", **kwargs):
    return await create_invitation(
        db, actor=TERMINAL, role=role, organisation_code=org, now=NOW, **kwargs
    )


async def _redeem(db: Database, token: str, user: int = ALICE, *, now: dt.datetime = NOW):
    return await redeem_invitation(
        db,
        token=token,
        telegram_user_id=user,
        telegram_name="Alice Wang",
        telegram_username=f"user{user}",
        now=now,
    )


async def _count(db: Database, model: type) -> int:
    async with db.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_an_invited_person_registers_with_name_role_and_organisation(
    database: Database,
) -> None:
    ids = await _bureau(database)
    invitation = await _invite(database, name="王小丽")
    assert TOKEN_PATTERN.fullmatch(invitation.token) and len(invitation.token) >= 22
    outcome = await _redeem(database, invitation.token)
    assert outcome.status == RedeemStatus.registered
    assert (outcome.name, outcome.role, outcome.organisation_name) == (
        "王小丽",
        "staff",
        "市司法局",
    )
    assert [(r.role, r.organisation_code) for r in outcome.roles] == [(Role.staff, "D01")]
    actor = await find_actor(database, telegram_user_id=ALICE)
    assert actor.name == "王小丽"
    assert actor.roles == {(Role.staff, ids["D01"])}
    async with database.sessions() as session:
        stored = await session.get(Invitation, invitation.id)
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "register"))
    assert (stored.used_at, stored.used_by_id) == (NOW, actor.person_id)
    assert (entry.allowed, entry.actor_id, entry.telegram_user_id) == (True, actor.person_id, ALICE)


async def test_only_a_hash_of_the_token_is_kept(database: Database) -> None:
    await _bureau(database)
    invitation = await _invite(database)
    async with database.sessions() as session:
        stored = await session.get(Invitation, invitation.id)
    assert stored.token_hash == hashlib.sha256(invitation.token.encode()).hexdigest()
    assert invitation.token not in repr(stored.model_dump())


async def test_a_token_works_once_and_a_second_account_gets_nothing(database: Database) -> None:
    await _bureau(database)
    invitation = await _invite(database)
    assert (await _redeem(database, invitation.token)).ok
    again = await _redeem(database, invitation.token)
    other = await _redeem(database, invitation.token, BOB)
    assert (again.status, other.status) == (RedeemStatus.used, RedeemStatus.used)
    assert other.person_id is None and other.roles == ()
    assert await find_actor(database, telegram_user_id=BOB) is None
    assert await _count(database, Person) == 1
    assert await _count(database, RoleAssignment) == 1


async def test_two_accounts_racing_for_one_token_give_one_registration(
    database: Database,
) -> None:
    await _bureau(database)
    invitation = await _invite(database)
    outcomes = await asyncio.gather(
        _redeem(database, invitation.token, ALICE), _redeem(database, invitation.token, BOB)
    )
    assert sorted(o.status for o in outcomes) == [RedeemStatus.registered, RedeemStatus.used]
    assert await _count(database, Person) == 1


async def test_an_expired_token_changes_nothing(database: Database) -> None:
    await _bureau(database)
    invitation = await _invite(database, expires_days=3)
    late = await _redeem(database, invitation.token, now=NOW + dt.timedelta(days=3))
    assert late.status == RedeemStatus.expired
    assert await _count(database, Person) == 0
    just_in_time = await _redeem(
        database, invitation.token, now=NOW + dt.timedelta(days=3, seconds=-1)
    )
    assert just_in_time.status == RedeemStatus.registered


async def test_a_revoked_token_changes_nothing(database: Database) -> None:
    await _bureau(database)
    invitation = await _invite(database)
    assert (
        await revoke_invitation(database, actor=TERMINAL, invitation_id=invitation.id)
        == RevokeStatus.revoked
    )
    assert (await _redeem(database, invitation.token)).status == RedeemStatus.revoked
    assert await _count(database, Person) == 0
    assert (
        await revoke_invitation(database, actor=TERMINAL, invitation_id=invitation.id)
        == RevokeStatus.already_revoked
    )


async def test_a_used_invitation_cannot_be_revoked_and_unknown_ones_are_said_so(
    database: Database,
) -> None:
    await _bureau(database)
    invitation = await _invite(database)
    await _redeem(database, invitation.token)
    revoke = revoke_invitation
    assert await revoke(database, actor=TERMINAL, invitation_id=invitation.id) == "already_used"
    assert await revoke(database, actor=TERMINAL, invitation_id=999) == RevokeStatus.not_found


@pytest.mark.parametrize(
    ("token", "status"),
    [
        ("Zm9yZ2VkLXRva2VuLW9mLTIyYw", RedeemStatus.unknown),  # well formed, never issued
        ("x" * 65, RedeemStatus.malformed),
        ("abc def", RedeemStatus.malformed),
        ("<b>", RedeemStatus.malformed),
        ("токен", RedeemStatus.malformed),
    ],
)
async def test_forged_and_malformed_tokens_change_nothing_but_are_audited(
    database: Database, token: str, status: RedeemStatus
) -> None:
    await _bureau(database)
    await _invite(database)
    outcome = await _redeem(database, token)
    assert (outcome.status, outcome.ok) == (status, False)
    assert await _count(database, Person) == 0
    async with database.sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "register"))
    assert (entry.allowed, entry.telegram_user_id, entry.detail) == (
        False,
        ALICE,
        {"status": status.value},
    )


async def test_a_registered_person_gains_an_extra_role_with_a_new_token(
    database: Database,
) -> None:
    ids = await _bureau(database)
    await _redeem(database, (await _invite(database, name="王小丽")).token)
    second = await _invite(database, role="head", name="别的名字")
    outcome = await _redeem(database, second.token)
    assert outcome.status == RedeemStatus.role_added
    assert outcome.name == "王小丽"  # the person keeps their name
    actor = await find_actor(database, telegram_user_id=ALICE)
    assert actor.roles == {(Role.staff, ids["D01"]), (Role.head, ids["D01"])}
    assert await _count(database, Person) == 1
    third = await _invite(database, role="head")
    assert (await _redeem(database, third.token)).status == RedeemStatus.role_already_held
    assert await _count(database, RoleAssignment) == 2


async def test_a_revoked_role_makes_a_stranger_until_a_new_invitation(
    database: Database,
) -> None:
    ids = await _bureau(database)
    await _redeem(database, (await _invite(database)).token)
    person_id = (await find_actor(database, telegram_user_id=ALICE)).person_id
    gone = await revoke_roles(database, actor=TERMINAL, person_id=person_id, role=Role.staff)
    assert [(r.role, r.organisation_code) for r in gone.revoked] == [(Role.staff, "D01")]
    assert await find_actor(database, telegram_user_id=ALICE) is None
    back = await _redeem(database, (await _invite(database)).token)
    assert back.status == RedeemStatus.role_added
    assert (await find_actor(database, telegram_user_id=ALICE)).roles == {(Role.staff, ids["D01"])}


async def test_the_inviter_is_told_when_the_invitation_is_used(database: Database) -> None:
    ids = await _bureau(database)
    admin_invitation = await _invite(database, role="admin", org="B01")
    await _redeem(database, admin_invitation.token, BOB)
    admin = await find_actor(database, telegram_user_id=BOB)
    made = await create_invitation(
        database, actor=admin, role="business", organisation_code="S01", now=NOW
    )
    await _redeem(database, made.token, ALICE)
    async with database.sessions() as session:
        messages = list(await session.scalars(select(OutboxMessage)))
    assert [(m.person_id, m.template) for m in messages] == [(admin.person_id, "invitation_used")]
    assert messages[0].context == {
        "name": "Alice Wang",
        "role": "business",
        "organisation": "行政政法科",
    }
    assert ids  # the section exists


@pytest.mark.parametrize(
    ("role", "org", "days", "problem"),
    [
        ("boss", "D01", 7, InvitationProblem.unknown_role),
        ("staff", "NOPE", 7, InvitationProblem.unknown_organisation),
        ("business", "D01", 7, InvitationProblem.role_not_for_organisation),
        ("staff", "S01", 7, InvitationProblem.role_not_for_organisation),
        ("budget", "S01", 7, InvitationProblem.role_not_for_organisation),
        ("staff", "D01", 0, InvitationProblem.bad_expiry),
        ("staff", "D01", 91, InvitationProblem.bad_expiry),
    ],
)
async def test_an_invitation_that_makes_no_sense_is_refused(
    database: Database, role: str, org: str, days: int, problem: InvitationProblem
) -> None:
    await _bureau(database)
    with pytest.raises(InvalidInvitation) as refused:
        await _invite(database, role=role, org=org, expires_days=days)
    assert refused.value.problem == problem
    assert await _count(database, Invitation) == 0


async def test_an_administrator_may_sit_in_any_organisation(database: Database) -> None:
    await _bureau(database)
    for org in ("B01", "S01", "D01"):
        assert (await _invite(database, role="admin", org=org)).role == Role.admin


async def test_only_administrators_invite_revoke_and_list(database: Database) -> None:
    ids = await _bureau(database)
    await _redeem(database, (await _invite(database)).token)
    staff = await find_actor(database, telegram_user_id=ALICE)
    pending = await _invite(database)
    for attempt in (
        create_invitation(database, actor=staff, role="admin", organisation_code="B01"),
        revoke_invitation(database, actor=staff, invitation_id=pending.id),
        pending_invitations(database, actor=staff),
        list_people(database, actor=staff),
        revoke_roles(database, actor=staff, person_id=staff.person_id),
    ):
        with pytest.raises(AccessDenied):
            await attempt
    async with database.sessions() as session:
        refused = list(
            await session.scalars(select(AuditEntry.action).where(AuditEntry.allowed.is_(False)))
        )
    assert sorted(refused) == ["invite", "revoke", "revoke", "view_users", "view_users"]
    assert await _count(database, Invitation) == 2
    assert staff.roles == {(Role.staff, ids["D01"])}


async def test_lists_of_people_and_pending_invitations(database: Database) -> None:
    await _bureau(database)
    await _redeem(database, (await _invite(database, name="王小丽")).token)
    await _redeem(database, (await _invite(database, role="business", org="S01")).token, BOB)
    waiting = await _invite(database, role="head", name="李四")
    people = await list_people(database, actor=TERMINAL)
    assert [(p.name, [r.organisation_code for r in p.roles]) for p in people] == [
        ("Alice Wang", ["S01"]),
        ("王小丽", ["D01"]),
    ]
    only_d01 = await list_people(database, actor=TERMINAL, organisation_code="D01")
    assert [p.name for p in only_d01] == ["王小丽"]
    pending = await pending_invitations(database, actor=TERMINAL, now=NOW)
    assert [(i.id, i.name) for i in pending] == [(waiting.id, "李四")]
    assert await pending_invitations(database, actor=TERMINAL, now=NOW + dt.timedelta(days=8)) == []


async def test_load_actor_ignores_deactivated_people(database: Database) -> None:
    await _bureau(database)
    await _redeem(database, (await _invite(database)).token)
    async with database.transaction() as session:
        person = await session.scalar(select(Person))
        person.active = False
    async with database.sessions() as session:
        assert await load_actor(session, telegram_user_id=ALICE) is None


async def test_a_terminal_invitation_has_no_inviter(database: Database) -> None:
    await _bureau(database)
    invitation = await _invite(database, role="admin", org="B01")
    await _redeem(database, invitation.token)
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        stored = await session.get(Invitation, invitation.id)
    assert stored.created_by_id is None
    assert isinstance(TERMINAL, Actor)


# --- the command line --------------------------------------------------------------------


@pytest.fixture
def cli_database(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite file for `perfbot`, with a tiny bureau, and no token set."""
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    database_file = tmp_path / "cli.db"
    database_file.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite+aiosqlite:///{database_file}"
    monkeypatch.setenv("DATABASE_URL", url)
    csv_file = tmp_path / "org.csv"
    csv_file.write_text(
        "code,name,kind,parent,section\nB01,预算科,budget_section,,\nS01,科,business_section,,\n"
        "D01,市司法局,department,,S01\n",
        encoding="utf-8",
    )
    assert main(["org", "import", str(csv_file)]) == 0
    return url


def test_the_first_administrator_comes_from_the_command_line(
    cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["invite", "--role", "admin", "--org", "B01", "--name", "管理员甲"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.strip().splitlines()
    token = lines[-1]
    assert TOKEN_PATTERN.fullmatch(token)
    assert "管理员" in out and "预算科" in out and "管理员甲" in out
    assert "t.me" not in out  # no token, no bot username: no link
    assert lines[-2].startswith("请让对方向机器人发送 /start") and "或" not in lines[-2][:2]

    async def redeem() -> tuple[RedeemStatus, Actor | None]:
        db = Database(cli_database)
        try:
            outcome = await _redeem(db, token, now=dt.datetime.now(dt.UTC))
            return outcome.status, await find_actor(db, telegram_user_id=ALICE)
        finally:
            await db.dispose()

    status, actor = asyncio.run(redeem())
    assert status == RedeemStatus.registered
    assert actor.name == "管理员甲" and {role for role, _ in actor.roles} == {Role.admin}

    assert main(["users"]) == 0
    assert "管理员甲" in capsys.readouterr().out


def test_the_command_prints_a_link_when_the_bot_is_known(
    cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["invite", "--role", "staff", "--org", "D01", "--bot-username", "perf_bot"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert f"https://t.me/perf_bot?start={lines[-1]}" in "\n".join(lines[:-1])
    assert lines[-2].startswith("或让对方")  # the other way, after the link


def test_the_command_refuses_a_role_the_organisation_cannot_have(
    cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["invite", "--role", "budget", "--org", "D01"]) == 1
    assert "department" in capsys.readouterr().err
    assert main(["invite", "--role", "staff", "--org", "NOPE"]) == 1
    assert "NOPE" in capsys.readouterr().err
    assert main(["invite", "--org", "D01"]) == 2


def test_the_command_lists_and_revokes_invitations(
    cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["invite", "--role", "staff", "--org", "D01", "--name", "张三"])
    capsys.readouterr()
    assert main(["invite", "list"]) == 0
    listed = capsys.readouterr().out
    assert "I1" in listed and "张三" in listed
    assert main(["invite", "revoke", "1"]) == 0
    assert "已撤销" in capsys.readouterr().out
    assert main(["invite", "revoke", "1"]) == 1
    main(["invite", "list"])
    assert "张三" not in capsys.readouterr().out


def test_the_command_sets_how_long_an_invitation_lasts(
    cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["invite", "--role", "head", "--org", "D01", "--expires-days", "30"]) == 0
    printed = capsys.readouterr().out

    async def stored() -> Invitation:
        db = Database(cli_database)
        try:
            async with db.sessions() as session:
                return await session.scalar(select(Invitation))
        finally:
            await db.dispose()

    invitation = asyncio.run(stored())
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=30)
    shown = invitation.expires_at.astimezone(Settings().tz).strftime("%Y-%m-%d %H:%M")
    assert shown in printed
    assert main(["invite", "--role", "head", "--org", "D01", "--expires-days", "0"]) == 1
    assert "“0”" in capsys.readouterr().err  # refused, saying which value
