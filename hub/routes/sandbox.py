"""The sandbox network's "live post" pages: what a sandbox publish produced."""

from __future__ import annotations

from aiohttp import web

from hub.routes import RUNTIME
from integrations.sandbox import SandboxProvider
from postflow.errors import NotFound


def add_routes(app: web.Application) -> None:
    app.router.add_get("/sandbox/posts/{sandbox_post_id}", get_sandbox_post)


async def get_sandbox_post(request: web.Request) -> web.Response:
    # The sandbox keeps its records behind its own port, not the core store: ask the provider.
    sandbox = request.app[RUNTIME].providers.get("sandbox")
    record = (await sandbox.published_post(request.match_info["sandbox_post_id"])
              if isinstance(sandbox, SandboxProvider) else None)
    if record is None:
        raise NotFound("No sandbox post has this id.")
    return web.json_response(record.model_dump(mode="json", exclude={"idempotency_key"}))
