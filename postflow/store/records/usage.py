"""Usage metering: counters of plan limits per organization, metric and period."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class UsageCharge:
    """One unit of a metered plan limit, taken in the same write as the record it counts."""

    metric: str
    period: str
    #: ``None``: metered but unlimited.
    limit: int | None


class UsageExhausted(Exception):
    """Raised by ``insert_post`` when its charge is at the limit: nothing was written."""


class UsageRecords(Protocol):
    async def consume_usage(self, org_id: str, metric: str, period: str,
                            limit: int | None) -> int | None:
        """Add one to the counter if it stays within ``limit`` (None: no limit).

        Returns the new count, or None when the limit was already reached. Atomic.
        """
        ...

    async def release_usage(self, org_id: str, metric: str, period: str) -> None:
        """Take one back (never below zero), for work that was refused after consuming."""
        ...

    async def get_usage(self, org_id: str, metric: str, period: str) -> int: ...
