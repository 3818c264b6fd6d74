"""End-to-end fixtures: the real hub on loopback, a real worker (a subprocess on Redis, or the
embedded one), a runtime on the real clock, and signed webhook calls."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from composition.hub import build_hub
from composition.processes import run_embedded
from composition.runtime import open_runtime
from hub.server import serve
from postflow.config import Settings
from postflow.runtime import Runtime
from postflow.signatures import HEADER, signature_header
from postflow.usecases.hooks import CreatedHook, create_hook
from tests.fakes.processes import SchedulerTask, WorkerProcess, worker_env
from tests.workers.scenario import SandboxAccount, sandbox_account
from workers.broker import close_broker, configure_broker, ping_broker
from workers.dramatiq_queue import DramatiqPublishQueue


@pytest.fixture
def e2e_settings(settings: Settings) -> Settings:
    """Fast loops, short retries; everything else as shipped."""
    settings.scheduler_interval_seconds = 0.1
    settings.retry_base_seconds = 0.1
    settings.retry_max_seconds = 1.0
    settings.worker_threads = 2
    return settings


@pytest.fixture
def redis_settings(e2e_settings: Settings, redis_url: str) -> Settings:
    e2e_settings.redis_url = SecretStr(redis_url)
    # Any pytest run on this machine flushes Redis db 15 around its tests (the redis_url
    # fixture), possibly while ours run: a short reconcile delay makes a message lost that way
    # come back within seconds, as it would in production after a Redis restart.
    e2e_settings.reconcile_after_seconds = 2
    e2e_settings.canary_interval_seconds = 0.5
    return e2e_settings


@pytest.fixture
async def live_rt(e2e_settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime on the system clock: webhook signatures and the reconciler use real time."""
    runtime = await open_runtime(e2e_settings)
    try:
        yield runtime
    finally:
        await runtime.store.close()


@dataclass(frozen=True)
class Sender:
    """A hook's owner: posts signed JSON to it."""

    base_url: str
    hook: CreatedHook
    account: SandboxAccount

    async def send(self, text: str) -> str:
        """POST a post for the sandbox account; return its id (the hub answers 202)."""
        body = json.dumps({"text": text, "targets": [self.account.connection.id]}).encode()
        headers = {HEADER: signature_header(self.hook.secret, int(time.time()), body),
                   "Content-Type": "application/json"}
        async with aiohttp.ClientSession() as session, session.post(
                f"{self.base_url}/v1/hooks/{self.hook.hook.id}", data=body,
                headers=headers) as response:
            answer = await response.json()
            assert response.status == 202, answer
            return str(answer["post_id"])


async def make_sender(rt: Runtime, base_url: str) -> Sender:
    account = await sandbox_account(rt)
    hook = await create_hook(rt, account.org.id, "CI releases", actor="test")
    return Sender(base_url=base_url, hook=hook, account=account)


@pytest.fixture
async def redis_hub(redis_settings: Settings, live_rt: Runtime) -> AsyncIterator[str]:
    """The real hub on a loopback port, sending to Redis; yields its URL."""
    broker = configure_broker(redis_settings)
    app = build_hub(live_rt, DramatiqPublishQueue(), partial(ping_broker, broker))
    served = await serve(app, "127.0.0.1", 0, access_log=False)
    try:
        yield f"http://127.0.0.1:{served.port}"
    finally:
        await served.stop()
        close_broker(broker)


@pytest.fixture
async def redis_scheduler(live_rt: Runtime, redis_hub: str,
                          redis_url: str) -> AsyncIterator[SchedulerTask]:
    """A scheduler next to the hub (whose broker it sends through); the test starts it."""
    scheduler = SchedulerTask(rt=live_rt, redis_url=redis_url)
    try:
        yield scheduler
    finally:
        await scheduler.close()


@pytest.fixture
def worker_process(redis_settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A worker process, started by the test when it wants it; always stopped at the end."""
    worker = WorkerProcess(env=worker_env(redis_settings, POSTFLOW_WORKER_THREADS="2"),
                           log_path=tmp_path / "worker.log")
    try:
        yield worker
    finally:
        code = worker.stop()
        if code not in (None, 0):
            print(worker.log())  # shown by pytest when the test failed
        assert code in (None, 0), f"the worker exited with {code}"


@pytest.fixture
async def embedded(e2e_settings: Settings, live_rt: Runtime) -> AsyncIterator[str]:
    """``postflow up`` in this process (in-process broker); yields the hub's URL."""
    stop = asyncio.Event()
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_embedded(e2e_settings, stop, on_ready=ready.set_result))
    try:
        waiters: set[asyncio.Future[Any]] = {ready, task}
        done, _ = await asyncio.wait(waiters, timeout=10,
                                     return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
        assert ready in done, "postflow up did not become ready"
        yield ready.result()
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
