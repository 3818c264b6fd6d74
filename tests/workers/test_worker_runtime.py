"""The worker's runtime: opened once, on the loop that runs the actors, and only there."""

from __future__ import annotations

import asyncio
import threading

import pytest

from composition.worker import install_worker_runtime
from postflow.config import Settings
from postflow.runtime import Runtime
from workers import worker_runtime


async def test_an_actor_in_a_process_without_install_fails_clearly() -> None:
    with pytest.raises(worker_runtime.RuntimeNotInstalled):
        await worker_runtime.get_runtime()


async def test_concurrent_callers_share_one_runtime(settings: Settings) -> None:
    install_worker_runtime(settings)
    try:
        runtimes = await asyncio.gather(*(worker_runtime.get_runtime() for _ in range(5)))
        again = await worker_runtime.get_runtime()
    finally:
        await worker_runtime.close_runtime()

    assert all(r is again for r in runtimes)


async def test_another_event_loop_cannot_use_the_runtime(settings: Settings) -> None:
    install_worker_runtime(settings)
    await worker_runtime.get_runtime()
    errors: list[BaseException] = []

    def other_loop() -> None:
        try:
            asyncio.run(worker_runtime.get_runtime())
        except BaseException as err:
            errors.append(err)

    try:
        thread = threading.Thread(target=other_loop)
        thread.start()
        await asyncio.to_thread(thread.join, 10)
    finally:
        await worker_runtime.close_runtime()

    assert len(errors) == 1 and "another event loop" in str(errors[0])


async def test_after_closing_the_next_call_opens_a_fresh_runtime(settings: Settings) -> None:
    install_worker_runtime(settings)
    first: Runtime = await worker_runtime.get_runtime()
    await worker_runtime.close_runtime()
    try:
        second = await worker_runtime.get_runtime()
        await second.store.ping()
    finally:
        await worker_runtime.close_runtime()

    assert second is not first
