"""The port through which the core hands a claimed post to a worker (Dramatiq in practice)."""

from __future__ import annotations

from typing import Protocol


class PublishQueue(Protocol):
    async def enqueue_publish(self, org_id: str, post_id: str, version: int,
                              trigger: str) -> None:
        """Send one publish job. May raise when the broker is down: the post stays Queued in
        the store and the reconciler sends it again, so nothing is lost."""
        ...

    async def enqueue_canary(self) -> None:
        """Send a canary job; a worker that consumes it records a heartbeat."""
        ...
