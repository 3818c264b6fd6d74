"""Shared fixtures: settings in a temp data dir, a runtime on a real SQLite file, real Redis."""

from __future__ import annotations

import gc
import inspect
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from unittest.mock import Mock

import aiohttp
import aioresponses.core as _aioresponses_core
import pytest

from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.runtime import Runtime
from tests.fakes.clock import ManualClock

# aioresponses 0.7.9 builds ClientResponse without aiohttp>=3.14's `stream_writer`
# (pnuckowski/aioresponses#289); give it one until the upstream fix is released.
if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:

    class _CompatClientResponse(aiohttp.ClientResponse):
        def __init__(self, *args: object, stream_writer: object = None, **kwargs: object) -> None:
            super().__init__(*args, stream_writer=stream_writer or Mock(output_size=0),  # type: ignore[arg-type]
                             **kwargs)

    _aioresponses_core.ClientResponse = _CompatClientResponse  # type: ignore[misc]

TEST_SECRET_KEY = "test-secret-key-0123456789abcdef"
REDIS_URL = os.environ.get("POSTFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
#: Databases a test session may claim on the server of REDIS_URL (db 0 holds the claims).
TEST_REDIS_DBS = range(1, 16)
CLAIM_SECONDS = 3600


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No POSTFLOW_* variable from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("POSTFLOW_") and not name.startswith("POSTFLOW_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _unfrozen_heap() -> Iterator[None]:
    """A test that starts a service in this process (which freezes its start-up heap, see
    workers/heap.py) leaves the garbage collector as it found it."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def rt(settings: Settings, clock: ManualClock) -> AsyncIterator[Runtime]:
    runtime = await open_runtime(settings, clock=clock)
    try:
        yield runtime
    finally:
        await runtime.store.close()


@pytest.fixture(scope="session")
def session_redis_url() -> Iterator[str]:
    """A Redis database this test session has to itself.

    Tests flush their database, so two sessions on one server (a developer's run next to CI, or
    several helpers' runs) must not share one: unless POSTFLOW_TEST_REDIS_URL names a database
    explicitly, each session claims a free one through a key in db 0, and gives it back at the end.
    """
    import redis

    if "POSTFLOW_TEST_REDIS_URL" in os.environ:
        yield REDIS_URL
        return
    base = REDIS_URL.rsplit("/", 1)[0]
    claims = redis.Redis.from_url(base + "/0")
    try:
        claims.ping()
    except redis.ConnectionError:
        pytest.fail(f"No Redis answers at {base}; `make test` starts one.")
    token = f"{os.getpid()}-{uuid.uuid4().hex}"
    for db in TEST_REDIS_DBS:
        if claims.set(f"postflow:test-session:db{db}", token, nx=True, ex=CLAIM_SECONDS):
            break
    else:
        pytest.fail("Every Redis test database is claimed by another test session.")
    try:
        yield f"{base}/{db}"
    finally:
        if claims.get(f"postflow:test-session:db{db}") == token.encode():
            claims.delete(f"postflow:test-session:db{db}")
        claims.close()


@pytest.fixture
def redis_url(session_redis_url: str) -> Iterator[str]:
    """The real Redis server (make test starts one when none answers), flushed around the test."""
    import redis

    client = redis.Redis.from_url(session_redis_url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"No Redis answers at {session_redis_url}; `make test` starts one.")
    client.flushdb()
    try:
        yield session_redis_url
    finally:
        client.flushdb()
        client.close()
