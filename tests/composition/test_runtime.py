"""The composition root: the runtime it builds follows the settings."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest

from composition.runtime import open_runtime
from postflow.account_gates import NetworkBusy
from postflow.config import Settings


async def test_the_configured_network_cap_is_the_one_enforced(settings: Settings) -> None:
    rt = await open_runtime(settings.model_copy(update={
        "network_concurrency": {"x": 2}, "network_slot_wait_seconds": 0.05}))
    try:
        async with AsyncExitStack() as held:
            for _ in range(2):
                await held.enter_async_context(rt.gates.acquire("x"))
            with pytest.raises(NetworkBusy, match="All 2 slots for x"):
                async with rt.gates.acquire("x"):
                    pass
    finally:
        await rt.store.close()


async def test_the_configured_default_cap_applies_to_unnamed_networks(
        settings: Settings) -> None:
    rt = await open_runtime(settings.model_copy(update={
        "network_concurrency_default": 1, "network_slot_wait_seconds": 0.05}))
    try:
        async with rt.gates.acquire("linkedin"):
            with pytest.raises(NetworkBusy):
                async with rt.gates.acquire("linkedin"):
                    pass
            async with rt.gates.acquire("sandbox"):  # still uncapped
                pass
    finally:
        await rt.store.close()


async def test_without_settings_the_built_in_caps_hold(settings: Settings) -> None:
    rt = await open_runtime(settings.model_copy(update={"network_slot_wait_seconds": 0.05}))
    try:
        async with AsyncExitStack() as held:
            for _ in range(16):
                await held.enter_async_context(rt.gates.acquire("x"))
            with pytest.raises(NetworkBusy, match="All 16 slots"):
                async with rt.gates.acquire("x"):
                    pass
    finally:
        await rt.store.close()
