"""Connecting social accounts and opening their tokens for a provider call."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from postflow.account_gates import RefreshLockBusy
from postflow.connections import Connection, ConnectionStatus
from postflow.errors import NotFound
from postflow.ids import new_id
from postflow.notices.events import ConnectionAdded, ConnectionBroken
from postflow.posts import PostStatus, TargetStatus
from postflow.providers import AccountContext, ConnectedAccount, TokenSet
from postflow.runtime import Runtime
from postflow.timezones import require_timezone
from postflow.usecases.audit_log import record
from postflow.usecases.billing.account_addon import accounts_changed, check_account_room

log = logging.getLogger(__name__)
#: The test network, connected by name with no consent screen (:func:`connect_sandbox`).
SANDBOX = "sandbox"


async def add_connection(rt: Runtime, org_id: str, network: str, account: ConnectedAccount, *,
                         actor: str) -> Connection:
    """Store a newly authorized account, within the plan's connected-accounts limit."""
    rt.providers.get(network)
    org = await rt.store.get_organization(org_id)
    check_account_room(rt, org, await rt.store.count_connections(org_id))
    now = rt.clock.now()
    connection = Connection(
        id=new_id("conn"), org_id=org_id, network=network, account_id=account.account_id,
        display_name=account.display_name, status=ConnectionStatus.ACTIVE,
        avatar_url=account.avatar_url, scopes=list(account.tokens.scopes),
        sealed_tokens=rt.vault.seal(account.tokens.model_dump_json(
            context={"reveal_secrets": True})),
        token_expires_at=account.tokens.expires_at, created_at=now, updated_at=now)
    await rt.store.insert_connection(connection)
    await record(rt, org_id, actor, "connection.added", connection.id, network=network,
                 account_id=account.account_id)
    await accounts_changed(rt, org_id, actor=actor)
    await rt.notices.notify(ConnectionAdded(org_id, actor, connection.id, network=network,
                                            account_name=connection.display_name))
    return connection


async def connect_sandbox(rt: Runtime, org_id: str, name: str, *, actor: str) -> Connection:
    """Connect a sandbox account: the whole flow, with no social network behind it."""
    provider = rt.providers.get(SANDBOX)
    account = await provider.exchange_code(code=f"sandbox:{name}", redirect_uri="",
                                           code_verifier="")
    return await add_connection(rt, org_id, SANDBOX, account, actor=actor)


async def set_connection_timezone(rt: Runtime, org_id: str, connection_id: str,
                                  timezone: str | None, *, actor: str) -> Connection:
    """Set the zone the connection's local times (and its default queue slots) are read in;
    ``None`` clears it, so the organization's zone applies again.

    Posts already scheduled keep their instants; a queue set with its own zone keeps it.
    """
    if timezone is not None:
        require_timezone(timezone)
    current = await rt.store.get_connection(org_id, connection_id)
    updated = current.model_copy(update={"timezone": timezone, "updated_at": rt.clock.now()})
    # Connection writes replace the whole record (a token refresh, a reconnect mark do too):
    # writing right after the read keeps the window for losing one to a single round trip.
    await rt.store.update_connection(updated)
    await record(rt, org_id, actor, "connection.timezone_set" if timezone else
                 "connection.timezone_cleared", connection_id, timezone=timezone,
                 previous_timezone=current.timezone)
    return updated


def open_tokens(rt: Runtime, connection: Connection) -> TokenSet:
    if connection.sealed_tokens is None:
        return TokenSet.model_validate({"access_token": ""})
    return TokenSet.model_validate_json(rt.vault.open(connection.sealed_tokens))


def account_context(rt: Runtime, connection: Connection) -> AccountContext:
    return AccountContext(connection_id=connection.id, account_id=connection.account_id,
                          tokens=open_tokens(rt, connection))


async def store_refreshed_tokens(rt: Runtime, connection: Connection,
                                 tokens: TokenSet) -> Connection:
    """Save refreshed tokens; an answer without a refresh token keeps the stored one."""
    if tokens.refresh_token is None:
        tokens = tokens.model_copy(update={"refresh_token": open_tokens(rt, connection)
                                           .refresh_token})
    updated = connection.model_copy(update={
        "sealed_tokens": rt.vault.seal(tokens.model_dump_json(context={"reveal_secrets": True})),
        "token_expires_at": tokens.expires_at, "updated_at": rt.clock.now()})
    await rt.store.update_connection(updated)
    return updated


async def mark_needs_reconnect(rt: Runtime, connection: Connection, reason: str) -> Connection:
    """Mark an active connection as needing a reconnect and audit it, once: a connection already
    marked (or disconnected) is left as is. Works on a fresh read, so tokens stored meanwhile
    are not overwritten with the caller's older copy."""
    try:
        current = await rt.store.get_connection(connection.org_id, connection.id)
    except NotFound:
        return connection
    if current.status is not ConnectionStatus.ACTIVE:
        return current
    updated = current.model_copy(update={"status": ConnectionStatus.NEEDS_RECONNECT,
                                         "updated_at": rt.clock.now()})
    await rt.store.update_connection(updated)
    await record(rt, connection.org_id, "worker", "connection.needs_reconnect", connection.id,
                 reason=reason)
    await rt.notices.notify(ConnectionBroken(updated, reason))
    return updated


#: Post statuses whose targets may still be published (a disconnect leaves them in place).
WAITING_POST_STATUSES = (PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.APPROVED,
                         PostStatus.SCHEDULED, PostStatus.LATE, PostStatus.QUEUED,
                         PostStatus.PUBLISHING)
#: How many waiting posts a disconnect looks through to count those aimed at the account.
WAITING_POSTS_SCAN = 10_000


@dataclass(frozen=True)
class Disconnected:
    """What :func:`disconnect_connection` did."""

    connection: Connection
    #: Posts not published yet that still target the account; they stay as they are.
    waiting_posts: int
    #: It was disconnected already: nothing changed, nothing audited.
    already: bool = False


async def disconnect_connection(rt: Runtime, org_id: str, connection_id: str, *,
                                actor: str) -> Disconnected:
    """Stop posting to an account and forget its tokens; keep everything else.

    The connection stays (same id) with its posts, queue settings and zone, so reconnecting the
    same account brings it back as it was. Posts to it are not touched: while it is
    disconnected, a target that comes due fails with "reconnect this account" and can be
    published again after the reconnect. It no longer counts against the plan.
    """
    try:
        async with rt.refresh_locks.hold(connection_id):  # not under a refresh in flight
            current, changed = await _disconnect(rt, org_id, connection_id)
    except RefreshLockBusy:
        current, changed = await _disconnect(rt, org_id, connection_id)
    waiting = sum(
        1 for post in await rt.store.list_posts(org_id, WAITING_POST_STATUSES,
                                                limit=WAITING_POSTS_SCAN)
        for target in post.targets
        if target.connection_id == connection_id and target.status in (
            TargetStatus.PENDING, TargetStatus.PUBLISHING))
    if changed is None:
        return Disconnected(connection=current, waiting_posts=waiting, already=True)
    await record(rt, org_id, actor, "connection.disconnected", connection_id,
                 network=current.network, account_id=current.account_id,
                 previous_status=current.status.value, waiting_posts=waiting)
    await accounts_changed(rt, org_id, actor=actor)
    return Disconnected(connection=changed, waiting_posts=waiting)


async def _disconnect(rt: Runtime, org_id: str,
                      connection_id: str) -> tuple[Connection, Connection | None]:
    """The connection as read, and as written (None when it was disconnected already)."""
    current = await rt.store.get_connection(org_id, connection_id)
    if current.status is ConnectionStatus.DISCONNECTED:
        return current, None
    changed = current.model_copy(update={
        "status": ConnectionStatus.DISCONNECTED, "sealed_tokens": None,
        "token_expires_at": None, "reconnect_by": None, "expiry_warnings_sent": [],
        "updated_at": rt.clock.now()})
    await rt.store.update_connection(changed)
    return current, changed
