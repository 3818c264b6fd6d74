"""Item 6: slow clients cannot hold the hub's connections. Real sockets against the hub served
as in production (:func:`hub.server.serve`):

- an unknown hook is answered 404 before its body is read (the body never has to arrive);
- a body that has not all arrived within ``http_body_timeout_seconds`` gets a 408;
- a request line and headers not all in within ``http_header_timeout_seconds`` get the
  connection closed, on a new connection and on a kept-alive one alike.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from composition.hub import build_hub
from hub.server import ServedApp, serve
from postflow.config import Settings
from postflow.runtime import Runtime
from postflow.usecases.hooks import CreatedHook
from tests.conftest import TEST_SECRET_KEY
from tests.hub.conftest import Broker, RecordingQueue
from tests.security.hook_fixtures import hook, org, sandbox  # noqa: F401

#: Deadlines the tests set small; WAIT bounds how long a test waits for the hub to act.
HEADER_TIMEOUT = 0.5
BODY_TIMEOUT = 0.5
WAIT = 5.0

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter
Connect = Callable[[], Awaitable[tuple[Reader, Writer]]]


@pytest.fixture
def timeouts() -> dict[str, float]:
    return {"http_header_timeout_seconds": HEADER_TIMEOUT,
            "http_body_timeout_seconds": BODY_TIMEOUT}


@pytest.fixture
def settings(tmp_path: Path, timeouts: dict[str, float]) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080", **timeouts)


@pytest.fixture
async def hub(rt: Runtime) -> AsyncIterator[ServedApp]:
    served = await serve(build_hub(rt, RecordingQueue(), Broker().ping), "127.0.0.1", 0,
                         access_log=False)
    try:
        yield served
    finally:
        await served.stop()


@pytest.fixture
async def connect(hub: ServedApp) -> AsyncIterator[Connect]:
    writers: list[Writer] = []

    async def opened() -> tuple[Reader, Writer]:
        reader, writer = await asyncio.open_connection(hub.host, hub.port)
        writers.append(writer)
        return reader, writer

    yield opened
    for writer in writers:
        writer.close()


def _head(path: str, length: int) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\nPostFlow-Signature: t=1,v1=00\r\n\r\n").encode()


async def _status_line(reader: Reader) -> tuple[str, float]:
    """The response's status line, and how long it took to come."""
    started = time.monotonic()
    line = await asyncio.wait_for(reader.readline(), WAIT)
    return line.decode().strip(), time.monotonic() - started


async def _closed_within(reader: Reader, seconds: float) -> bool:
    """True when the hub closes the connection within ``seconds`` (whatever it sent first)."""
    try:
        async with asyncio.timeout(seconds):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    return True


@pytest.mark.parametrize("timeouts", [{"http_body_timeout_seconds": 30.0}])
async def test_an_unknown_hook_is_404_before_its_body_arrives(connect: Connect) -> None:
    reader, writer = await connect()
    writer.write(_head("/v1/hooks/hook_doesnotexist", 200_000))
    await writer.drain()

    status, took = await _status_line(reader)

    assert status.startswith("HTTP/1.1 404")
    assert took < WAIT


async def test_a_trickling_body_gets_a_408_at_the_deadline(
        connect: Connect,
        hook: CreatedHook) -> None:  # noqa: F811
    reader, writer = await connect()
    writer.write(_head(f"/v1/hooks/{hook.hook.id}", 1000) + b'{"text": "slo')
    await writer.drain()

    status, took = await _status_line(reader)

    assert status.startswith("HTTP/1.1 408")
    assert BODY_TIMEOUT * 0.8 <= took < WAIT
    assert await _closed_within(reader, WAIT)


async def test_trickling_headers_get_the_connection_closed(
        connect: Connect) -> None:
    reader, writer = await connect()
    writer.write(b"POST /v1/hooks/hook_x HTTP/1.1\r\nHost: hub\r\n")
    await writer.drain()

    assert await _closed_within(reader, WAIT)


async def test_trickling_headers_on_a_kept_alive_connection_get_it_closed(
        connect: Connect) -> None:
    reader, writer = await connect()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
    await writer.drain()
    status, _ = await _status_line(reader)
    assert status.startswith("HTTP/1.1 200")

    writer.write(b"GET /healthz HTTP/1.1\r\nHost: hub\r\n")
    await writer.drain()

    assert await _closed_within(reader, WAIT)
