"""Idempotency keys of webhook requests: a retried request gets the first one's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from postflow.hooks import IdempotencyRecord


class IdempotencyKeyRecords(Protocol):
    async def reserve_idempotency_key(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Insert ``record`` if (hook_id, key) is free or its holder expired, and return None.

        Otherwise return the existing, unexpired record (atomically: two racers never both get
        None).
        """
        ...

    async def complete_idempotency_key(self, hook_id: str, key: str, status_code: int,
                                       response_body: str) -> None: ...

    async def release_idempotency_key(self, hook_id: str, key: str) -> None:
        """Forget a reservation whose request failed, so the caller may try again."""
        ...

    async def purge_idempotency_keys(self, now: datetime) -> int:
        """Delete records expired at ``now``; returns how many."""
        ...
