"""The one factory that builds the hub's aiohttp application."""

from __future__ import annotations

from aiohttp import web

from hub import rate_limiting, security_headers
from hub.api import serve as api
from hub.errors import error_middleware
from hub.http_metrics import http_metrics_middleware
from hub.routes import (
    BROKER_PING,
    PUBLISH_QUEUE,
    QUEUE_DEPTHS,
    RUNTIME,
    BrokerPing,
    QueueDepths,
    assets,
    billing,
    email_links,
    health,
    hooks,
    invitations,
    media,
    metrics,
    no_queue_depths,
    oauth,
    sandbox,
    ses_notifications,
)
from hub.server import CONNECTION_DEADLINES, ConnectionDeadlines
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime

#: Room above the webhook limit: the hook route reads the body itself and answers a JSON 413,
#: which aiohttp's own limit would turn into a plain-text one.
BODY_SIZE_HEADROOM = 64 * 1024


def create_app(rt: Runtime, queue: PublishQueue, broker_ping: BrokerPing,
               queue_depths: QueueDepths = no_queue_depths) -> web.Application:
    """Build the hub; the caller owns ``rt``, ``queue`` and the broker and closes them.

    The hub reads a hook, its organization and its connections on every webhook, so a hub
    process builds ``rt`` on a short-lived read cache (``composition/runtime.py``). Chat
    adapters' routes are added by the composition root (``composition/hub.py``).
    """
    app = web.Application(middlewares=[http_metrics_middleware, error_middleware],
                          client_max_size=rt.settings.webhook_max_body_bytes + BODY_SIZE_HEADROOM)
    app[RUNTIME] = rt
    app[CONNECTION_DEADLINES] = ConnectionDeadlines(
        headers_seconds=rt.settings.http_header_timeout_seconds,
        linger_seconds=min(ConnectionDeadlines.linger_seconds,
                           rt.settings.http_body_timeout_seconds))
    app[PUBLISH_QUEUE] = queue
    app[BROKER_PING] = broker_ping
    app[QUEUE_DEPTHS] = queue_depths
    security_headers.install(app)
    rate_limiting.install(app)
    for feature in (health, hooks, api, sandbox, oauth, media, billing, email_links,
                    ses_notifications, invitations, assets, metrics):
        feature.add_routes(app)
    return app
