"""The hub's access log names the path of every request but never its query string, where
billing links, OAuth states and codes, connect links and signed media URLs carry their tokens
(nor the Referer, which may hold such a URL)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from composition.hub import build_hub
from hub.server import ServedApp, serve
from postflow.runtime import Runtime
from tests.hub.conftest import Broker, RecordingQueue

SECRET = "s3cr3t-t0k3n-value"
#: Token-bearing requests: (path, query).
REQUESTS = [
    ("/billing", {"token": f"billing.{SECRET}1"}),
    ("/oauth/x/start", {"state": f"link.{SECRET}2"}),
    ("/oauth/x/callback", {"state": f"state.{SECRET}3", "code": f"code-{SECRET}4"}),
    ("/media/med_0123456789abcdefghij", {"exp": "1", "sig": f"{SECRET}5"}),
    ("/healthz", {"anything": f"{SECRET}6"}),
]


@pytest.fixture
async def hub(rt: Runtime) -> AsyncIterator[ServedApp]:
    served = await serve(build_hub(rt, RecordingQueue(), Broker().ping), "127.0.0.1", 0)
    try:
        yield served
    finally:
        await served.stop()


async def access_lines(caplog: pytest.LogCaptureFixture, count: int) -> list[str]:
    """The access log's lines, once ``count`` of them were written (polled, with a deadline)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while True:
        lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
        if len(lines) >= count or loop.time() > deadline:
            return lines
        await asyncio.sleep(0.01)


async def test_the_access_log_holds_paths_and_no_query_string(
        hub: ServedApp, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    base = f"http://127.0.0.1:{hub.port}"
    async with aiohttp.ClientSession() as session:
        for path, query in REQUESTS:
            async with session.get(base + path, params=query, allow_redirects=False, headers={
                    "Referer": f"https://postflow.example/billing?token={SECRET}7"}) as answer:
                await answer.read()

    lines = await access_lines(caplog, len(REQUESTS))

    assert len(lines) == len(REQUESTS), lines
    for (path, _), line in zip(REQUESTS, lines, strict=True):
        assert path in line, line
        assert SECRET not in line and "?" not in line, line
    assert all(" 200 " in line or " 40" in line for line in lines), lines
