"""Refreshing a connection's tokens once, however many jobs find them expired at the same time.

Every job that needs fresh tokens takes the connection's refresh lock, then re-reads the
connection: if its tokens changed since the job read them, another job already refreshed and
this one just uses the new tokens. Only the first holder calls the network, so a rotating refresh
token is spent once, not raced.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from postflow.account_gates import RefreshLockBusy
from postflow.connections import Connection, ConnectionStatus
from postflow.errors import NotFound
from postflow.providers import ErrorKind, ProviderError
from postflow.runtime import Runtime
from postflow.usecases.connections import (
    mark_needs_reconnect,
    open_tokens,
    store_refreshed_tokens,
)

log = logging.getLogger(__name__)

#: Tokens that expire within this many seconds are refreshed before a publish, not after the
#: network refuses them.
TOKEN_REFRESH_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class Refreshed:
    """The tokens are fresh (refreshed here or by another job): call again with ``connection``."""

    connection: Connection


@dataclass(frozen=True)
class RefreshFailed:
    """The refresh failed for now (rate limited, network fault, lock busy): try later; the
    connection stays active."""

    error: ProviderError


@dataclass(frozen=True)
class Revoked:
    """The grant is gone: the connection needs a reconnect (marked once) and its targets fail."""

    message: str


RefreshOutcome = Refreshed | RefreshFailed | Revoked


def token_expiring(connection: Connection, now: datetime) -> bool:
    """True when the stored expiry is past or within :data:`TOKEN_REFRESH_MARGIN_SECONDS`."""
    expires_at = connection.token_expires_at
    return expires_at is not None and expires_at <= now + timedelta(
        seconds=TOKEN_REFRESH_MARGIN_SECONDS)


async def refresh_once(rt: Runtime, seen: Connection) -> RefreshOutcome:
    """Refresh the tokens of ``seen`` (the connection as the caller read it), unless another
    job refreshed them since."""
    try:
        async with rt.refresh_locks.hold(seen.id):
            return await _refresh_holding_lock(rt, seen)
    except RefreshLockBusy as busy:
        return RefreshFailed(ProviderError(ErrorKind.RETRY_AFTER, str(busy)))


async def mark_revoked(rt: Runtime, connection: Connection, reason: str) -> None:
    """Mark the connection as needing a reconnect, once, after any refresh in flight."""
    try:
        async with rt.refresh_locks.hold(connection.id):
            await mark_needs_reconnect(rt, connection, reason)
            return
    except RefreshLockBusy:
        pass
    await mark_needs_reconnect(rt, connection, reason)


async def _refresh_holding_lock(rt: Runtime, seen: Connection) -> RefreshOutcome:
    try:
        current = await rt.store.get_connection(seen.org_id, seen.id)
    except NotFound:
        return Revoked("The account was removed from PostFlow.")
    if current.status is not ConnectionStatus.ACTIVE:
        return Revoked("The account must be reconnected.")
    if _token_fingerprint(rt, current) != _token_fingerprint(rt, seen):
        return Refreshed(current)
    provider = rt.providers.get(current.network)
    try:
        tokens = await provider.refresh(open_tokens(rt, current))
    except ProviderError as err:
        if err.kind is ErrorKind.RECONNECT:
            await mark_needs_reconnect(rt, current, err.message)
            return Revoked(err.message)
        return RefreshFailed(err)
    except Exception as err:  # a bug or a network fault: a refresh is safe to try again
        log.exception("token refresh of %s raised unexpectedly", current.network)
        return RefreshFailed(ProviderError(ErrorKind.UNKNOWN,
                                           "The token refresh ended unexpectedly.",
                                           raw=type(err).__name__))
    return Refreshed(await store_refreshed_tokens(rt, current, tokens))


def _token_fingerprint(rt: Runtime, connection: Connection) -> tuple[str, datetime | None]:
    # Opened, not sealed: re-sealing under a new key changes the ciphertext, not the tokens.
    return (open_tokens(rt, connection).access_token.get_secret_value(),
            connection.token_expires_at)
