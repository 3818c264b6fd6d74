"""The store port: everything the core reads or writes, implemented by sqlite.py and mongo.py.

Every read and write of an organization's data takes its ``org_id``. A few lookups are global
on purpose, because they are entry points that find the organization: ``find_hook`` (a webhook
URL names only the hook), ``find_due_posts``, ``find_stale_posts`` and ``find_idle_media``
(the scheduler serves all organizations), ``count_media_holders`` (media bytes are shared),
``find_workspace`` and ``find_chat_installation`` (a chat request names only
its workspace). Writes of posts are compare-and-swap on ``version``, which is what makes claiming
work atomic: of two racers replacing the same version, exactly one wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from postflow.approvals import ApprovalPolicy
from postflow.attempts import PublishAttempt
from postflow.audit import AuditEvent
from postflow.chat_installations import ChatInstallation
from postflow.connections import Connection
from postflow.hooks import IdempotencyRecord, IncomingHook
from postflow.org_media import OrgMedia
from postflow.organizations import Member, Organization, Workspace
from postflow.posts import Post, PostStatus
from postflow.queues import QueueSettings
from postflow.recurrence import RecurringSeries, SeriesStatus
from postflow.reviews import ReviewRequest
from postflow.sandbox_posts import SandboxPost


@dataclass(frozen=True)
class UsageCharge:
    """One unit of a metered plan limit, taken in the same write as the record it counts."""

    metric: str
    period: str
    #: ``None``: metered but unlimited.
    limit: int | None


class UsageExhausted(Exception):
    """Raised by ``insert_post`` when its charge is at the limit: nothing was written."""


class Store(Protocol):
    # -- lifecycle -------------------------------------------------------------------------
    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        ...

    async def close(self) -> None: ...

    # -- organizations -----------------------------------------------------------------------
    async def insert_organization(self, org: Organization) -> None:
        """Insert; raises Conflict when an organization of that name exists."""
        ...

    async def get_organization(self, org_id: str) -> Organization:
        """Raises NotFound."""
        ...

    async def find_organization_by_name(self, name: str) -> Organization | None: ...

    async def list_organizations(self) -> list[Organization]: ...

    async def update_organization(self, org: Organization) -> None:
        """Replace by id; raises NotFound."""
        ...

    # -- members and workspaces -------------------------------------------------------------
    async def insert_member(self, member: Member) -> None:
        """Raises Conflict when the same identity is already a member of the organization."""
        ...

    async def find_member(self, org_id: str, platform: str, workspace_id: str,
                          user_id: str) -> Member | None: ...

    async def list_members(self, org_id: str) -> list[Member]: ...

    async def count_members(self, org_id: str) -> int: ...

    async def update_member(self, member: Member) -> None:
        """Replace by (org_id, id); raises NotFound."""
        ...

    async def insert_workspace(self, workspace: Workspace) -> None:
        """Raises Conflict when (platform, external_id) is already linked to any organization."""
        ...

    async def list_workspaces(self, org_id: str) -> list[Workspace]: ...

    async def count_workspaces(self, org_id: str) -> int: ...

    async def find_workspace(self, platform: str, external_id: str) -> Workspace | None:
        """The workspace linked to any organization under that id (global: a chat request
        names only its workspace, and this finds the organization)."""
        ...

    # -- chat app installations and OAuth states ---------------------------------------------
    async def save_chat_installation(self, installation: ChatInstallation) -> None:
        """Insert, or replace the one stored for (platform, workspace_id)."""
        ...

    async def find_chat_installation(self, platform: str,
                                     workspace_id: str) -> ChatInstallation | None:
        """Global, like :meth:`find_workspace`: chat requests name only their workspace."""
        ...

    async def claim_oauth_state(self, state_id: str, expires_at: datetime,
                                now: datetime) -> bool:
        """Record that an OAuth ``state`` was used; False when it was used before.

        Atomic: of two racers claiming one state, exactly one gets True. Claims expired at
        ``now`` are forgotten (their states are refused for age anyway).
        """
        ...

    # -- connections ------------------------------------------------------------------------
    async def insert_connection(self, connection: Connection) -> None:
        """Raises Conflict when (org_id, network, account_id) exists."""
        ...

    async def get_connection(self, org_id: str, connection_id: str) -> Connection:
        """Raises NotFound."""
        ...

    async def list_connections(self, org_id: str,
                               network: str | None = None) -> list[Connection]:
        """Oldest first."""
        ...

    async def count_connections(self, org_id: str) -> int:
        """Connections that count against the plan: every one not ``disconnected``."""
        ...

    async def update_connection(self, connection: Connection) -> None:
        """Replace by (org_id, id); raises NotFound."""
        ...

    # -- incoming hooks and idempotency -----------------------------------------------------
    async def insert_hook(self, hook: IncomingHook) -> None: ...

    async def find_hook(self, hook_id: str) -> IncomingHook | None: ...

    async def list_hooks(self, org_id: str) -> list[IncomingHook]: ...

    async def update_hook(self, hook: IncomingHook) -> None:
        """Replace by (org_id, id); raises NotFound."""
        ...

    async def delete_hook(self, org_id: str, hook_id: str) -> None:
        """Delete by (org_id, id), secrets and all; raises NotFound."""
        ...

    async def reserve_idempotency_key(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Insert ``record`` if (hook_id, key) is free or its holder expired, and return None.

        Otherwise return the existing, unexpired record (atomically: two racers never both get
        None).
        """
        ...

    async def complete_idempotency_key(self, hook_id: str, key: str, status_code: int,
                                       response_body: str) -> None: ...

    async def release_idempotency_key(self, hook_id: str, key: str) -> None:
        """Forget a reservation whose request failed, so the caller may try again."""
        ...

    async def purge_idempotency_keys(self, now: datetime) -> int:
        """Delete records expired at ``now``; returns how many."""
        ...

    # -- seen request signatures (replay refusal) ---------------------------------------------
    async def claim_signature(self, scope: str, signature: str, expires_at: datetime,
                              now: datetime) -> bool:
        """Record that a signed request was seen; False when (scope, signature) was seen before
        and its record has not expired at ``now``.

        One indexed insert-if-absent (an expired record is taken over in the same write), so
        of two racers (two hubs) exactly one gets True.
        """
        ...

    async def purge_seen_signatures(self, now: datetime) -> int:
        """Delete records expired at ``now``; returns how many."""
        ...

    # -- posts ------------------------------------------------------------------------------
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

    async def list_posts_soonest_first(self, org_id: str, statuses: Sequence[PostStatus], *,
                                       offset: int, limit: int) -> list[Post]:
        """One page of the organization's posts in ``statuses``, soonest first: by due time
        (``due_at``, else ``scheduled_at``); posts with neither come last, oldest first; ties by
        id."""
        ...

    async def count_posts(self, org_id: str, statuses: Sequence[PostStatus]) -> int:
        """How many of the organization's posts are in one of ``statuses``."""
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

    async def find_due_posts(self, now: datetime, limit: int) -> list[Post]:
        """Scheduled posts with ``due_at <= now``, earliest due first, across organizations."""
        ...

    async def next_due_at(self) -> datetime | None:
        """The earliest ``due_at`` of any Scheduled post, across organizations; None when no
        post is scheduled (the scheduler sleeps until then)."""
        ...

    async def find_stale_posts(self, statuses: Sequence[PostStatus], updated_before: datetime,
                               limit: int) -> list[Post]:
        """Posts in ``statuses`` last written before ``updated_before``, oldest first."""
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

    # -- queue settings ---------------------------------------------------------------------
    async def get_queue_settings(self, org_id: str,
                                 connection_id: str) -> QueueSettings | None:
        """The connection's stored settings; None when it uses the defaults."""
        ...

    async def save_queue_settings(self, settings: QueueSettings) -> None:
        """Insert or replace the settings of (org_id, connection_id)."""
        ...

    # -- publish attempts and audit ---------------------------------------------------------
    async def insert_attempt(self, attempt: PublishAttempt) -> None:
        """Raises Conflict when the attempt id exists."""
        ...

    async def finish_attempt(self, attempt: PublishAttempt) -> None:
        """Close a pending attempt with its outcome; Conflict if it was closed already."""
        ...

    async def list_attempts(self, org_id: str, post_id: str) -> list[PublishAttempt]:
        """Oldest first."""
        ...

    async def append_audit(self, event: AuditEvent) -> None: ...

    async def list_audit(self, org_id: str, subject_id: str | None = None,
                         limit: int = 200) -> list[AuditEvent]:
        """Oldest first."""
        ...

    # -- usage metering ---------------------------------------------------------------------
    async def consume_usage(self, org_id: str, metric: str, period: str,
                            limit: int | None) -> int | None:
        """Add one to the counter if it stays within ``limit`` (None: no limit).

        Returns the new count, or None when the limit was already reached. Atomic.
        """
        ...

    async def release_usage(self, org_id: str, metric: str, period: str) -> None:
        """Take one back (never below zero), for work that was refused after consuming."""
        ...

    async def get_usage(self, org_id: str, metric: str, period: str) -> int: ...

    # -- media held by organizations (postflow/org_media.py) -----------------------------------
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

    # -- heartbeats (worker canary) ----------------------------------------------------------
    async def set_heartbeat(self, name: str, at: datetime) -> None: ...

    async def get_heartbeat(self, name: str) -> datetime | None: ...

    # -- the sandbox network's own records ----------------------------------------------------
    async def insert_sandbox_post(self, post: SandboxPost) -> None: ...

    async def find_sandbox_posts(self, connection_id: str,
                                 idempotency_key: str | None = None) -> list[SandboxPost]:
        """Oldest first; all of the connection's when no key is given."""
        ...

    async def get_sandbox_post(self, sandbox_post_id: str) -> SandboxPost | None: ...

    # -- recurring series ---------------------------------------------------------------------
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

    async def list_posts_by_source(self, org_id: str, kind: str, ref: str,
                                   limit: int = 50) -> list[Post]:
        """Posts whose ``source`` is (``kind``, ``ref``), latest ``scheduled_at`` first (then
        id). Not indexed beyond the organization: for a person's commands, not hot paths."""
        ...

    # -- approval policies and review requests -------------------------------------------------
    async def get_approval_policies(self, org_id: str) -> dict[str, ApprovalPolicy]:
        """The organization's stored policies by scope: ``""`` for the organization itself, a
        connection id for that connection's override. Empty when none was ever set."""
        ...

    async def save_approval_policy(self, org_id: str, scope: str,
                                   policy: ApprovalPolicy | None) -> None:
        """Insert or replace the policy of ``scope``; ``None`` removes it."""
        ...

    async def insert_review(self, review: ReviewRequest) -> None:
        """Raises Conflict when the review id exists."""
        ...

    async def get_review(self, org_id: str, review_id: str) -> ReviewRequest:
        """Raises NotFound."""
        ...

    async def find_review_for_post(self, org_id: str, post_id: str) -> ReviewRequest | None:
        """The post's latest review record (by ``requested_at``, then id), or None."""
        ...

    async def replace_review(self, review: ReviewRequest, expected_version: int) -> None:
        """Write ``review`` only if the stored version is ``expected_version``; else Conflict.

        Raises NotFound when the review does not exist in that organization.
        """
        ...

    async def find_expired_reviews(self, now: datetime, limit: int) -> list[ReviewRequest]:
        """Open reviews whose ``expires_at`` is at or before ``now``, earliest first, across
        organizations (the scheduler serves them all)."""
        ...
