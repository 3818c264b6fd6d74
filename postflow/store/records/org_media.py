"""Media held by organizations (postflow/org_media.py) and the media meter they charge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from postflow.org_media import OrgMedia
from postflow.posts import PostStatus
from postflow.recurrence import SeriesStatus


class OrgMediaRecords(Protocol):
    async def hold_media(self, media: OrgMedia, limit_bytes: int | None) -> bool:
        """Record that ``media.org_id`` holds the medium and add its size to the organization's
        media meter (usage ``MEDIA_BYTES_METRIC``/``MEDIA_BYTES_PERIOD``), together; True.

        When the organization holds it already, nothing is charged, its ``last_used_at``
        becomes ``media.last_used_at`` (if later) and False is returned. When the meter would go
        past ``limit_bytes`` (None: no limit), nothing is written and UsageExhausted is raised.
        SQLite does it in one transaction; MongoDB inserts the record, then charges the meter,
        and takes the record back if the charge is refused.
        """
        ...

    async def use_held_media(self, org_id: str, media_id: str,
                             at: datetime) -> OrgMedia | None:
        """The organization's record of the medium with ``last_used_at`` moved to ``at`` (if
        later); None when the organization does not hold it."""
        ...

    async def find_idle_media(self, unused_since: datetime, limit: int) -> list[OrgMedia]:
        """Records last used before ``unused_since``, least recently used first, across
        organizations (the scheduler serves them all)."""
        ...

    async def media_in_use(self, org_id: str, media_ids: Sequence[str],
                           post_statuses: Sequence[PostStatus],
                           series_statuses: Sequence[SeriesStatus]) -> set[str]:
        """Which of ``media_ids`` the organization's posts in ``post_statuses`` or recurring
        series in ``series_statuses`` name among their media."""
        ...

    async def media_last_named(self, org_id: str, media_ids: Sequence[str]) -> dict[str, datetime]:
        """For each of ``media_ids`` some post of the organization names, the latest
        ``updated_at`` of those posts (a finished post's is when it finished)."""
        ...

    async def release_held_media(self, media: OrgMedia) -> bool:
        """Delete the record and give its size back to the meter, only if it is still as read
        (same ``last_used_at``: a post naming it meanwhile keeps it); True when released."""
        ...

    async def count_media_holders(self, media_id: str) -> int:
        """How many organizations hold the medium (its bytes may go when none does)."""
        ...
