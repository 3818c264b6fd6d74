"""Posts: written compare-and-swap on ``version``, which is what makes claiming work atomic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from postflow.attempts import PublishAttempt
from postflow.audit import AuditEvent
from postflow.pages import PageAfter, PostFilter
from postflow.posts import Post, PostStatus
from postflow.store.records.usage import UsageCharge


class PostRecords(Protocol):
    async def insert_post(self, post: Post, audit: Sequence[AuditEvent] = (), *,
                          charge: UsageCharge | None = None) -> None:
        """Insert a new post together with the audit events of its creation.

        With ``charge``, the post is also counted against that usage limit of its organization,
        and at the limit nothing is written and UsageExhausted is raised. SQLite does all of it
        in one transaction; MongoDB takes the charge, writes the post, then the events, and
        gives the charge back if the post cannot be written. Raises Conflict when the post id
        exists.
        """
        ...

    async def get_post(self, org_id: str, post_id: str) -> Post:
        """Raises NotFound."""
        ...

    async def list_posts(self, org_id: str, statuses: Sequence[PostStatus] | None = None,
                         limit: int = 50) -> list[Post]:
        """Newest first (by created_at, then id)."""
        ...

    async def list_posts_page(self, org_id: str, filter_: PostFilter, *,
                              after: PageAfter | None, limit: int) -> list[Post]:
        """Up to ``limit`` posts matching ``filter_``, newest first by (created_at, id),
        strictly after ``after`` in that order (keyset pagination)."""
        ...

    async def list_posts_soonest_first(self, org_id: str, statuses: Sequence[PostStatus], *,
                                       offset: int, limit: int) -> list[Post]:
        """One page of the organization's posts in ``statuses``, soonest first: by due time
        (``due_at``, else ``scheduled_at``); posts with neither come last, oldest first; ties by
        id."""
        ...

    async def count_posts(self, org_id: str, statuses: Sequence[PostStatus]) -> int:
        """How many of the organization's posts are in one of ``statuses``."""
        ...

    async def count_posts_updated_between(self, org_id: str, statuses: Sequence[PostStatus],
                                          since: datetime, until: datetime) -> int:
        """How many of the organization's posts in ``statuses`` were last written in
        [``since``, ``until``) (a digest's published and failed counts)."""
        ...

    async def replace_post(self, post: Post, expected_version: int, *,
                           audit: Sequence[AuditEvent] = (),
                           attempt: PublishAttempt | None = None) -> None:
        """Write ``post`` only if the stored version is ``expected_version``; else Conflict.

        ``audit`` events and ``attempt`` are written with the post, and only if it is written:
        a pending attempt is inserted (as :meth:`insert_attempt`), a finished one closes its
        pending attempt (as :meth:`finish_attempt`). One store trip instead of three. SQLite
        writes all of it in one transaction, so an attempt that cannot be written (Conflict,
        NotFound) leaves the post unwritten too; MongoDB writes the post, then the attempt, then
        the events. Raises NotFound when the post does not exist in that organization.
        """
        ...

    async def find_due_posts(self, now: datetime, limit: int, *,
                             excluding_orgs: Sequence[str] = ()) -> list[Post]:
        """Scheduled posts with ``due_at <= now``, earliest due first, across organizations
        but those in ``excluding_orgs`` (suspended ones: their posts wait)."""
        ...

    async def next_due_at(self, *, excluding_orgs: Sequence[str] = ()) -> datetime | None:
        """The earliest ``due_at`` of any Scheduled post, across organizations but those in
        ``excluding_orgs``; None when no post is scheduled (the scheduler sleeps until then)."""
        ...

    async def find_stale_posts(self, statuses: Sequence[PostStatus], updated_before: datetime,
                               limit: int) -> list[Post]:
        """Posts in ``statuses`` last written before ``updated_before``, oldest first."""
        ...

    async def list_posts_by_source(self, org_id: str, kind: str, ref: str,
                                   limit: int = 50) -> list[Post]:
        """Posts whose ``source`` is (``kind``, ``ref``), latest ``scheduled_at`` first (then
        id). Not indexed beyond the organization: for a person's commands, not hot paths."""
        ...
