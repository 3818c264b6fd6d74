"""A scheduler started before Redis is up recovers by itself once Redis answers."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio
from pydantic import SecretStr

from composition.processes import run_scheduler
from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.posts import PostStatus
from tests.workers.scenario import due_post, eventually, post_in_status, sandbox_account

REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LateRedis:
    """A private redis-server, started when the test says so."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(  # noqa: S603 - the installed redis-server
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def late_redis(tmp_path: Path) -> Iterator[LateRedis]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = LateRedis(tmp_path)
    try:
        yield server
    finally:
        server.stop()


async def test_a_scheduler_started_before_redis_dispatches_once_redis_is_up(
        settings: Settings, late_redis: LateRedis, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="workers.scheduler")
    settings.redis_url = SecretStr(late_redis.url)
    settings.scheduler_interval_seconds = 0.05
    rt = await open_runtime(settings)  # the real clock, like the scheduler's own runtime
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        post = await due_post(rt, await sandbox_account(rt))
        task = asyncio.create_task(run_scheduler(settings, stop))
        # It ticks against the missing Redis without dying or claiming the post.
        await eventually(lambda: _logged(caplog, "could not reach the leader lock"),
                         what="a tick failing to reach Redis")
        assert not task.done()
        assert (await rt.store.get_post(post.org_id, post.id)).status is PostStatus.SCHEDULED

        late_redis.start()

        await post_in_status(rt, post, PostStatus.QUEUED, timeout=10)
        assert _logged(caplog, "can reach the leader lock again")
        client = redis.asyncio.Redis.from_url(late_redis.url)
        try:
            await eventually(lambda: client.hlen("dramatiq:publish.msgs"), timeout=5,
                             what="the publish message reaching Redis")
        finally:
            await client.aclose()
    finally:
        stop.set()
        if task is not None:
            await asyncio.wait_for(task, timeout=10)
        await rt.store.close()


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return any(text in record.getMessage() for record in caplog.records)
