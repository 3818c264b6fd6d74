"""The sandbox network's "live post" pages: what a sandbox publish produced."""

from __future__ import annotations

from aiohttp import web

from hub.routes import RUNTIME
from postflow.errors import NotFound


def add_routes(app: web.Application) -> None:
    app.router.add_get("/sandbox/posts/{sandbox_post_id}", get_sandbox_post)


async def get_sandbox_post(request: web.Request) -> web.Response:
    record = await request.app[RUNTIME].store.get_sandbox_post(
        request.match_info["sandbox_post_id"])
    if record is None:
        raise NotFound("No sandbox post has this id.")
    return web.json_response(record.model_dump(mode="json", exclude={"idempotency_key"}))
