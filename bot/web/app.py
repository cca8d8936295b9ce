"""The web dashboard's aiohttp application.

The page (`/`) and its two assets carry no data. Every data request (`/api/...`) carries the
Mini App's launch data in the `X-Telegram-Init-Data` header: it must be signed with the bot's
token and fresh (bot.web.auth), else 401; the Telegram user must be a registered person,
and what they get is decided by the same access policy as the chat (`Action.VIEW_STATS`),
else 403.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.web import pages
from bot.web.auth import InvalidInitData, validate_init_data
from storage.db import Database
from storage.types import utcnow
from workflow.core.access import AccessDenied, Actor
from workflow.core.clock import local_day
from workflow.dashboards.projects import project_page, project_timeline
from workflow.dashboards.stats import year_stats
from workflow.people.persons import find_actor

INIT_DATA_HEADER = "X-Telegram-Init-Data"
ACTOR = web.RequestKey("actor", Actor)
DB = web.AppKey("db", Database)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors https://web.telegram.org https://*.telegram.org 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_web_app(
    *, db: Database, token: str, max_age: int, clock: Callable[[], float] = time.time
) -> web.Application:
    """The dashboard for the bot whose token signs the launch data."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/api/"):
            try:
                user = validate_init_data(
                    request.headers.get(INIT_DATA_HEADER, ""), token, max_age=max_age, now=clock()
                )
            except InvalidInitData:
                return _text(401, "unauthorized")
            actor = await find_actor(db, telegram_user_id=user.id)
            if actor is None:
                return _text(403, "forbidden")
            request[ACTOR] = actor
            try:
                response = await handler(request)
            except AccessDenied:
                return _text(403, "forbidden")
            response.headers["Cache-Control"] = "no-store"
        else:
            response = await handler(request)
        response.headers.update(HEADERS)
        return response

    app = web.Application(middlewares=[guard])
    app[DB] = db
    app.router.add_get("/", _index)
    app.router.add_get("/static/{name}", _static)
    app.router.add_get("/api/overview", _overview)
    app.router.add_get("/api/projects", _projects)
    app.router.add_get("/api/projects/{project_id:\\d+}", _timeline)
    return app


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, headers={"Cache-Control": "no-store"})


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html", charset="utf-8")


def _year(request: web.Request) -> int:
    value = request.query.get("year", "")
    today = local_day(utcnow())
    return int(value) if value.isdigit() and len(value) == 4 else today.year


async def _index(request: web.Request) -> web.Response:
    return _html(pages.index())


async def _static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    content = pages.static(name)
    if content is None:
        raise web.HTTPNotFound()
    binary = name == pages.FONT
    return web.Response(
        body=content,
        content_type=pages.STATIC[name],
        charset=None if binary else "utf-8",
        headers={"Cache-Control": "public, max-age=604800" if binary else "no-cache"},
    )


async def _overview(request: web.Request) -> web.Response:
    stats = await year_stats(
        request.app[DB], actor=request[ACTOR], year=_year(request), today=local_day(utcnow())
    )
    return _html(pages.overview(stats))


async def _projects(request: web.Request) -> web.Response:
    query = request.query
    page = query.get("page", "1")
    found = await project_page(
        request.app[DB],
        actor=request[ACTOR],
        year=_year(request),
        today=local_day(utcnow()),
        page=int(page) if page.isdigit() else 1,
        sort=query.get("sort", "id"),
        descending=query.get("order") == "desc",
        query=query.get("q", ""),
        status=query.get("status", ""),
        light=query.get("light", ""),
    )
    return _html(pages.projects(found))


async def _timeline(request: web.Request) -> web.Response:
    found = await project_timeline(
        request.app[DB], actor=request[ACTOR], project_id=int(request.match_info["project_id"])
    )
    if found is None:
        raise web.HTTPNotFound()
    return _html(pages.timeline(found))
