"""Signatures of signed requests already seen (replay refusal)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class SeenSignatureRecords(Protocol):
    async def claim_signature(self, scope: str, signature: str, expires_at: datetime,
                              now: datetime) -> bool:
        """Record that a signed request was seen; False when (scope, signature) was seen before
        and its record has not expired at ``now``.

        One indexed insert-if-absent (an expired record is taken over in the same write), so
        of two racers (two hubs) exactly one gets True.
        """
        ...

    async def purge_seen_signatures(self, now: datetime) -> int:
        """Delete records expired at ``now``; returns how many."""
        ...
