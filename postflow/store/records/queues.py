"""Posting queues: each connection's queue settings and the posts placed in its queue."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from postflow.posts import Post
from postflow.queues import QueueSettings


class QueueRecords(Protocol):
    async def get_queue_settings(self, org_id: str,
                                 connection_id: str) -> QueueSettings | None:
        """The connection's stored settings; None when it uses the defaults."""
        ...

    async def save_queue_settings(self, settings: QueueSettings) -> None:
        """Insert or replace the settings of (org_id, connection_id)."""
        ...

    async def list_queue_times(self, org_id: str, connection_id: str,
                               after: datetime) -> list[datetime]:
        """``scheduled_at`` of queue-placed posts targeting the connection, not canceled and
        scheduled after ``after``, ascending."""
        ...

    async def list_queue_posts(self, org_id: str, connection_id: str,
                               after: datetime) -> list[Post]:
        """The posts :meth:`list_queue_times` counts, by ``scheduled_at`` then id."""
        ...
