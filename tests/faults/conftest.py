"""Fault-test fixtures: the fake platform, settings that make recovery fast, and the rig on the
shared Redis or on a private ``redis-server`` the test may stop and wipe."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr

from composition.runtime import open_runtime
from postflow.config import Settings
from tests.fakes.loopback_network import TIMEOUT_VARIABLE, URL_VARIABLE
from tests.fakes.platform_server import PlatformServer
from tests.faults.harness import PLUGIN, PrivateRedis, Rig
from workers.broker import close_broker, configure_broker

#: The loopback client gives up after this long (the slow-platform tests answer later).
CLIENT_TIMEOUT_SECONDS = 0.6


@pytest.fixture
def platform() -> Iterator[PlatformServer]:
    server = PlatformServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fault_settings(settings: Settings, platform: PlatformServer,
                   monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Fast loops and short delays; the loopback network added through the plugin setting."""
    monkeypatch.setenv(URL_VARIABLE, platform.url)
    monkeypatch.setenv(TIMEOUT_VARIABLE, str(CLIENT_TIMEOUT_SECONDS))
    settings.provider_plugins = [PLUGIN]
    settings.scheduler_interval_seconds = 0.1
    # A post left Queued or Publishing 2 s is handed out again, and a publish job may run
    # half of that (a slow call: the client timeout plus a check): the reconciler's whole
    # cycle fits in a test.
    settings.reconcile_after_seconds = 2
    settings.retry_base_seconds = 0.2
    settings.retry_max_seconds = 1.0
    settings.publish_max_attempts = 10
    settings.worker_threads = 2
    settings.canary_interval_seconds = 5
    return settings


@asynccontextmanager
async def _open_rig(settings: Settings, platform: PlatformServer, redis_url: str,
                    tmp_path: Path) -> AsyncIterator[Rig]:
    settings = settings.model_copy(update={"redis_url": SecretStr(redis_url)})
    broker = configure_broker(settings)
    rt = await open_runtime(settings)
    rig = Rig(rt=rt, platform=platform, redis_url=redis_url, tmp_path=tmp_path)
    try:
        yield rig
    finally:
        try:
            await rig.close()
        finally:
            await rt.store.close()
            close_broker(broker)


@pytest.fixture
async def rig(fault_settings: Settings, platform: PlatformServer, redis_url: str,
              tmp_path: Path) -> AsyncIterator[Rig]:
    """The rig on the shared Redis server (this session's own database)."""
    async with _open_rig(fault_settings, platform, redis_url, tmp_path) as opened:
        yield opened


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server of the test's own, not started: the test starts (and stops) it."""
    server = PrivateRedis(data_dir=tmp_path / "redis")
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def private_rig(fault_settings: Settings, platform: PlatformServer,
                      private_redis: PrivateRedis, tmp_path: Path) -> AsyncIterator[Rig]:
    """The rig on :func:`private_redis`."""
    async with _open_rig(fault_settings, platform, private_redis.url, tmp_path) as opened:
        yield opened
