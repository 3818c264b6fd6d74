"""The dependencies every use case works with, bundled once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from postflow.clock import Clock, SystemClock
from postflow.config import Settings
from postflow.plans import PlanCatalog
from postflow.providers import ProviderRegistry
from postflow.store.port import Store
from postflow.token_vault import TokenVault


@dataclass
class Runtime:
    settings: Settings
    store: Store
    providers: ProviderRegistry
    vault: TokenVault
    plans: PlanCatalog
    clock: Clock = field(default_factory=SystemClock)
