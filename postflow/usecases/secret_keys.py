"""Rotating the secret key: re-seal every secret the token vault keeps under the newest key.

What the vault seals at rest, all of it re-sealed here:

- each connection's token set (``Connection.sealed_tokens``);
- each inbound hook's signing secret, and its previous one during a rotation's grace;
- each chat app installation's bot token (Slack workspaces installed through OAuth);
- each outbound webhook endpoint's signing secret.

Not here, because nothing of it outlives a few minutes or depends on the secret key: account
pick tokens (sealed accounts inside a signed link, valid for minutes), and API keys (an HMAC of
the secret keyed by the key's own id, not by the secret key: rotating leaves them valid).
"""

from __future__ import annotations

from postflow.account_gates import RefreshLockBusy
from postflow.errors import NotFound
from postflow.runtime import Runtime


async def reseal_all(rt: Runtime) -> int:
    """Re-encrypt every sealed secret under the newest key (after adding a new secret key);
    returns how many records were re-sealed.

    Raises VaultError, having re-sealed what came before, when a secret opens under no
    configured key (an old key left out too soon): run it again once that key is back.
    """
    count = 0
    for org in await rt.store.list_organizations():
        for listed in await rt.store.list_connections(org.id):
            if listed.sealed_tokens is not None:
                count += await _reseal_connection(rt, org.id, listed.id)
        for hook in await rt.store.list_hooks(org.id):
            update: dict[str, object] = {"sealed_secret": rt.vault.reseal(hook.sealed_secret)}
            if hook.sealed_previous_secret is not None:
                update["sealed_previous_secret"] = rt.vault.reseal(hook.sealed_previous_secret)
            await rt.store.update_hook(hook.model_copy(update=update))
            count += 1
        for endpoint in await rt.store.list_webhook_endpoints(org.id):
            await rt.store.update_webhook_endpoint(endpoint.model_copy(
                update={"sealed_secret": rt.vault.reseal(endpoint.sealed_secret)}))
            count += 1
    for installation in await rt.store.list_chat_installations():
        if installation.sealed_bot_token:  # empty once removed, and for Discord (one bot token)
            await rt.store.save_chat_installation(installation.model_copy(
                update={"sealed_bot_token": rt.vault.reseal(installation.sealed_bot_token)}))
            count += 1
    return count


async def _reseal_connection(rt: Runtime, org_id: str, connection_id: str) -> int:
    """Re-seal one connection's tokens, read again under its refresh lock so that a refresh
    landing meanwhile is not overwritten by the tokens it replaced; 1 when re-sealed."""
    try:
        async with rt.refresh_locks.hold(connection_id):
            return await _reseal_tokens(rt, org_id, connection_id)
    except RefreshLockBusy:
        return await _reseal_tokens(rt, org_id, connection_id)


async def _reseal_tokens(rt: Runtime, org_id: str, connection_id: str) -> int:
    try:
        connection = await rt.store.get_connection(org_id, connection_id)
    except NotFound:
        return 0
    if connection.sealed_tokens is None:  # disconnected meanwhile
        return 0
    await rt.store.update_connection(connection.model_copy(
        update={"sealed_tokens": rt.vault.reseal(connection.sealed_tokens)}))
    return 1
