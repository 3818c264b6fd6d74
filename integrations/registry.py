"""The one registry of networks: ``network name -> provider``."""

from __future__ import annotations

from integrations.sandbox import SandboxProvider
from postflow.clock import Clock
from postflow.providers import Provider, ProviderRegistry
from postflow.store.port import Store


def build_provider_registry(store: Store, clock: Clock, public_url: str) -> ProviderRegistry:
    providers: dict[str, Provider] = {
        "sandbox": SandboxProvider(store, clock, public_url),
    }
    return ProviderRegistry(providers)
