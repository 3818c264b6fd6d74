"""Members' notification centers: the notices each member received, read or unread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from postflow.inbox import InboxEntry


class InboxRecords(Protocol):
    async def insert_inbox_entries(self, entries: Sequence[InboxEntry]) -> None:
        """Insert every entry (one notice, each member who received it)."""
        ...

    async def list_inbox_entries(self, org_id: str, member_id: str, *,
                                 unread_only: bool = False,
                                 limit: int = 20) -> list[InboxEntry]:
        """The member's entries, newest first."""
        ...

    async def count_unread_inbox_entries(self, org_id: str, member_id: str) -> int: ...

    async def mark_inbox_read(self, org_id: str, member_id: str, at: datetime) -> int:
        """Mark every unread entry of the member read at ``at``; how many were unread."""
        ...

    async def purge_inbox_entries(self, created_before: datetime, limit: int) -> int:
        """Delete up to ``limit`` entries created before ``created_before``, in every
        organization (the scheduler's retention); how many."""
        ...
