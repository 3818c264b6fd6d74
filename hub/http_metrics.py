"""Counting every answer of the hub by route pattern and status, and timing hook ingestion.

The outermost middleware: it sees the answer the client gets, errors included. The route is
the pattern that matched (``/v1/hooks/{hook_id}``), never the raw path, so ids never become
label values; requests that matched no route count as ``unmatched``.
"""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler

from integrations.metrics.registry import HOOK_INGEST_SECONDS, HTTP_REQUESTS

#: The route whose POST is timed as ingestion.
HOOK_ROUTE = "/v1/hooks/{hook_id}"
UNMATCHED = "unmatched"
#: Methods counted by name; any other (a client may send any token) counts as ``OTHER``, so
#: nobody can grow the metric without bound.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"


@web.middleware
async def http_metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:  # a redirect, passed on by the error middleware
        status = exc.status
        raise
    finally:
        route = route_pattern(request)
        method = request.method if request.method in KNOWN_METHODS else OTHER_METHOD
        HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
        if route == HOOK_ROUTE and request.method == "POST":
            HOOK_INGEST_SECONDS.labels(status=str(status)).observe(
                time.perf_counter() - started)


def route_pattern(request: web.Request) -> str:
    resource = request.match_info.route.resource
    if resource is None:
        return UNMATCHED
    return resource.canonical
