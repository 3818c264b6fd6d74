"""Connecting an account through a network's consent screen: OAuth 2.0 with PKCE (S256).

1. :func:`connect_link` gives a person (CLI, chat) a single-use link to the hub,
   ``/oauth/{network}/start?state=...``, whose state is bound to the organization and to who
   asked, and lives 10 minutes.
2. :func:`begin_consent` (the hub's start route) redeems that link and sends the browser to the
   network with a fresh consent state and the PKCE challenge.
3. :func:`finish_consent` (the hub's callback) redeems the consent state, exchanges the code
   with the PKCE verifier and stores the account, or updates it when it was connected before.

The verifier never leaves the server and is never stored: it is an HMAC of the consent state's
id under a key derived from the secret key, so whichever hub process gets the callback derives it
again, and issuing a state still writes nothing (:mod:`postflow.chatops.oauth_state`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from postflow.account_gates import RefreshLockBusy
from postflow.chatops.oauth_state import STATE_TTL, issue_state, redeem_state
from postflow.connections import Connection, ConnectionStatus
from postflow.errors import BadInput
from postflow.plans import Limit, check_limit
from postflow.providers import ConnectedAccount, Provider
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from postflow.usecases.connections import add_connection, open_tokens

START_PATH = "/oauth/{network}/start"
CALLBACK_PATH = "/oauth/{network}/callback"
#: The networks whose consent flow is built and tested; each is offered once it is configured
#: (the sandbox connects without a consent screen: ``postflow connect sandbox``).
CONSENT_NETWORKS = frozenset({"x", "facebook", "linkedin"})


@dataclass(frozen=True)
class ConnectLink:
    network: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class ConsentRedirect:
    """Where to send the browser, and the consent state it carries."""

    url: str
    state: str


@dataclass(frozen=True)
class ConnectOutcome:
    connection: Connection
    org_name: str
    #: True when the account was connected before and was updated in place.
    reconnected: bool
    missing_scopes: tuple[str, ...]


def consent_networks(rt: Runtime) -> list[str]:
    """The configured networks that connect through a consent screen."""
    return [n for n in rt.providers.networks() if n in CONSENT_NETWORKS]


def callback_url(rt: Runtime, network: str) -> str:
    """The redirect URI to register with the network: ``{PUBLIC_URL}/oauth/{network}/callback``."""
    return rt.settings.base_url + CALLBACK_PATH.format(network=network)


async def connect_link(rt: Runtime, org_id: str, network: str, *, actor: str) -> ConnectLink:
    """A single-use, 10-minute link that connects an account of ``network`` to the organization."""
    _consent_provider(rt, network)
    org = await rt.store.get_organization(org_id)
    state = issue_state(rt, _link_purpose(network),
                        binding=json.dumps({"org": org.id, "actor": actor}))
    url = (rt.settings.base_url + START_PATH.format(network=network) + "?"
           + urlencode({"state": state}))
    return ConnectLink(network=network, url=url, expires_at=rt.clock.now() + STATE_TTL)


async def begin_consent(rt: Runtime, network: str, link_state: str) -> ConsentRedirect:
    """Spend the link and hand out the network's consent URL (Unauthorized for a bad link)."""
    provider = _consent_provider(rt, network)
    redeemed = await redeem_state(rt, link_state, _link_purpose(network))
    state = issue_state(rt, _consent_purpose(network), binding=redeemed.binding)
    challenge = str(create_s256_code_challenge(_code_verifier(rt, state.partition(".")[0])))
    return ConsentRedirect(url=provider.consent_url(
        state=state, redirect_uri=callback_url(rt, network), code_challenge=challenge),
        state=state)


async def finish_consent(rt: Runtime, network: str, state: str, code: str) -> ConnectOutcome:
    """Redeem the consent state, exchange ``code`` and store the account.

    Raises Unauthorized for a bad, reused or expired state, ProviderError when the network
    refuses the code, LimitReached when a new account would pass the plan's limit.
    """
    provider = _consent_provider(rt, network)
    binding, code_verifier = await redeem_consent(rt, network, state)
    org = await rt.store.get_organization(binding["org"])
    account = await provider.exchange_code(code=code, redirect_uri=callback_url(rt, network),
                                           code_verifier=code_verifier)
    connection, reconnected = await save_connected_account(rt, org.id, network, account,
                                                           actor=str(binding["actor"]))
    return ConnectOutcome(connection=connection, org_name=org.name, reconnected=reconnected,
                          missing_scopes=tuple(account.missing_scopes))


async def redeem_consent(rt: Runtime, network: str, state: str) -> tuple[dict[str, str], str]:
    """Spend the consent state: its binding (``org``, ``actor``) and the PKCE verifier.

    Raises Unauthorized for a bad, reused or expired state.
    """
    redeemed = await redeem_state(rt, state, _consent_purpose(network))
    binding = json.loads(redeemed.binding)
    return ({"org": str(binding["org"]), "actor": str(binding["actor"])},
            _code_verifier(rt, redeemed.state_id))


async def save_connected_account(rt: Runtime, org_id: str, network: str,
                                 account: ConnectedAccount, *,
                                 actor: str) -> tuple[Connection, bool]:
    """Add the account, or update the organization's connection to the same account (its posts
    and queue stay); an answer without a refresh token keeps the stored one."""
    existing = next((c for c in await rt.store.list_connections(org_id, network)
                     if c.account_id == account.account_id), None)
    if existing is None:
        return await add_connection(rt, org_id, network, account, actor=actor), False
    if existing.status is ConnectionStatus.DISCONNECTED:
        # A disconnected account stopped counting against the plan; coming back counts again.
        org = await rt.store.get_organization(org_id)
        check_limit(rt.plans, org.plan, Limit.CONNECTED_ACCOUNTS,
                    await rt.store.count_connections(org_id))
    try:
        async with rt.refresh_locks.hold(existing.id):  # not under a refresh in flight
            updated = await _update_connection(rt, existing, account)
    except RefreshLockBusy:
        updated = await _update_connection(rt, existing, account)
    await record(rt, org_id, actor, "connection.reconnected", existing.id, network=network,
                 account_id=account.account_id, previous_status=existing.status.value)
    return updated, True


async def _update_connection(rt: Runtime, seen: Connection,
                             account: ConnectedAccount) -> Connection:
    current = await rt.store.get_connection(seen.org_id, seen.id)
    tokens = account.tokens
    if tokens.refresh_token is None and current.sealed_tokens is not None:
        tokens = tokens.model_copy(update={"refresh_token": open_tokens(rt, current)
                                           .refresh_token})
    updated = current.model_copy(update={
        "display_name": account.display_name, "avatar_url": account.avatar_url,
        "scopes": list(tokens.scopes), "status": ConnectionStatus.ACTIVE,
        "sealed_tokens": rt.vault.seal(tokens.model_dump_json(context={"reveal_secrets": True})),
        "token_expires_at": tokens.expires_at, "updated_at": rt.clock.now()})
    await rt.store.update_connection(updated)
    return updated


def _consent_provider(rt: Runtime, network: str) -> Provider:
    if network not in consent_networks(rt):
        offered = ", ".join(consent_networks(rt)) or "none is configured"
        raise BadInput(f"PostFlow cannot connect {network!r} accounts through a consent screen "
                       f"here (networks: {offered}). A network is offered once its client id "
                       "and secret are set (docs/configuration.md).",
                       details={"network": network})
    return rt.providers.get(network)


def _link_purpose(network: str) -> str:
    return f"oauth-link:{network}"


def _consent_purpose(network: str) -> str:
    return f"oauth-consent:{network}"


def _code_verifier(rt: Runtime, state_id: str) -> str:
    """The PKCE verifier for one consent state (43 URL-safe characters, RFC 7636)."""
    key = hmac.new(rt.settings.secret_keys()[0].encode(), b"postflow oauth pkce verifier",
                   hashlib.sha256).digest()
    digest = hmac.new(key, state_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
