"""Worker test fixtures: a recording queue, a sandbox account, and a clean worker runtime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import dramatiq
import pytest

from composition.worker import install_worker_runtime
from postflow.config import Settings
from postflow.runtime import Runtime
from tests.fakes.clock import ManualClock
from tests.workers.scenario import RecordingQueue, SandboxAccount, sandbox_account
from workers import worker_runtime
from workers.broker import close_broker, configure_broker
from workers.dramatiq_queue import DramatiqPublishQueue
from workers.embedded import InProcessWorker


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
async def account(rt: Runtime) -> SandboxAccount:
    return await sandbox_account(rt)


@pytest.fixture(autouse=True)
def _no_worker_runtime_left() -> Iterator[None]:
    """Each test installs its own worker runtime; none outlives it."""
    yield
    worker_runtime.uninstall()


@dataclass
class RunningWorker:
    broker: dramatiq.Broker
    queue: DramatiqPublishQueue


@pytest.fixture
async def running_worker(settings: Settings, clock: ManualClock) -> AsyncIterator[RunningWorker]:
    """The in-process broker with a worker consuming it, on the test's clock."""
    broker = configure_broker(settings)
    queue = DramatiqPublishQueue()
    install_worker_runtime(settings, clock=clock)
    worker = InProcessWorker(broker, settings, worker_timeout_ms=100)
    worker.start()
    try:
        yield RunningWorker(broker=broker, queue=queue)
    finally:
        await asyncio.to_thread(worker.stop, 10)
        close_broker(broker)
