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
    created_at: UtcDatetime
    updated_at: UtcDatetime
