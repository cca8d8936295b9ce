"""People and permissions end to end: the real bot, the sandbox, scripted people.

An administrator made at the terminal registers, invites a colleague from the chat, the
colleague registers with the link; strangers get one polite sentence whatever they send.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sandbox.client import SandboxUser
from sandbox.harness import DEFAULT_COMMAND, BotProcess
from sandbox.server import BotApiSandbox
from storage.db import Database
from storage.models import AuditEntry, Person
from workflow.core.access import TERMINAL
from workflow.people.invitations import create_invitation
from workflow.people.orgchart import import_orgchart

pytestmark = pytest.mark.e2e

ORG_CHART = (
    "code,name,kind,parent,section\n"
    "B01,预算科,budget_section,,\n"
    "S01,行政政法科,business_section,,\n"
    "D01,市司法局,department,,S01\n"
)
ASK_ADMINISTRATOR = "请向本单位的系统管理员索取邀请链接"
ACCESS_DENIED = "抱歉，您没有权限进行此操作。如有疑问，请联系管理员。"
LINK = re.compile(r"https://t\.me/(\w+)\?start=([A-Za-z0-9_-]+)")


async def _first_administrator(db: Database) -> str:
    """What `perfbot org import` and `perfbot invite --role admin` do at the terminal."""
    assert (await import_orgchart(db, actor=TERMINAL, data=ORG_CHART.encode())).ok
    invitation = await create_invitation(
        db, actor=TERMINAL, role="admin", organisation_code="B01", name="管理员甲"
    )
    return invitation.token


async def _say(user: SandboxUser, text: str) -> str:
    """Send a message and return the text of the bot's next reply."""
    user.skip_pending()
    await user.send_text(text)
    return (await user.wait_for_message(timeout=15, include_edits=False))["text"]


async def _people(db: Database) -> int:
    async with db.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Person))


async def test_an_administrator_invites_a_colleague_who_registers(
    sandbox: BotApiSandbox, bot: BotProcess, e2e_db: Database
) -> None:
    admin_token = await _first_administrator(e2e_db)
    admin = sandbox.add_user(2001, "Admin")
    greeting = await _say(admin, f"/start {admin_token}")
    assert "登记成功" in greeting and "管理员甲" in greeting
    assert "管理员 · 预算科" in greeting

    admin_help = await _say(admin, "/help")
    assert "/invite" in admin_help and "/users" in admin_help

    invitation = await _say(admin, "/invite 经办人 D01 张三")
    match = LINK.search(invitation)
    assert match is not None, invitation
    assert match.group(1) == sandbox.bot_user["username"]
    assert "经办人 · 市司法局" in invitation and "张三" in invitation

    colleague = sandbox.add_user(2002, "San")
    welcome = await _say(colleague, f"/start {match.group(2)}")
    assert "登记成功" in welcome and "张三" in welcome and "经办人 · 市司法局" in welcome
    me = await _say(colleague, "/me")
    assert "张三" in me and "经办人 · 市司法局（D01）" in me
    staff_help = await _say(colleague, "/help")
    assert "/me" in staff_help and "/invite" not in staff_help

    told = await admin.wait_for_message(lambda m: "已使用您的邀请" in m["text"], timeout=15)
    assert "张三" in told["text"]

    # The same link a second time, from someone else: nothing changes.
    latecomer = sandbox.add_user(2003, "Late")
    reused = await _say(latecomer, f"/start {match.group(2)}")
    assert "已经被使用" in reused
    assert ASK_ADMINISTRATOR in await _say(latecomer, "/me")
    assert await _people(e2e_db) == 2

    listing = await _say(admin, "/users")
    assert "张三" in listing and "管理员甲" in listing


async def test_a_stranger_gets_one_polite_sentence_whatever_they_send(
    sandbox: BotApiSandbox, bot: BotProcess, e2e_db: Database
) -> None:
    await _first_administrator(e2e_db)
    stranger = sandbox.add_user(2101, "Stranger")
    for text in ("你好", "/me", "/invite admin B01", "/users", "/revoke I1", "/cancel"):
        reply = await _say(stranger, text)
        assert ASK_ADMINISTRATOR in reply, text
        assert "预算科" not in reply and "B01" not in reply

    forged = await _say(stranger, "/start Zm9yZ2VkLXRva2VuLW9mLTIy")
    assert "无效" in forged and "没有任何变化" in forged
    assert "无效" in await _say(stranger, "/start <script>")

    await stranger.send_sticker()
    assert ASK_ADMINISTRATOR in (await stranger.wait_for_message(timeout=15))["text"]

    # A button from a forwarded admin message: the press is answered, nothing is done.
    last = stranger.last_bot_message
    await stranger.press_data(last["message_id"], "adm:ri:1")
    answer = await stranger.wait_for_callback_answer(timeout=15)
    assert ASK_ADMINISTRATOR in answer["text"]

    assert await _people(e2e_db) == 0
    async with e2e_db.sessions() as session:
        refused = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "register", AuditEntry.allowed.is_(False))
        )
        attempts = list(
            await session.scalars(
                select(AuditEntry.detail)
                .where(AuditEntry.action == "unregistered")
                .order_by(AuditEntry.id)
            )
        )
    assert refused == 2  # both forged tokens were noted
    # Commands and buttons are noted as attempts (chatter and stickers are not).
    assert [a["attempt"] for a in attempts] == [
        "/me",
        "/invite",
        "/users",
        "/revoke",
        "/cancel",
        "button:adm:ri:1",
    ]


async def test_staff_cannot_use_administration_and_a_revoked_link_is_dead(
    sandbox: BotApiSandbox, bot: BotProcess, e2e_db: Database
) -> None:
    admin = sandbox.add_user(2201, "Admin")
    await _say(admin, f"/start {await _first_administrator(e2e_db)}")
    staff_token = LINK.search(await _say(admin, "/invite staff D01")).group(2)
    spare_token = LINK.search(await _say(admin, "/invite head D01 李四")).group(2)

    staff = sandbox.add_user(2202, "Staff")
    await _say(staff, f"/start {staff_token}")
    # The inviter is told through the outbox, within one delivery interval: let that arrive
    # before the administrator's next command, whose reply it would otherwise stand in for.
    await admin.wait_for_message(lambda message: "完成登记" in message.get("text", ""))
    for command in ("/invite admin B01", "/users", "/revoke"):
        assert await _say(staff, command) == ACCESS_DENIED, command  # and nothing else

    menu = await _say(admin, "/revoke")
    admin_menu = admin.last_bot_message
    assert "撤销" in menu
    buttons = [b["text"] for row in admin_menu["reply_markup"]["inline_keyboard"] for b in row]
    await admin.press(admin_menu, next(text for text in buttons if "李四" in text))
    assert "已撤销" in (await admin.wait_for_callback_answer(timeout=15))["text"]

    person = re.search(r"P(\d+) Staff", await _say(admin, "/users"))
    asked = await _say(admin, f"/revoke P{person.group(1)} 经办人 d01")
    assert f"将撤销 Staff（P{person.group(1)}）的角色" in asked and "经办人 · 市司法局" in asked
    assert "Staff" in await _say(staff, "/me")  # nothing changes before the confirmation
    await admin.press(admin.last_bot_message, "确认撤销")
    taken = await admin.wait_for_message(lambda m: "已撤销" in m.get("text", ""), timeout=15)
    assert "已撤销 Staff 的角色" in taken["text"] and "已通知 Staff" in taken["text"]
    told = await staff.wait_for_message(lambda m: "撤销了您" in m.get("text", ""), timeout=15)
    assert "• 经办人 · 市司法局" in told["text"] and "没有任何角色" in told["text"]
    assert ASK_ADMINISTRATOR in await _say(staff, "/me")  # a stranger again

    head = sandbox.add_user(2203, "Head")
    assert "撤销" in await _say(head, f"/start {spare_token}")
    assert ASK_ADMINISTRATOR in await _say(head, "/help")  # /help still open, but a guest
    async with e2e_db.sessions() as session:
        denied_actions = sorted(
            await session.scalars(select(AuditEntry.action).where(AuditEntry.allowed.is_(False)))
        )
    assert denied_actions == ["invite", "register", "revoke", "unregistered", "view_users"]


async def _perfbot(environment: dict[str, str], cwd: Path, *argv: str) -> str:
    """Run the `perfbot` command line as the administrator at the terminal; its output."""
    process = await asyncio.create_subprocess_exec(
        *DEFAULT_COMMAND[:-1],
        *argv,
        cwd=cwd,
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()
    return output.decode()


BUREAU_CHART = ORG_CHART + ("P01,绩效管理科,performance_section,,\nD02,市公证协会,unit,D01,\n")
# Who the administrator invites from the chat, and what each sees of themselves.
COLLEAGUES = [
    ("经办人", "D01", "钱经办", "经办人 · 市司法局"),
    ("负责人", "D01", "孙局长", "负责人 · 市司法局"),
    ("经办人", "D02", "李会计", "经办人 · 市公证协会"),
    ("业务科室", "S01", "周科长", "业务科室 · 行政政法科"),
    ("绩效管理科", "P01", "吴科长", "绩效管理科"),  # a section named like its role: once
    ("预算科", "B01", "郑科长", "预算科"),
    ("专家", "P01", "王教授", "评审专家 · 绩效管理科"),
]


async def test_from_an_empty_database_to_a_registered_bureau(
    sandbox: BotApiSandbox, bot_factory: Any, tmp_path: Path
) -> None:
    """The terminal makes the schema, the chart and the first administrator; the chat the rest."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bureau.db'}"
    terminal = BotProcess(sandbox, database_url=url, workdir=tmp_path / "terminal")
    terminal.workdir.mkdir()
    environment = terminal.environment()
    chart = tmp_path / "org.csv"
    chart.write_bytes(b"\xef\xbb\xbf" + BUREAU_CHART.encode())  # saved by Excel: with a BOM
    await _perfbot(environment, terminal.workdir, "db", "upgrade")
    imported = await _perfbot(environment, terminal.workdir, "org", "import", str(chart))
    assert "新增 5 个" in imported
    first = ("invite", "--role", "admin", "--org", "B01", "--name", "管理员甲")
    printed = await _perfbot(environment, terminal.workdir, *first)
    token = printed.strip().splitlines()[-1]
    assert f"https://t.me/{sandbox.bot_user['username']}?start={token}" in printed

    await bot_factory(database_url=url)
    admin = sandbox.add_user(2301, "Admin")
    assert "管理员 · 预算科" in await _say(admin, f"/start {token}")
    for number, (role, code, name, shown) in enumerate(COLLEAGUES):
        invitation = await _say(admin, f"/invite {role} {code} {name}")
        link = LINK.search(invitation)
        assert link is not None, invitation
        person = sandbox.add_user(2310 + number, f"User{number}")
        assert "登记成功" in await _say(person, f"/start {link.group(2)}")
        me = await _say(person, "/me")
        assert f"• {shown}（{code}）" in me and f"{shown} · {shown}" not in me
        assert "/invite" not in await _say(person, "/help")
        notice = f"{name} 已使用您的邀请"
        told = await admin.wait_for_message(lambda m, notice=notice: notice in m["text"])
        assert shown in told["text"]

    listing = await _say(admin, "/users")
    assert "已登记人员：8 人" in listing
    for _role, code, name, shown in COLLEAGUES:
        assert f"{name}：{shown.split(' · ')[0]}·{code}" in listing
    db = Database(url)
    try:
        async with db.sessions() as session:
            people = await session.scalar(select(func.count()).select_from(Person))
    finally:
        await db.dispose()
    assert people == len(COLLEAGUES) + 1
