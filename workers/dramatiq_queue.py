"""The PublishQueue the hub and the scheduler use: Dramatiq messages to the actors."""

from __future__ import annotations

import asyncio


class DramatiqPublishQueue:
    """Sends through the configured broker; build it after ``configure_broker``.

    Sending talks to Redis synchronously, so it runs in a thread: a slow or unreachable Redis
    never stalls the caller's event loop (the hub's, or the scheduler's).
    """

    def __init__(self) -> None:
        from workers import actors  # here, not at the top: actors need a configured broker

        self._actors = actors

    async def enqueue_publish(self, org_id: str, post_id: str, version: int,
                              trigger: str) -> None:
        await asyncio.to_thread(self._actors.publish_post.send, org_id, post_id, version,
                                trigger)

    async def enqueue_canary(self) -> None:
        await asyncio.to_thread(self._actors.consume_canary.send)
