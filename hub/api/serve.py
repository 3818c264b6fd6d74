"""The REST API's routes: every entry of the route table, and
``GET /v1/openapi.json``."""

from __future__ import annotations

import hashlib
import json

from aiohttp import web

from hub.api.admission import admit_api_call
from hub.api.call import API_GATES, ApiGate
from hub.api.openapi import OPENAPI_PATH, build_document
from hub.api.pipeline import handler_for
from hub.api.routes import API_ROUTES
from hub.routes import RUNTIME

#: The document as served (its bytes and ETag), built on the first request.
OPENAPI_DOCUMENT = web.AppKey("openapi_document", dict[str, bytes])


def add_routes(app: web.Application) -> None:
    """Add the API; every request passes ``app[API_GATES]``: the suspension and rate gate
    (:mod:`hub.api.admission`), then any a feature adds."""
    gates: list[ApiGate] = [admit_api_call]
    app[API_GATES] = gates
    app[OPENAPI_DOCUMENT] = {}
    for route in API_ROUTES:
        app.router.add_route(route.method, route.path, handler_for(route))
    app.router.add_get(OPENAPI_PATH, get_openapi)


async def get_openapi(request: web.Request) -> web.Response:
    served = request.app[OPENAPI_DOCUMENT]
    if not served:
        body = json.dumps(build_document(API_ROUTES, request.app[RUNTIME].settings.base_url),
                          indent=1).encode()
        served.update(body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"'.encode())
    etag = served["etag"].decode()
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    return web.Response(body=served["body"], content_type="application/json",
                        headers={"ETag": etag})
