"""Recurring series, written compare-and-swap on ``version`` like posts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from postflow.recurrence import RecurringSeries, SeriesStatus


class SeriesRecords(Protocol):
    async def insert_series(self, series: RecurringSeries) -> None:
        """Raises Conflict when the series id exists."""
        ...

    async def get_series(self, org_id: str, series_id: str) -> RecurringSeries:
        """Raises NotFound."""
        ...

    async def list_series(self, org_id: str,
                          statuses: Sequence[SeriesStatus] | None = None) -> list[RecurringSeries]:
        """Oldest first (by created_at, then id)."""
        ...

    async def replace_series(self, series: RecurringSeries, expected_version: int) -> None:
        """Write ``series`` only if the stored version is ``expected_version``; else Conflict.

        Raises NotFound when the series does not exist in that organization.
        """
        ...

    async def find_due_series(self, before: datetime, limit: int) -> list[RecurringSeries]:
        """Active series whose next occurrence (``next_at``) is at or before ``before``,
        earliest first, across organizations (the scheduler serves them all)."""
        ...
