"""The providers' shared HTTP session: one per event loop, replaced once closed, closed with its
loop, and reusing one TCP connection for calls in a row."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from integrations.http_session import close_http_sessions, http_session
from postflow.providers import AccountContext, PublishContent, TokenSet
from tests.fakes.loopback_network import LoopbackProvider
from tests.fakes.serving import serving

TIMEOUT = aiohttp.ClientTimeout(total=5)


@dataclass
class CountingServer:
    """An aiohttp server on loopback that records the client end of each request's connection."""

    url: str = ""
    peers: list[tuple[str, int]] = field(default_factory=list)
    delay: float = 0.0

    async def answer(self, request: web.Request) -> web.Response:
        assert request.transport is not None
        self.peers.append(request.transport.get_extra_info("peername"))
        await asyncio.sleep(self.delay)
        if request.method == "POST":
            return web.json_response({"id": f"p{len(self.peers)}", "url": None}, status=201)
        return web.json_response({"posts": []})


@pytest.fixture
async def server() -> AsyncIterator[CountingServer]:
    counting = CountingServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", counting.answer)
    async with serving(app) as counting.url:
        yield counting


async def test_the_same_loop_gets_the_same_session() -> None:
    first = await http_session()

    assert await http_session() is first
    assert not first.closed


def test_two_loops_get_different_sessions_each_closed_with_its_loop() -> None:
    with asyncio.Runner() as one, asyncio.Runner() as two:
        first, second = one.run(http_session()), two.run(http_session())

        assert first is not second
        assert one.run(http_session()) is first and two.run(http_session()) is second

    # asyncio.Runner (as asyncio.run and pytest-asyncio) shuts a loop down by closing its open
    # async generators, which closes the loop's session: no "Unclosed client session".
    assert first.closed and second.closed


async def test_a_closed_session_is_replaced() -> None:
    first = await http_session()
    await first.close()

    second = await http_session()

    assert second is not first and not second.closed
    assert await http_session() is second


async def test_after_close_http_sessions_the_next_call_builds_a_new_session() -> None:
    first = await http_session()

    await close_http_sessions()

    assert first.closed
    second = await http_session()
    assert second is not first and not second.closed
    await close_http_sessions()
    await close_http_sessions()  # nothing left to close: no error
    assert second.closed


def test_a_loop_closed_without_shutting_down_is_not_kept() -> None:
    # Dramatiq's actor loop is stopped and closed without closing async generators.
    loop = asyncio.new_event_loop()
    session = loop.run_until_complete(http_session())
    loop.run_until_complete(session.close())
    loop.close()
    gone = weakref.ref(loop)
    del loop, session

    asyncio.run(http_session())  # making another loop's session forgets closed loops
    gc.collect()

    assert gone() is None


async def test_calls_in_a_row_reuse_one_connection(server: CountingServer) -> None:
    session = await http_session()

    for method in ("POST", "GET", "POST"):
        async with session.request(method, f"{server.url}/posts", json={"text": "hi"},
                                   timeout=TIMEOUT) as response:
            assert response.status in (200, 201)
            await response.text()

    assert len(server.peers) == 3
    assert len(set(server.peers)) == 1, server.peers


async def test_calls_at_once_open_a_connection_each_then_reuse_them(
        server: CountingServer) -> None:
    server.delay = 0.05
    session = await http_session()

    async def call() -> None:
        async with session.get(f"{server.url}/posts", timeout=TIMEOUT) as response:
            await response.text()

    await asyncio.gather(call(), call())
    await asyncio.gather(call(), call())

    assert len(set(server.peers[:2])) == 2
    assert set(server.peers[2:]) == set(server.peers[:2])


async def test_the_loopback_provider_publishes_and_checks_on_one_connection(
        server: CountingServer) -> None:
    provider = LoopbackProvider(server.url, timeout_seconds=5)
    account = AccountContext(connection_id="conn_1", account_id="lba_1",
                             tokens=TokenSet.model_validate({"access_token": "lbtok_1"}))

    first = await provider.publish(account, PublishContent(text="one"), idempotency_key="a1")
    second = await provider.publish(account, PublishContent(text="two"), idempotency_key="a2")
    assert await provider.check(account, idempotency_key="a3") is None

    assert (first.platform_post_id, second.platform_post_id) == ("p1", "p2")
    assert len(server.peers) == 3 and len(set(server.peers)) == 1, server.peers


async def test_a_per_request_timeout_still_applies(server: CountingServer) -> None:
    server.delay = 1.0
    session = await http_session()

    with pytest.raises(TimeoutError):
        async with session.get(f"{server.url}/slow",
                               timeout=aiohttp.ClientTimeout(total=0.1)) as response:
            await response.text()


async def test_no_cookie_carries_over_from_one_call_to_the_next() -> None:
    seen: list[str | None] = []

    async def set_cookie(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Cookie"))
        answer = web.Response(text="ok")
        answer.set_cookie("session", "account-1")
        return answer

    app = web.Application()
    app.router.add_get("/", set_cookie)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        session = await http_session()
        for _ in range(2):
            async with session.get(f"http://127.0.0.1:{runner.addresses[0][1]}/",
                                   timeout=TIMEOUT) as response:
                assert "session" in response.cookies
    finally:
        await runner.cleanup()

    assert seen == [None, None]
