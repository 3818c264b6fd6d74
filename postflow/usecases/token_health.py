"""Token health: refresh tokens before they expire, and warn before a grant ends for good.

Run by the scheduler every :data:`CHECK_EVERY`. For each active connection:

- tokens with a refresh token that expire within :data:`REFRESH_WINDOW` are refreshed through
  :func:`postflow.usecases.token_refresh.refresh_once` (single-flight per connection, so a
  publish refreshing at the same time does not spend the refresh token twice); the outcome is
  recorded on the connection (``last_refresh_at`` or ``last_refresh_error``);
- a grant that ends for good (``reconnect_by``: an access token without a refresh token, like
  most LinkedIn apps', or a refresh token's own end) gets one warning (a notice) at
  each of :data:`WARNING_DAYS` before it ends, and once it has ended the connection is marked
  Needs reconnect, which notifies once.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from postflow.account_gates import RefreshLockBusy
from postflow.connections import Connection, ConnectionStatus
from postflow.errors import NotFound
from postflow.notices.events import TokenExpiring
from postflow.runtime import Runtime
from postflow.usecases.connections import open_tokens
from postflow.usecases.token_refresh import Refreshed, RefreshFailed, mark_revoked, refresh_once

log = logging.getLogger(__name__)

#: How often the scheduler runs a pass.
CHECK_EVERY = timedelta(minutes=5)
#: Refreshable tokens expiring within this window are refreshed (several passes get a chance).
REFRESH_WINDOW = timedelta(minutes=30)
#: Days before ``reconnect_by`` at which a warning goes out, once each.
WARNING_DAYS = (7, 3, 1)
#: Refreshes per pass, so one pass cannot hold the scheduler's tick for long.
MAX_REFRESHES_PER_PASS = 20


@dataclass(frozen=True)
class TokenHealthReport:
    refreshed: int = 0
    refresh_failed: int = 0
    warned: int = 0
    expired: int = 0


async def check_token_health(rt: Runtime) -> TokenHealthReport:
    """One pass over every organization's active connections."""
    refreshed = failed = warned = expired = 0
    for org in await rt.store.list_organizations():
        for connection in await rt.store.list_connections(org.id):
            if connection.status is not ConnectionStatus.ACTIVE or \
                    connection.sealed_tokens is None:
                continue
            if refreshed + failed < MAX_REFRESHES_PER_PASS and _refresh_due(rt, connection):
                outcome = await _refresh(rt, connection)
                if outcome is None:
                    failed += 1
                    continue
                refreshed += 1
                connection = outcome
            result = await _check_expiry(rt, connection)
            warned += result == "warned"
            expired += result == "expired"
    return TokenHealthReport(refreshed=refreshed, refresh_failed=failed, warned=warned,
                             expired=expired)


def reconnect_deadline(rt: Runtime, connection: Connection) -> datetime | None:
    """When the connection's grant ends for good, from its tokens; None if not known to end."""
    tokens = open_tokens(rt, connection)
    return tokens.refresh_expires_at if tokens.refresh_token is not None else tokens.expires_at


def _refresh_due(rt: Runtime, connection: Connection) -> bool:
    expires_at = connection.token_expires_at
    return (expires_at is not None and expires_at <= rt.clock.now() + REFRESH_WINDOW
            and open_tokens(rt, connection).refresh_token is not None)


async def _refresh(rt: Runtime, connection: Connection) -> Connection | None:
    """Refresh and record how it went: the fresh connection, or None when it failed."""
    outcome = await refresh_once(rt, connection)
    now = rt.clock.now()
    if isinstance(outcome, Refreshed):
        return await _record(rt, connection, last_refresh_at=now, last_refresh_error=None,
                             last_refresh_error_at=None) or outcome.connection
    message = outcome.error.message if isinstance(outcome, RefreshFailed) else outcome.message
    log.warning("token refresh of connection %s (%s) failed: %s", connection.id,
                connection.network, message)
    await _record(rt, connection, last_refresh_error=message, last_refresh_error_at=now)
    return None


async def _check_expiry(rt: Runtime, connection: Connection) -> str | None:
    deadline = reconnect_deadline(rt, connection)
    if deadline != connection.reconnect_by:
        # A new grant (reconnected, or refreshed with a new end): warnings start over.
        updated = await _record(rt, connection, reconnect_by=deadline, expiry_warnings_sent=[],
                               last_refresh_error=None, last_refresh_error_at=None)
        if updated is None:
            return None
        connection = updated
    if deadline is None:
        return None
    left = deadline - rt.clock.now()
    if left <= timedelta(0):
        reason = (f"Its {connection.network} access ended on {deadline:%Y-%m-%d %H:%M} UTC and "
                  "cannot be renewed without the person who connected it.")
        await _record(rt, connection, last_refresh_error=reason,
                      last_refresh_error_at=rt.clock.now())
        await mark_revoked(rt, connection, reason)
        return "expired"
    due = [days for days in WARNING_DAYS if left <= timedelta(days=days)]
    if not due or set(due) <= set(connection.expiry_warnings_sent):
        return None
    # Stored first: a warning is said at most once, even if the notice fails.
    updated = await _record(rt, connection, expiry_warnings_sent=sorted(
        set(connection.expiry_warnings_sent) | set(due), reverse=True))
    if updated is None:
        return None
    days_left = max(1, math.ceil(left / timedelta(days=1)))
    await rt.notices.notify(TokenExpiring(updated, days_left))
    return "warned"


async def _record(rt: Runtime, seen: Connection, **fields: object) -> Connection | None:
    """Write health fields on a fresh read under the refresh lock (a refresh in flight writes
    tokens); None when the lock is busy or the connection is gone: the next pass tries again."""
    try:
        async with rt.refresh_locks.hold(seen.id):
            try:
                current = await rt.store.get_connection(seen.org_id, seen.id)
            except NotFound:
                return None
            updated = current.model_copy(update=fields)
            await rt.store.update_connection(updated)
            return updated
    except RefreshLockBusy:
        return None
