"""Serve an aiohttp app on a free loopback port for the length of a block."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

HOST = "127.0.0.1"


@asynccontextmanager
async def serving(app: web.Application, host: str = HOST) -> AsyncIterator[str]:
    """Serve ``app`` on a free port of ``host``; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    finally:
        await runner.cleanup()
