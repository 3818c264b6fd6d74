"""The separate processes' entry points, as the CLI runs them: the hub on its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from composition.processes import run_hub
from postflow.config import Settings


@pytest.fixture
async def hub_process(redis_settings: Settings) -> AsyncIterator[str]:
    """``postflow hub`` in this process, on Redis; yields its URL."""
    stop = asyncio.Event()
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_hub(redis_settings, stop, on_ready=ready.set_result))
    try:
        waiters: set[asyncio.Future[Any]] = {ready, task}
        done, _ = await asyncio.wait(waiters, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
        assert ready in done, "the hub did not become ready"
        yield ready.result()
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def test_the_hub_alone_reaches_its_store_and_broker(hub_process: str) -> None:
    async with aiohttp.ClientSession() as session, \
            session.get(f"{hub_process}/readyz") as response:
        body = await response.json()

    # No worker runs, so the hub is not ready; but it reached the store and Redis.
    assert response.status == 503
    assert body["checks"]["store"]["ok"] and body["checks"]["broker"]["ok"]
    assert not body["checks"]["worker"]["ok"]
