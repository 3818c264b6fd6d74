"""``GET /metrics``: Prometheus's text format, for a bearer token or, without one configured,
for loopback clients only.

Without ``POSTFLOW_METRICS_TOKEN`` a request is served only when its TCP peer is loopback and
it carries no ``Forwarded``/``X-Forwarded-For`` header: a reverse proxy on the same machine
connects from loopback, and the header is how its forwarded requests are told apart. Behind
a proxy, set the token.
"""

from __future__ import annotations

import asyncio
import ipaddress

from aiohttp import web

from hub.errors import HubError
from hub.routes import QUEUE_DEPTHS, RUNTIME
from integrations.metrics.exposition import CONTENT_TYPE, ScrapeValues, render_metrics
from postflow.secret_compare import same_secret
from postflow.usecases.operations import connections_by_health, scheduler_lag_seconds

FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)


async def metrics(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    token = rt.settings.metrics_token
    if token is not None:
        _require_bearer(request, token.get_secret_value())
    elif not _direct_loopback(request):
        raise HubError(403, "forbidden", "Metrics are served to loopback clients only; set "
                       "POSTFLOW_METRICS_TOKEN to scrape them from elsewhere.")
    depths, lag, connections = await asyncio.gather(
        request.app[QUEUE_DEPTHS](), scheduler_lag_seconds(rt), connections_by_health(rt))
    body = render_metrics(ScrapeValues(queue_depths=depths, scheduler_lag_seconds=lag,
                                       connections=connections))
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE
    response.headers["Cache-Control"] = "no-store"
    return response


def _require_bearer(request: web.Request, expected: str) -> None:
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not same_secret(value.strip(), expected):
        raise HubError(401, "unauthorized", "Metrics need Authorization: Bearer "
                       "<POSTFLOW_METRICS_TOKEN>.", headers={"WWW-Authenticate": "Bearer"})


def _direct_loopback(request: web.Request) -> bool:
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if not peer:
        return False
    host = peer[0] if isinstance(peer, tuple) else str(peer)
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
