"""A short-lived, in-process read cache over a :class:`~postflow.store.port.Store`, for the hub.

Every signed webhook reads its hook, its organization and its target connections; under load
those three reads cost more than creating the post. This wrapper serves them from memory for at
most ``ttl_seconds`` (2 s by default) and delegates everything else to the wrapped store, method
by method: every method of the port is written out here and sorted into one of four sets
(:data:`CACHED_READS`, :data:`UNCACHED_READS`, :data:`INVALIDATING_WRITES`,
:data:`UNCACHED_WRITES`), which the tests check cover the port, so a new store method cannot
slip past the cache. There is no pass-through: a method the port lacks is an AttributeError.

What may be stale, and for how long: a hook, organization, connection or API key changed by
*another* process (the CLI rotating a secret, disabling a hook or revoking an API key, a worker
marking a connection ``needs_reconnect``, a plan change) is seen here up to ``ttl_seconds``
late. Writes made
through this wrapper empty the cache at once, so this process always reads its own writes.
Usage counters, posts, media held by organizations (a tenancy check must see the last write)
and everything else are never cached.

Records are handed out as cached, not copied: callers must not change them in place (the core
never does; records are replaced through ``model_copy``).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from postflow.api_keys import ApiKey
from postflow.approvals import ApprovalPolicy
from postflow.attempts import PublishAttempt
from postflow.audit import AuditEvent
from postflow.billing.events import BillingEvent
from postflow.chat_drafts import ChatDraft
from postflow.chat_installations import ChatInstallation
from postflow.connections import Connection
from postflow.email.message import EmailStatus, EmailSuppression, OutgoingEmail
from postflow.hooks import IdempotencyRecord, IncomingHook
from postflow.inbox import InboxEntry
from postflow.invitations import Invitation, InvitationStatus
from postflow.org_media import OrgMedia
from postflow.organizations import Member, Organization, Workspace
from postflow.pages import PageAfter, PostFilter
from postflow.posts import Post, PostStatus
from postflow.queues import QueueSettings
from postflow.recurrence import RecurringSeries, SeriesStatus
from postflow.reviews import ReviewRequest
from postflow.store.port import Store
from postflow.store.records.usage import UsageCharge
from postflow.webhooks.records import (
    DeliveryAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

DEFAULT_TTL_SECONDS = 2.0
DEFAULT_MAX_ENTRIES = 1024

#: Reads answered from memory for up to ``ttl_seconds``.
CACHED_READS = frozenset({"find_hook", "get_organization", "get_connection", "list_connections",
                          "find_api_key"})
#: Reads that always go to the store.
UNCACHED_READS = frozenset({
    "ping", "find_organization_by_name", "list_organizations", "list_suspended_org_ids",
    "find_member", "list_members",
    "count_members", "list_workspaces", "count_workspaces", "find_workspace",
    "find_chat_installation", "list_chat_installations",
    "count_connections", "list_hooks", "get_post", "list_posts",
    "list_posts_soonest_first", "count_posts", "count_posts_updated_between", "find_due_posts",
    "next_due_at",
    "find_stale_posts", "list_posts_by_source", "get_queue_settings", "list_queue_times",
    "list_queue_posts", "list_attempts", "list_audit", "list_recent_audit",
    "get_usage", "find_idle_media",
    "media_in_use", "media_last_named", "count_media_holders", "get_heartbeat", "get_series",
    "list_series", "find_due_series", "get_approval_policies", "get_review",
    "find_review_for_post", "find_expired_reviews", "list_open_reviews", "get_chat_commands_digest",
    "get_billing_event",
    "list_pending_billing_events", "list_billing_events",
    # outbound webhooks
    "get_webhook_endpoint", "list_webhook_endpoints", "get_webhook_event",
    "get_webhook_delivery", "find_due_webhook_deliveries", "list_webhook_deliveries",
    "list_webhook_attempts",
    "get_chat_draft",
    "list_inbox_entries", "count_unread_inbox_entries",
    "get_outgoing_email", "find_unsent_emails",
    "list_outgoing_emails", "find_email_suppression",
    "list_posts_page", "list_audit_page", "list_api_keys",
    "find_recorded_email_keys",
    "get_invitation", "list_invitations", "find_invitation_by_join_code",
})
#: Writes of the record types cached here (organizations with their members and workspaces,
#: connections, hooks): each empties the cache before and after it.
INVALIDATING_WRITES = frozenset({
    "insert_organization", "update_organization", "insert_member", "update_member",
    "insert_workspace", "insert_connection", "update_connection", "insert_hook", "update_hook",
    "delete_hook", "relink_workspace", "insert_api_key", "update_api_key",
})
#: Writes of records never cached here: passed to the store as they are. Emptying the cache on
#: them would empty it on every webhook (idempotency keys, posts, usage), for nothing.
UNCACHED_WRITES = frozenset({
    "close", "save_chat_installation", "claim_oauth_state", "reserve_idempotency_key",
    "complete_idempotency_key", "release_idempotency_key", "purge_idempotency_keys",
    "claim_signature", "purge_seen_signatures", "insert_post", "replace_post",
    "save_queue_settings", "insert_attempt", "finish_attempt", "append_audit", "consume_usage",
    "release_usage", "hold_media", "use_held_media", "release_held_media", "set_heartbeat",
    "insert_series", "replace_series", "save_approval_policy", "insert_review",
    "replace_review", "set_chat_commands_digest",
    "record_billing_event", "save_billing_event",
    # outbound webhooks
    "insert_webhook_endpoint", "update_webhook_endpoint", "delete_webhook_endpoint",
    "insert_webhook_event", "insert_webhook_deliveries", "replace_webhook_delivery",
    "record_webhook_attempt", "purge_webhook_log",
    "save_chat_draft", "delete_chat_draft", "purge_chat_drafts",
    "insert_inbox_entries", "mark_inbox_read", "purge_inbox_entries",
    "insert_outgoing_email", "claim_outgoing_email", "finish_outgoing_email",
    "release_outgoing_email", "suppress_email_address", "lift_email_suppression",
    "touch_api_key",
    "insert_invitation", "replace_invitation",
})

_Key = tuple[str, ...]


class ReadCachedStore:
    """A :class:`Store` that caches hook, organization and connection reads for a moment."""

    def __init__(self, store: Store, *, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 max_entries: int = DEFAULT_MAX_ENTRIES,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._monotonic = monotonic
        #: key -> (expires at, on ``monotonic``'s scale; value)
        self._entries: OrderedDict[_Key, tuple[float, object]] = OrderedDict()
        #: Bumped around every cached-kind write, so a read that raced a write is not kept.
        self._generation = 0

    @property
    def wrapped(self) -> Store:
        return self._store

    # -- cached reads ------------------------------------------------------------------------
    async def find_hook(self, hook_id: str) -> IncomingHook | None:
        key = ("hook", hook_id)
        hit = self._get(key)
        if isinstance(hit, IncomingHook):
            return hit
        generation = self._generation
        hook = await self._store.find_hook(hook_id)
        if hook is not None:  # a miss is not kept: a hook made elsewhere works at once
            self._put(key, hook, generation)
        return hook

    async def get_organization(self, org_id: str) -> Organization:
        key = ("organization", org_id)
        hit = self._get(key)
        if isinstance(hit, Organization):
            return hit
        generation = self._generation
        org = await self._store.get_organization(org_id)
        self._put(key, org, generation)
        return org

    async def get_connection(self, org_id: str, connection_id: str) -> Connection:
        key = ("connection", org_id, connection_id)
        hit = self._get(key)
        if isinstance(hit, Connection):
            return hit
        generation = self._generation
        connection = await self._store.get_connection(org_id, connection_id)
        self._put(key, connection, generation)
        return connection

    async def list_connections(self, org_id: str,
                               network: str | None = None) -> list[Connection]:
        key = ("connections", org_id, "" if network is None else f"={network}")
        hit = self._get(key)
        if not isinstance(hit, tuple):
            generation = self._generation
            hit = tuple(await self._store.list_connections(org_id, network))
            self._put(key, hit, generation)
        return list(hit)  # a fresh list: the caller may change the list, not the records

    # -- lifecycle -------------------------------------------------------------------------------
    async def ping(self) -> None:
        await self._store.ping()

    async def close(self) -> None:
        await self._store.close()

    # -- OrganizationRecords (organizations.py) ------------------------------------------------
    async def insert_organization(self, org: Organization) -> None:
        with self._writing():
            await self._store.insert_organization(org)

    async def find_organization_by_name(self, name: str) -> Organization | None:
        return await self._store.find_organization_by_name(name)

    async def list_organizations(self) -> list[Organization]:
        return await self._store.list_organizations()

    async def list_suspended_org_ids(self) -> list[str]:
        return await self._store.list_suspended_org_ids()

    async def update_organization(self, org: Organization) -> None:
        with self._writing():
            await self._store.update_organization(org)

    async def insert_member(self, member: Member) -> None:
        with self._writing():
            await self._store.insert_member(member)

    async def find_member(self, org_id: str, platform: str, workspace_id: str,
                          user_id: str) -> Member | None:
        return await self._store.find_member(org_id, platform, workspace_id, user_id)

    async def list_members(self, org_id: str) -> list[Member]:
        return await self._store.list_members(org_id)

    async def count_members(self, org_id: str) -> int:
        return await self._store.count_members(org_id)

    async def update_member(self, member: Member) -> None:
        with self._writing():
            await self._store.update_member(member)

    async def insert_workspace(self, workspace: Workspace) -> None:
        with self._writing():
            await self._store.insert_workspace(workspace)

    async def relink_workspace(self, platform: str, external_id: str, from_org_id: str,
                               to_org_id: str) -> None:
        with self._writing():
            await self._store.relink_workspace(platform, external_id, from_org_id, to_org_id)

    async def list_workspaces(self, org_id: str) -> list[Workspace]:
        return await self._store.list_workspaces(org_id)

    async def count_workspaces(self, org_id: str) -> int:
        return await self._store.count_workspaces(org_id)

    async def find_workspace(self, platform: str, external_id: str) -> Workspace | None:
        return await self._store.find_workspace(platform, external_id)

    # -- ChatInstallationRecords (chat_installations.py) ---------------------------------------
    async def save_chat_installation(self, installation: ChatInstallation) -> None:
        await self._store.save_chat_installation(installation)

    async def find_chat_installation(self, platform: str,
                                     workspace_id: str) -> ChatInstallation | None:
        return await self._store.find_chat_installation(platform, workspace_id)

    async def list_chat_installations(self) -> list[ChatInstallation]:
        return await self._store.list_chat_installations()

    # -- OAuthStateRecords (oauth_states.py) ---------------------------------------------------
    async def claim_oauth_state(self, state_id: str, expires_at: datetime,
                                now: datetime) -> bool:
        return await self._store.claim_oauth_state(state_id, expires_at, now)

    # -- ConnectionRecords (connections.py) ----------------------------------------------------
    async def insert_connection(self, connection: Connection) -> None:
        with self._writing():
            await self._store.insert_connection(connection)

    async def count_connections(self, org_id: str) -> int:
        return await self._store.count_connections(org_id)

    async def update_connection(self, connection: Connection) -> None:
        with self._writing():
            await self._store.update_connection(connection)

    # -- HookRecords (hooks.py) ----------------------------------------------------------------
    async def insert_hook(self, hook: IncomingHook) -> None:
        with self._writing():
            await self._store.insert_hook(hook)

    async def list_hooks(self, org_id: str) -> list[IncomingHook]:
        return await self._store.list_hooks(org_id)

    async def update_hook(self, hook: IncomingHook) -> None:
        with self._writing():
            await self._store.update_hook(hook)

    async def delete_hook(self, org_id: str, hook_id: str) -> None:
        with self._writing():
            await self._store.delete_hook(org_id, hook_id)

    # -- WebhookRecords (webhooks.py): never cached ---------------------------------------------
    async def insert_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        await self._store.insert_webhook_endpoint(endpoint)

    async def get_webhook_endpoint(self, org_id: str, endpoint_id: str) -> WebhookEndpoint:
        return await self._store.get_webhook_endpoint(org_id, endpoint_id)

    async def list_webhook_endpoints(self, org_id: str) -> list[WebhookEndpoint]:
        return await self._store.list_webhook_endpoints(org_id)

    async def update_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        await self._store.update_webhook_endpoint(endpoint)

    async def delete_webhook_endpoint(self, org_id: str, endpoint_id: str) -> None:
        await self._store.delete_webhook_endpoint(org_id, endpoint_id)

    async def insert_webhook_event(self, event: WebhookEvent,
                                   deliveries: list[WebhookDelivery]) -> None:
        await self._store.insert_webhook_event(event, deliveries)

    async def get_webhook_event(self, org_id: str, event_id: str) -> WebhookEvent:
        return await self._store.get_webhook_event(org_id, event_id)

    async def insert_webhook_deliveries(self, deliveries: list[WebhookDelivery]) -> None:
        await self._store.insert_webhook_deliveries(deliveries)

    async def get_webhook_delivery(self, org_id: str, delivery_id: str) -> WebhookDelivery:
        return await self._store.get_webhook_delivery(org_id, delivery_id)

    async def replace_webhook_delivery(self, delivery: WebhookDelivery,
                                       expected_version: int) -> None:
        await self._store.replace_webhook_delivery(delivery, expected_version)

    async def record_webhook_attempt(self, attempt: DeliveryAttempt, delivery: WebhookDelivery,
                                     expected_version: int) -> None:
        await self._store.record_webhook_attempt(attempt, delivery, expected_version)

    async def find_due_webhook_deliveries(self, now: datetime,
                                          limit: int) -> list[WebhookDelivery]:
        return await self._store.find_due_webhook_deliveries(now, limit)

    async def list_webhook_deliveries(self, org_id: str, *, endpoint_id: str | None = None,
                                      event_id: str | None = None,
                                      limit: int = 50) -> list[WebhookDelivery]:
        return await self._store.list_webhook_deliveries(
            org_id, endpoint_id=endpoint_id, event_id=event_id, limit=limit)

    async def list_webhook_attempts(self, org_id: str,
                                    delivery_id: str) -> list[DeliveryAttempt]:
        return await self._store.list_webhook_attempts(org_id, delivery_id)

    async def purge_webhook_log(self, before: datetime) -> int:
        return await self._store.purge_webhook_log(before)

    # -- IdempotencyKeyRecords (idempotency_keys.py) -------------------------------------------
    async def reserve_idempotency_key(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        return await self._store.reserve_idempotency_key(record)

    async def complete_idempotency_key(self, hook_id: str, key: str, status_code: int,
                                       response_body: str) -> None:
        await self._store.complete_idempotency_key(hook_id, key, status_code, response_body)

    async def release_idempotency_key(self, hook_id: str, key: str) -> None:
        await self._store.release_idempotency_key(hook_id, key)

    async def purge_idempotency_keys(self, now: datetime) -> int:
        return await self._store.purge_idempotency_keys(now)

    # -- ChatDraftRecords (chat_drafts.py) -------------------------------------------------------
    async def save_chat_draft(self, draft: ChatDraft) -> None:
        await self._store.save_chat_draft(draft)

    async def get_chat_draft(self, draft_id: str, now: datetime) -> ChatDraft | None:
        return await self._store.get_chat_draft(draft_id, now)

    async def delete_chat_draft(self, draft_id: str) -> bool:
        return await self._store.delete_chat_draft(draft_id)

    async def purge_chat_drafts(self, now: datetime) -> int:
        return await self._store.purge_chat_drafts(now)

    # -- SeenSignatureRecords (seen_signatures.py) ---------------------------------------------
    async def claim_signature(self, scope: str, signature: str, expires_at: datetime,
                              now: datetime) -> bool:
        return await self._store.claim_signature(scope, signature, expires_at, now)

    async def purge_seen_signatures(self, now: datetime) -> int:
        return await self._store.purge_seen_signatures(now)

    # -- PostRecords (posts.py) ----------------------------------------------------------------
    async def insert_post(self, post: Post, audit: Sequence[AuditEvent] = (), *,
                          charge: UsageCharge | None = None) -> None:
        await self._store.insert_post(post, audit, charge=charge)

    async def get_post(self, org_id: str, post_id: str) -> Post:
        return await self._store.get_post(org_id, post_id)

    async def list_posts(self, org_id: str, statuses: Sequence[PostStatus] | None = None,
                         limit: int = 50) -> list[Post]:
        return await self._store.list_posts(org_id, statuses, limit)

    async def list_posts_soonest_first(self, org_id: str, statuses: Sequence[PostStatus], *,
                                       offset: int, limit: int) -> list[Post]:
        return await self._store.list_posts_soonest_first(org_id, statuses, offset=offset,
                                                          limit=limit)

    async def count_posts(self, org_id: str, statuses: Sequence[PostStatus]) -> int:
        return await self._store.count_posts(org_id, statuses)

    async def count_posts_updated_between(self, org_id: str, statuses: Sequence[PostStatus],
                                          since: datetime, until: datetime) -> int:
        return await self._store.count_posts_updated_between(org_id, statuses, since, until)

    async def replace_post(self, post: Post, expected_version: int, *,
                           audit: Sequence[AuditEvent] = (),
                           attempt: PublishAttempt | None = None) -> None:
        await self._store.replace_post(post, expected_version, audit=audit, attempt=attempt)

    async def find_due_posts(self, now: datetime, limit: int, *,
                             excluding_orgs: Sequence[str] = ()) -> list[Post]:
        return await self._store.find_due_posts(now, limit, excluding_orgs=excluding_orgs)

    async def next_due_at(self, *, excluding_orgs: Sequence[str] = ()) -> datetime | None:
        return await self._store.next_due_at(excluding_orgs=excluding_orgs)

    async def find_stale_posts(self, statuses: Sequence[PostStatus], updated_before: datetime,
                               limit: int) -> list[Post]:
        return await self._store.find_stale_posts(statuses, updated_before, limit)

    async def list_posts_by_source(self, org_id: str, kind: str, ref: str,
                                   limit: int = 50) -> list[Post]:
        return await self._store.list_posts_by_source(org_id, kind, ref, limit)

    # -- QueueRecords (queues.py) --------------------------------------------------------------
    async def get_queue_settings(self, org_id: str,
                                 connection_id: str) -> QueueSettings | None:
        return await self._store.get_queue_settings(org_id, connection_id)

    async def save_queue_settings(self, settings: QueueSettings) -> None:
        await self._store.save_queue_settings(settings)

    async def list_queue_times(self, org_id: str, connection_id: str,
                               after: datetime) -> list[datetime]:
        return await self._store.list_queue_times(org_id, connection_id, after)

    async def list_queue_posts(self, org_id: str, connection_id: str,
                               after: datetime) -> list[Post]:
        return await self._store.list_queue_posts(org_id, connection_id, after)

    # -- AttemptRecords (attempts.py) ----------------------------------------------------------
    async def insert_attempt(self, attempt: PublishAttempt) -> None:
        await self._store.insert_attempt(attempt)

    async def finish_attempt(self, attempt: PublishAttempt) -> None:
        await self._store.finish_attempt(attempt)

    async def list_attempts(self, org_id: str, post_id: str) -> list[PublishAttempt]:
        return await self._store.list_attempts(org_id, post_id)

    # -- AuditRecords (audit.py) ---------------------------------------------------------------
    async def append_audit(self, event: AuditEvent) -> None:
        await self._store.append_audit(event)

    async def list_audit_page(self, org_id: str, *, subject_id: str | None,
                              after: PageAfter | None, limit: int) -> list[AuditEvent]:
        return await self._store.list_audit_page(org_id, subject_id=subject_id, after=after,
                                                 limit=limit)

    async def list_posts_page(self, org_id: str, filter_: PostFilter, *,
                              after: PageAfter | None, limit: int) -> list[Post]:
        return await self._store.list_posts_page(org_id, filter_, after=after, limit=limit)

    async def find_api_key(self, key_id: str) -> ApiKey | None:
        # A key revoked or rotated by another process is refused here up to ttl_seconds late,
        # as a hook disabled elsewhere is; a miss is not kept (a new key works at once).
        key = ("api_key", key_id)
        hit = self._get(key)
        if isinstance(hit, ApiKey):
            return hit
        generation = self._generation
        found = await self._store.find_api_key(key_id)
        if found is not None:
            self._put(key, found, generation)
        return found

    async def list_api_keys(self, org_id: str) -> list[ApiKey]:
        return await self._store.list_api_keys(org_id)

    async def insert_api_key(self, key: ApiKey) -> None:
        with self._writing():
            await self._store.insert_api_key(key)

    async def update_api_key(self, key: ApiKey) -> None:
        with self._writing():
            await self._store.update_api_key(key)

    async def touch_api_key(self, key_id: str, at: datetime) -> None:
        # Not invalidating (every request would empty the cache): the cached key is given its
        # new last use in place, so the next requests do not touch it again.
        await self._store.touch_api_key(key_id, at)
        entry = self._entries.get(("api_key", key_id))
        if entry is not None and isinstance(entry[1], ApiKey):
            self._entries[("api_key", key_id)] = (
                entry[0], entry[1].model_copy(update={"last_used_at": at}))

    async def list_audit(self, org_id: str, subject_id: str | None = None,
                         limit: int = 200) -> list[AuditEvent]:
        return await self._store.list_audit(org_id, subject_id, limit)

    async def list_recent_audit(self, org_id: str, *, offset: int = 0,
                                limit: int = 20) -> list[AuditEvent]:
        return await self._store.list_recent_audit(org_id, offset=offset, limit=limit)

    # -- UsageRecords (usage.py) ---------------------------------------------------------------
    async def consume_usage(self, org_id: str, metric: str, period: str,
                            limit: int | None) -> int | None:
        return await self._store.consume_usage(org_id, metric, period, limit)

    async def release_usage(self, org_id: str, metric: str, period: str) -> None:
        await self._store.release_usage(org_id, metric, period)

    async def get_usage(self, org_id: str, metric: str, period: str) -> int:
        return await self._store.get_usage(org_id, metric, period)

    # -- OrgMediaRecords (org_media.py) --------------------------------------------------------
    async def hold_media(self, media: OrgMedia, limit_bytes: int | None) -> bool:
        return await self._store.hold_media(media, limit_bytes)

    async def use_held_media(self, org_id: str, media_id: str,
                             at: datetime) -> OrgMedia | None:
        return await self._store.use_held_media(org_id, media_id, at)

    async def find_idle_media(self, unused_since: datetime, limit: int) -> list[OrgMedia]:
        return await self._store.find_idle_media(unused_since, limit)

    async def media_in_use(self, org_id: str, media_ids: Sequence[str],
                           post_statuses: Sequence[PostStatus],
                           series_statuses: Sequence[SeriesStatus]) -> set[str]:
        return await self._store.media_in_use(org_id, media_ids, post_statuses, series_statuses)

    async def media_last_named(self, org_id: str, media_ids: Sequence[str]) -> dict[str, datetime]:
        return await self._store.media_last_named(org_id, media_ids)

    async def release_held_media(self, media: OrgMedia) -> bool:
        return await self._store.release_held_media(media)

    async def count_media_holders(self, media_id: str) -> int:
        return await self._store.count_media_holders(media_id)

    # -- ChatCommandRecords (chat_commands.py) ------------------------------------------------
    async def get_chat_commands_digest(self, platform: str, scope: str) -> str | None:
        return await self._store.get_chat_commands_digest(platform, scope)

    async def set_chat_commands_digest(self, platform: str, scope: str, digest: str,
                                       at: datetime) -> None:
        await self._store.set_chat_commands_digest(platform, scope, digest, at)

    # -- HeartbeatRecords (heartbeats.py) ------------------------------------------------------
    async def set_heartbeat(self, name: str, at: datetime) -> None:
        await self._store.set_heartbeat(name, at)

    async def get_heartbeat(self, name: str) -> datetime | None:
        return await self._store.get_heartbeat(name)

    # -- SeriesRecords (series.py) -------------------------------------------------------------
    async def insert_series(self, series: RecurringSeries) -> None:
        await self._store.insert_series(series)

    async def get_series(self, org_id: str, series_id: str) -> RecurringSeries:
        return await self._store.get_series(org_id, series_id)

    async def list_series(self, org_id: str,
                          statuses: Sequence[SeriesStatus] | None = None) -> list[RecurringSeries]:
        return await self._store.list_series(org_id, statuses)

    async def replace_series(self, series: RecurringSeries, expected_version: int) -> None:
        await self._store.replace_series(series, expected_version)

    async def find_due_series(self, before: datetime, limit: int) -> list[RecurringSeries]:
        return await self._store.find_due_series(before, limit)

    # -- ReviewRecords (reviews.py) ------------------------------------------------------------
    async def get_approval_policies(self, org_id: str) -> dict[str, ApprovalPolicy]:
        return await self._store.get_approval_policies(org_id)

    async def save_approval_policy(self, org_id: str, scope: str,
                                   policy: ApprovalPolicy | None) -> None:
        await self._store.save_approval_policy(org_id, scope, policy)

    async def insert_review(self, review: ReviewRequest) -> None:
        await self._store.insert_review(review)

    async def get_review(self, org_id: str, review_id: str) -> ReviewRequest:
        return await self._store.get_review(org_id, review_id)

    async def find_review_for_post(self, org_id: str, post_id: str) -> ReviewRequest | None:
        return await self._store.find_review_for_post(org_id, post_id)

    async def replace_review(self, review: ReviewRequest, expected_version: int) -> None:
        await self._store.replace_review(review, expected_version)

    async def list_open_reviews(self, org_id: str, limit: int) -> list[ReviewRequest]:
        return await self._store.list_open_reviews(org_id, limit)

    async def find_expired_reviews(self, now: datetime, limit: int) -> list[ReviewRequest]:
        return await self._store.find_expired_reviews(now, limit)

    # -- InboxRecords (inbox.py) ---------------------------------------------------------------
    async def insert_inbox_entries(self, entries: Sequence[InboxEntry]) -> None:
        await self._store.insert_inbox_entries(entries)

    async def list_inbox_entries(self, org_id: str, member_id: str, *,
                                 unread_only: bool = False,
                                 limit: int = 20) -> list[InboxEntry]:
        return await self._store.list_inbox_entries(org_id, member_id,
                                                     unread_only=unread_only, limit=limit)

    async def count_unread_inbox_entries(self, org_id: str, member_id: str) -> int:
        return await self._store.count_unread_inbox_entries(org_id, member_id)

    async def mark_inbox_read(self, org_id: str, member_id: str, at: datetime) -> int:
        return await self._store.mark_inbox_read(org_id, member_id, at)

    async def purge_inbox_entries(self, created_before: datetime, limit: int) -> int:
        return await self._store.purge_inbox_entries(created_before, limit)


    # -- the cache itself ----------------------------------------------------------------------
    def _get(self, key: _Key) -> object:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def _put(self, key: _Key, value: object, generation: int) -> None:
        if generation != self._generation:  # a write happened while this was being read
            return
        self._entries[key] = (self._monotonic() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Empty the cache before a write of a cached record type and after it, failed or not."""
        self._invalidate()
        try:
            yield
        finally:
            self._invalidate()

    def _invalidate(self) -> None:
        # Writes of these records are rare next to reads: emptying everything keeps it simple.
        self._generation += 1
        self._entries.clear()

    # -- BillingEventRecords (billing_events.py) ---------------------------------------------
    async def record_billing_event(self, event: BillingEvent) -> bool:
        return await self._store.record_billing_event(event)

    async def get_billing_event(self, event_id: str) -> BillingEvent:
        return await self._store.get_billing_event(event_id)

    async def save_billing_event(self, event: BillingEvent) -> None:
        await self._store.save_billing_event(event)

    async def list_pending_billing_events(self, received_before: datetime,
                                          limit: int) -> list[BillingEvent]:
        return await self._store.list_pending_billing_events(received_before, limit)

    async def list_billing_events(self, org_id: str | None = None,
                                  limit: int = 100) -> list[BillingEvent]:
        return await self._store.list_billing_events(org_id, limit)

    # -- OutgoingEmailRecords, EmailSuppressionRecords (outgoing_emails.py) ---------------------
    async def insert_outgoing_email(self, email: OutgoingEmail) -> None:
        await self._store.insert_outgoing_email(email)

    async def get_outgoing_email(self, email_id: str) -> OutgoingEmail:
        return await self._store.get_outgoing_email(email_id)

    async def claim_outgoing_email(self, email_id: str, now: datetime,
                                   until: datetime) -> OutgoingEmail | None:
        return await self._store.claim_outgoing_email(email_id, now, until)

    async def finish_outgoing_email(self, email_id: str, status: EmailStatus, now: datetime,
                                    *, error: str = "", transport_id: str = "") -> None:
        await self._store.finish_outgoing_email(email_id, status, now, error=error,
                                                transport_id=transport_id)

    async def release_outgoing_email(self, email_id: str, error: str) -> None:
        await self._store.release_outgoing_email(email_id, error)

    async def find_unsent_emails(self, created_before: datetime, now: datetime,
                                 limit: int) -> list[OutgoingEmail]:
        return await self._store.find_unsent_emails(created_before, now, limit)

    async def list_outgoing_emails(self, org_id: str, limit: int) -> list[OutgoingEmail]:
        return await self._store.list_outgoing_emails(org_id, limit)

    async def find_recorded_email_keys(self, keys: Sequence[str]) -> set[str]:
        return await self._store.find_recorded_email_keys(keys)

    async def suppress_email_address(self, suppression: EmailSuppression) -> None:
        await self._store.suppress_email_address(suppression)

    async def find_email_suppression(self, address: str) -> EmailSuppression | None:
        return await self._store.find_email_suppression(address)

    async def lift_email_suppression(self, address: str) -> bool:
        return await self._store.lift_email_suppression(address)

    # -- InvitationRecords (invitations.py) ------------------------------------------------------
    async def insert_invitation(self, invitation: Invitation) -> None:
        await self._store.insert_invitation(invitation)

    async def get_invitation(self, org_id: str, invitation_id: str) -> Invitation:
        return await self._store.get_invitation(org_id, invitation_id)

    async def list_invitations(self, org_id: str) -> list[Invitation]:
        return await self._store.list_invitations(org_id)

    async def find_invitation_by_join_code(self, code_digest: str) -> Invitation | None:
        return await self._store.find_invitation_by_join_code(code_digest)

    async def replace_invitation(self, invitation: Invitation, *,
                                 expected: InvitationStatus) -> bool:
        return await self._store.replace_invitation(invitation, expected=expected)
