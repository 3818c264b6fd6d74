"""Serving the hub on a real port and stopping it."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from hub.server import run_until_stopped, serve


def _tiny_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"hello": "world"})

    app = web.Application()
    app.router.add_get("/", hello)
    return app


async def test_serve_on_port_zero_reports_the_bound_port() -> None:
    served = await serve(_tiny_app(), "127.0.0.1", 0)
    try:
        assert served.port > 0
        async with aiohttp.ClientSession() as session, \
                session.get(f"http://127.0.0.1:{served.port}/") as response:
            assert await response.json() == {"hello": "world"}
    finally:
        await served.stop()


async def test_run_until_stopped_shuts_down_when_asked() -> None:
    stop = asyncio.Event()
    app = _tiny_app()
    cleaned = asyncio.Event()

    async def on_cleanup(app: web.Application) -> None:
        cleaned.set()

    app.on_cleanup.append(on_cleanup)
    ports: asyncio.Queue[int] = asyncio.Queue()
    task = asyncio.create_task(run_until_stopped(app, "127.0.0.1", 0, stop,
                                                 on_started=ports.put_nowait))
    async with asyncio.timeout(10):
        port = await ports.get()
    async with aiohttp.ClientSession() as session, \
            session.get(f"http://127.0.0.1:{port}/") as response:
        assert response.status == 200
    stop.set()
    async with asyncio.timeout(10):
        await task
    assert cleaned.is_set()
