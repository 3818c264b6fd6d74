"""The store port: everything the core reads or writes, implemented by sqlite.py and mongo.py.

It is composed of one protocol per record type (``postflow/store/records/``).

Every read and write of an organization's data takes its ``org_id``. A few lookups are global
on purpose, because they are entry points that find the organization: ``find_hook`` (a webhook
URL names only the hook), ``find_api_key`` and ``touch_api_key`` (a bearer key names only
itself), ``find_due_posts``, ``find_stale_posts`` and ``find_idle_media``
(the scheduler serves all organizations), ``count_media_holders`` (media bytes are shared),
``find_workspace`` and ``find_chat_installation`` (a chat request names only
its workspace), ``purge_inbox_entries`` (the scheduler's retention, for all organizations).
Writes of posts are compare-and-swap on ``version``, which is what makes claiming
work atomic: of two racers replacing the same version, exactly one wins.
"""

from __future__ import annotations

from typing import Protocol

from postflow.store.records.api_keys import ApiKeyRecords
from postflow.store.records.attempts import AttemptRecords
from postflow.store.records.audit import AuditRecords
from postflow.store.records.billing_events import BillingEventRecords
from postflow.store.records.chat_commands import ChatCommandRecords
from postflow.store.records.chat_drafts import ChatDraftRecords
from postflow.store.records.chat_installations import ChatInstallationRecords
from postflow.store.records.connections import ConnectionRecords
from postflow.store.records.heartbeats import HeartbeatRecords
from postflow.store.records.hooks import HookRecords
from postflow.store.records.idempotency_keys import IdempotencyKeyRecords
from postflow.store.records.inbox import InboxRecords
from postflow.store.records.invitations import InvitationRecords
from postflow.store.records.oauth_states import OAuthStateRecords
from postflow.store.records.org_media import OrgMediaRecords
from postflow.store.records.organizations import OrganizationRecords
from postflow.store.records.outgoing_emails import (
    EmailSuppressionRecords,
    OutgoingEmailRecords,
)
from postflow.store.records.posts import PostRecords
from postflow.store.records.queues import QueueRecords
from postflow.store.records.reviews import ReviewRecords
from postflow.store.records.seen_signatures import SeenSignatureRecords
from postflow.store.records.series import SeriesRecords
from postflow.store.records.usage import UsageCharge, UsageExhausted, UsageRecords
from postflow.store.records.webhooks import WebhookRecords

__all__ = ["Store", "UsageCharge", "UsageExhausted"]


class Store(OrganizationRecords, ChatInstallationRecords, OAuthStateRecords, ConnectionRecords,
            HookRecords, IdempotencyKeyRecords, SeenSignatureRecords, PostRecords, QueueRecords,
            AttemptRecords, AuditRecords, UsageRecords, OrgMediaRecords, HeartbeatRecords,
            SeriesRecords, ReviewRecords, ChatCommandRecords, BillingEventRecords, WebhookRecords,
            ChatDraftRecords, InboxRecords, OutgoingEmailRecords, EmailSuppressionRecords,
            ApiKeyRecords, InvitationRecords, Protocol):
    """Every record type, and the connection's lifecycle."""

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        ...

    async def close(self) -> None: ...
