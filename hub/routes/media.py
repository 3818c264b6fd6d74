"""``GET /media/{id}?exp=...&sig=...``: media from the local store, at signed, expiring URLs.

Networks that fetch media by URL get these links (``integrations/media/signed_urls.py``). With
the S3 backend the links are the bucket's own presigned URLs and this route finds nothing.
"""

from __future__ import annotations

from aiohttp import web

from hub.routes import RUNTIME
from integrations.media.local import LocalMediaStore
from integrations.media.signed_urls import verify_media_signature
from postflow.errors import NotFound
from postflow.media import check_media_id


def add_routes(app: web.Application) -> None:
    app.router.add_get("/media/{media_id}", get_media)


async def get_media(request: web.Request) -> web.StreamResponse:
    rt = request.app[RUNTIME]
    store = rt.media_store
    media_id = check_media_id(request.match_info["media_id"])
    if not isinstance(store, LocalMediaStore):
        raise NotFound("No medium has this id.")
    verify_media_signature(rt.tokens, media_id, request.query.get("exp"),
                           request.query.get("sig"))
    media = await store.get(media_id)
    return web.FileResponse(store.path_of(media_id), headers={
        "Content-Type": media.content_type, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-transform"})
