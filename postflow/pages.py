"""Keyset pagination: a page ends at an item, and the next page starts strictly after it.

Lists are newest first by (time, id): an item inserted while someone pages is newer than every
position already handed out, so it never shifts or repeats items of the pages that follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from postflow.posts import PostStatus


@dataclass(frozen=True)
class PageAfter:
    """The last item of the previous page: its time (created_at, or an event's at) and id."""

    at: datetime
    id: str


@dataclass(frozen=True)
class PostFilter:
    """Which of an organization's posts a list shows; None fields do not filter."""

    statuses: tuple[PostStatus, ...] | None = None
    #: Posts with at least one target on this network.
    network: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    scheduled_from: datetime | None = None
    scheduled_before: datetime | None = None
