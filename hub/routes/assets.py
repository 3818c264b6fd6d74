"""``GET /assets/pages.css``: the one stylesheet of the hub's pages (no inline style is
allowed by their Content-Security-Policy)."""

from __future__ import annotations

from aiohttp import web

from hub.templates import STYLESHEET, static_text

STYLESHEET_PATH = "/assets/pages.css"


def add_routes(app: web.Application) -> None:
    app.router.add_get(STYLESHEET_PATH, stylesheet)


async def stylesheet(request: web.Request) -> web.Response:
    return web.Response(text=static_text(STYLESHEET), content_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})
