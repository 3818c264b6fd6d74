"""Serving the hub on a host and port, and shutting it down gracefully."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from hub.access_log import PathOnlyAccessLogger

log = logging.getLogger(__name__)

#: How long in-flight requests get to finish when the hub stops.
SHUTDOWN_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ConnectionDeadlines:
    """How long a client may take to send what the hub waits for (set by the app factory)."""

    #: The request line and headers, from the connection opening or the previous answer.
    #: aiohttp has no header timeout of its own: its keep-alive timer, armed when a connection
    #: opens and after each answer, closes a connection still waiting for a whole request, so
    #: it is that deadline (and how long an idle kept-alive connection stays open).
    headers_seconds: float = 15.0
    #: After an answer given before the body was read (a 404, 408, 413...), how long the rest
    #: of the body is read and dropped before the connection is closed (aiohttp's 10 s at most).
    linger_seconds: float = 10.0


CONNECTION_DEADLINES = web.AppKey("connection_deadlines", ConnectionDeadlines)


@dataclass(frozen=True)
class ServedApp:
    runner: web.AppRunner
    host: str
    #: The bound port: the real one when 0 was asked for.
    port: int

    async def stop(self) -> None:
        """Stop accepting, let in-flight requests finish, run the app's cleanup."""
        await self.runner.cleanup()


async def serve(app: web.Application, host: str, port: int, *,
                access_log: bool = True) -> ServedApp:
    """Start serving ``app``; ``port`` 0 picks a free port, reported in the result."""
    deadlines = app.get(CONNECTION_DEADLINES) or ConnectionDeadlines()
    runner = web.AppRunner(app, handle_signals=False,
                           shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
                           access_log=logging.getLogger("aiohttp.access") if access_log else None,
                           access_log_class=PathOnlyAccessLogger,
                           keepalive_timeout=deadlines.headers_seconds,
                           lingering_time=deadlines.linger_seconds)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1]
    log.info("hub listening on http://%s:%d", host, bound)
    return ServedApp(runner=runner, host=host, port=int(bound))


async def run_until_stopped(app: web.Application, host: str, port: int, stop: asyncio.Event,
                            *, on_started: Callable[[int], None] | None = None) -> None:
    """Serve ``app`` until ``stop`` is set (a signal handler sets it), then shut down.

    ``on_started`` gets the bound port once the hub accepts connections.
    """
    served = await serve(app, host, port)
    try:
        if on_started is not None:
            on_started(served.port)
        await stop.wait()
    finally:
        await served.stop()
