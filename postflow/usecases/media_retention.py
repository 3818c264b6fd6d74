"""Deleting media nobody uses any more: the scheduler's media pass.

An organization's hold on a medium (``postflow/org_media.py``) lapses once no live post or
recurring series of the organization names it and ``POSTFLOW_MEDIA_RETENTION_HOURS`` have passed
since it was last used: added, named by a new post, or named by a post that has since finished
(counted from when it finished). The hold is then
deleted and its bytes given back to the organization's meter; the bytes themselves are deleted
from the media store when no organization holds the medium any more.

Live means a post that may still be published (any status but Published and Canceled: a Failed
or Partial post can be rescheduled) and a series that is active or paused.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from postflow.org_media import OrgMedia
from postflow.post_status import TERMINAL_STATUSES
from postflow.posts import PostStatus
from postflow.recurrence import SeriesStatus
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

#: How often the scheduler runs the pass; the retention is counted in hours.
RUN_EVERY = timedelta(minutes=10)
#: Holds read per store query, and at most this many queries per pass (the rest wait a pass).
BATCH = 200
MAX_BATCHES = 10

LIVE_POST_STATUSES = tuple(s for s in PostStatus if s not in TERMINAL_STATUSES)
LIVE_SERIES_STATUSES = (SeriesStatus.ACTIVE, SeriesStatus.PAUSED)


@dataclass(frozen=True)
class MediaPass:
    """What one pass did."""

    #: Holds idle for the retention but named by a live post (their use is now) or by a post
    #: that finished within the retention (their use is when it finished).
    kept: int = 0
    #: Holds deleted, their bytes given back to their organization's meter.
    released: int = 0
    #: Media whose bytes were deleted because no organization holds them any more.
    deleted: int = 0


async def release_unused_media(rt: Runtime) -> MediaPass:
    """Release the holds on media unused for the retention, and delete media nobody holds."""
    now = rt.clock.now()
    unused_since = now - timedelta(hours=rt.settings.media_retention_hours)
    kept = released = deleted = 0
    for _ in range(MAX_BATCHES):
        idle = await rt.store.find_idle_media(unused_since, BATCH)
        by_org: dict[str, list[OrgMedia]] = defaultdict(list)
        for record in idle:
            by_org[record.org_id].append(record)
        for org_id, records in by_org.items():
            last_used = await _last_uses(rt, org_id, [r.media_id for r in records], now)
            for record in records:
                used_at = last_used.get(record.media_id)
                if used_at is not None and used_at >= unused_since:
                    await rt.store.use_held_media(org_id, record.media_id, used_at)
                    kept += 1
                elif await rt.store.release_held_media(record):
                    released += 1
                    deleted += await _delete_if_unheld(rt, record.media_id)
        # Every record read was kept (its use is now), released, or used meanwhile: the next
        # query reads new ones.
        if len(idle) < BATCH:
            break
    if released:
        log.info("released %d unused media holds, deleted %d media", released, deleted)
    return MediaPass(kept=kept, released=released, deleted=deleted)


async def _last_uses(rt: Runtime, org_id: str, media_ids: list[str],
                     now: datetime) -> dict[str, datetime]:
    """When each medium was last used by the organization's posts and series: now for those a
    live one names, else when the last post naming it finished."""
    last_named = await rt.store.media_last_named(org_id, media_ids)
    in_use = await rt.store.media_in_use(org_id, media_ids, LIVE_POST_STATUSES,
                                         LIVE_SERIES_STATUSES)
    return last_named | dict.fromkeys(in_use, now)


async def _delete_if_unheld(rt: Runtime, media_id: str) -> int:
    """Delete the medium's bytes when no organization holds it; 1 if deleted.

    An organization adding the very same file between the count and the delete would find the
    bytes still there, skip writing them and lose them: a window of one store round trip, for a
    file unused for the whole retention, accepted rather than locking every upload."""
    if rt.media_store is None or await rt.store.count_media_holders(media_id):
        return 0
    await rt.media_store.delete(media_id)
    return 1
