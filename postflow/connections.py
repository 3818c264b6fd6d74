"""Connections: a social account an organization publishes to, with its tokens sealed at rest."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from postflow.clock import UtcDatetime


class ConnectionStatus(StrEnum):
    ACTIVE = "active"
    NEEDS_RECONNECT = "needs_reconnect"
    DISCONNECTED = "disconnected"


class Connection(BaseModel):
    id: str
    org_id: str
    network: str
    account_id: str
    display_name: str
    status: ConnectionStatus = ConnectionStatus.ACTIVE
    #: The token set, sealed by :class:`postflow.token_vault.TokenVault`; never plaintext.
    sealed_tokens: str | None = None
    token_expires_at: UtcDatetime | None = None
    #: The IANA zone this account's local times are read in, overriding the organization's
    #: (``None``: the organization's). Also the zone of its queue's default slots.
    timezone: str | None = None
    #: The account's picture on its network, when it has one.
    avatar_url: str | None = None
    #: The scopes the network granted at the last (re)connect.
    scopes: list[str] = []
    #: Token health (postflow/usecases/token_health.py): the last proactive refresh that
    #: worked, the last one that failed and why (plain words, never a token).
    last_refresh_at: UtcDatetime | None = None
    last_refresh_error: str | None = None
    last_refresh_error_at: UtcDatetime | None = None
    #: When the grant ends for good and a person must reconnect (an access token without a
    #: refresh token, or the refresh token's own end); None: not known to end.
    reconnect_by: UtcDatetime | None = None
    #: The warnings (days before ``reconnect_by``) already sent for that date.
    expiry_warnings_sent: list[int] = []
    #: Over the plan's connected-accounts limit after a downgrade: kept, but nothing is
    #: published to it until the plan allows it again (postflow/billing/plan_enforcement.py).
    paused_by_plan: bool = False
    created_at: UtcDatetime
    updated_at: UtcDatetime
