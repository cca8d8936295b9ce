"""The web dashboard's HTTP side: Telegram's signed launch data or 401, then the same scope as
the chat (a head their department, finance its scope), the project table's sorting, filters
and pages, and a project's timeline only inside the scope."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web.app import INIT_DATA_HEADER, build_web_app
from bot.web.auth import InvalidInitData
from sandbox.webapp_auth import signed_init_data
from storage.db import Database
from tests.dashboard_world import DashboardWorld, build_dashboard_world
from tests.review_world import PEOPLE, YEAR

TOKEN = "123456:TEST-dashboard-token"
MAX_AGE = 3600


@pytest.fixture
async def dashboard(database: Database) -> AsyncIterator[tuple[TestClient, DashboardWorld]]:
    built = await build_dashboard_world(database)
    client = TestClient(TestServer(build_web_app(db=database, token=TOKEN, max_age=MAX_AGE)))
    await client.start_server()
    yield client, built
    await client.close()


def launch(who: str, *, token: str = TOKEN, age: int = 0) -> dict[str, str]:
    name, telegram_id, _roles = PEOPLE[who]
    data = signed_init_data(
        token, user_id=telegram_id, first_name=name, auth_date=int(time.time()) - age
    )
    return {INIT_DATA_HEADER: data}


async def get(client: TestClient, path: str, headers: dict[str, str]) -> tuple[int, str]:
    response = await client.get(path, headers=headers)
    return response.status, await response.text()


async def test_each_person_sees_their_scope(dashboard) -> None:
    client, _ = dashboard
    status, page = await get(client, f"/api/overview?year={YEAR}", launch("perf"))
    assert status == 200 and "<svg" in page and "范围：全局" in page
    assert "市卫健委" in page and "市文旅局" in page
    status, page = await get(client, f"/api/overview?year={YEAR}", launch("edu_head"))
    assert status == 200 and "范围：市教育局" in page
    assert "市卫健委" not in page and "市文旅局" not in page
    status, table = await get(client, f"/api/projects?year={YEAR}", launch("edu_head"))
    assert "共 3 个项目" in table and "疫苗接种项目" not in table and "实验室建设" in table


@pytest.mark.parametrize(
    "headers",
    [
        {},
        launch("perf", token="654321:another-bot"),  # forged: another token signed it
        launch("perf", age=MAX_AGE + 60),  # expired
        {INIT_DATA_HEADER: "user=%7B%22id%22%3A5012%7D&auth_date=1&hash=00"},
    ],
    ids=["missing", "forged", "expired", "garbage"],
)
async def test_unsigned_or_stale_launch_data_gets_401(dashboard, headers) -> None:
    client, _ = dashboard
    for path in (f"/api/overview?year={YEAR}", f"/api/projects?year={YEAR}", "/api/projects/1"):
        status, body = await get(client, path, headers)
        assert (status, body) == (401, "unauthorized")


async def test_a_tampered_user_is_refused(dashboard) -> None:
    client, _ = dashboard
    genuine = launch("edu_head")[INIT_DATA_HEADER]
    tampered = genuine.replace("5003", "5012")  # claims to be the performance section
    status, _ = await get(client, f"/api/overview?year={YEAR}", {INIT_DATA_HEADER: tampered})
    assert status == 401


async def test_strangers_and_staff_get_403(dashboard) -> None:
    client, _ = dashboard
    stranger = {INIT_DATA_HEADER: signed_init_data(TOKEN, user_id=999999, first_name="路人")}
    assert (await get(client, f"/api/overview?year={YEAR}", stranger))[0] == 403
    assert (await get(client, f"/api/overview?year={YEAR}", launch("edu_staff")))[0] == 403


async def test_the_table_sorts_filters_and_pages(dashboard) -> None:
    client, _ = dashboard
    perf = launch("perf")
    _, table = await get(client, f"/api/projects?year={YEAR}&sort=name&order=desc", perf)
    assert "共 5 个项目" in table and "第 1/1 页" in table
    names = ["非遗保护", "疫苗接种项目", "教师培训项目", "校舍维修项目", "实验室建设"]
    positions = [table.index(name) for name in names]
    ordered = [name for _, name in sorted(zip(positions, names, strict=True))]
    assert ordered == sorted(names, reverse=True)
    _, table = await get(client, f"/api/projects?year={YEAR}&q=疫苗", perf)
    assert "共 1 个项目" in table and "疫苗接种项目" in table
    _, table = await get(client, f"/api/projects?year={YEAR}&light=red", perf)
    assert "共 1 个项目" in table and "教师培训项目" in table
    _, table = await get(client, f"/api/projects?year={YEAR}&status=draft", perf)
    assert "共 2 个项目" in table and "非遗保护" in table and "实验室建设" in table


async def test_a_timeline_opens_only_inside_the_scope(dashboard) -> None:
    client, built = dashboard
    own = built.projects["edu_on_time"]
    status, page = await get(client, f"/api/projects/{own}", launch("edu_head"))
    assert status == 200 and "教师培训项目" in page
    assert page.count("<li>") == 5  # submitted, then approved at four stages
    assert "部门主要领导审定" in page and "李局长" in page
    other = built.projects["health_on_time"]
    assert (await get(client, f"/api/projects/{other}", launch("edu_head")))[0] == 403
    assert (await get(client, f"/api/projects/{other}", launch("biz2")))[0] == 200


async def test_the_page_itself_holds_no_data(dashboard) -> None:
    client, _ = dashboard
    status, page = await get(client, "/", {})
    assert status == 200 and "dashboard.js" in page and "市教育局" not in page
    status, script = await get(client, "/static/dashboard.js", {})
    assert status == 200 and INIT_DATA_HEADER in script
    assert (await get(client, "/static/../bot/config.py", {}))[0] == 404


def test_the_sandbox_prints_a_launch_address_the_dashboard_believes(capsys) -> None:
    from urllib.parse import parse_qs, urlsplit

    from bot.web.auth import validate_init_data
    from sandbox.server import DEFAULT_TOKEN
    from sandbox.webapp_auth import main

    main(["http://127.0.0.1:8080", "5012", "何科长"])
    address = capsys.readouterr().out.strip()
    parts = urlsplit(address)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://127.0.0.1:8080/"
    init_data = parse_qs(parts.fragment)["tgWebAppData"][0]
    user = validate_init_data(init_data, DEFAULT_TOKEN, max_age=60, now=time.time())
    assert (user.id, user.first_name) == (5012, "何科长")
    with pytest.raises(InvalidInitData):
        validate_init_data(init_data, TOKEN, max_age=60, now=time.time())
