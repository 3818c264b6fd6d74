"""OAuth ``state`` values already used, so a consent answer is accepted once."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class OAuthStateRecords(Protocol):
    async def claim_oauth_state(self, state_id: str, expires_at: datetime,
                                now: datetime) -> bool:
        """Record that an OAuth ``state`` was used; False when it was used before.

        Atomic: of two racers claiming one state, exactly one gets True. Claims expired at
        ``now`` are forgotten (their states are refused for age anyway).
        """
        ...
