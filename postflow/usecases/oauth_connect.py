"""Connecting an account through a network's consent screen: OAuth 2.0 with PKCE (S256).

1. :func:`connect_link` gives a person (CLI, chat) a single-use link to the hub,
   ``/oauth/{network}/start?state=...``, whose state is bound to the organization and to who
   asked, and lives 10 minutes.
2. :func:`open_link` (the hub's ``GET`` of the link) reads the link without spending it: the
   page it shows names the organization, the network and who asked, so a link sent to someone
   else cannot connect their account unnoticed. Its Continue form carries a CSRF token
   (:func:`link_csrf_token`) tied to the link and to the browser's key (a cookie).
3. :func:`begin_consent` (the form's ``POST``) spends the link and sends the browser to the
   network with a fresh consent state, bound to that browser, and the PKCE challenge.
4. :func:`finish_consent` (the hub's callback) checks the consent state against the browser,
   spends it, exchanges the code with the PKCE verifier and stores the account, or updates it
   when it was connected before.

The verifier never leaves the server and is never stored: it is derived from the consent state
and the secret key (:meth:`postflow.signed_tokens.TokenSigner.derive`), so whichever hub process
gets the callback derives it again, and issuing a state still writes nothing
(:mod:`postflow.usecases.oauth_states`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from postflow.account_gates import RefreshLockBusy
from postflow.connections import Connection, ConnectionStatus
from postflow.errors import BadInput, Forbidden
from postflow.providers import ConnectedAccount, Provider
from postflow.runtime import Runtime
from postflow.secret_compare import same_secret
from postflow.signed_tokens import TokenRefused
from postflow.usecases.audit_log import record
from postflow.usecases.billing.account_addon import accounts_changed, check_account_room
from postflow.usecases.connections import add_connection, open_tokens
from postflow.usecases.oauth_states import (
    STATE_TTL,
    browser_digest,
    check_browser,
    claim_state,
    issue_state,
    read_state,
)

START_PATH = "/oauth/{network}/start"
CALLBACK_PATH = "/oauth/{network}/callback"
#: The asker's name a link carries (chat display names are short; a link must stay usable).
MAX_ASKER_NAME = 80


@dataclass(frozen=True)
class ConnectLink:
    network: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkRequest:
    """What a connect link asks, shown before anything happens: for whom, where, by whom."""

    network: str
    network_name: str
    org_name: str
    #: Who asked: their name in chat, or the command line.
    asked_by: str
    actor: str
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
    """The configured networks that connect through a consent screen (each provider declares
    it: ``connects_by_oauth``; the sandbox connects without one: ``postflow connect sandbox``)."""
    return rt.providers.consent_networks()


def callback_url(rt: Runtime, network: str) -> str:
    """The redirect URI to register with the network: ``{PUBLIC_URL}/oauth/{network}/callback``."""
    return rt.settings.base_url + CALLBACK_PATH.format(network=network)


async def connect_link(rt: Runtime, org_id: str, network: str, *, actor: str,
                       asked_by: str = "") -> ConnectLink:
    """A single-use, 10-minute link that connects an account of ``network`` to the organization;
    ``asked_by`` is the asker's name, shown on the link's page."""
    _consent_provider(rt, network)
    org = await rt.store.get_organization(org_id)
    state = issue_state(rt, _link_purpose(network), binding=json.dumps(
        {"org": org.id, "actor": actor, "by": asked_by[:MAX_ASKER_NAME]}))
    url = (rt.settings.base_url + START_PATH.format(network=network) + "?"
           + urlencode({"state": state}))
    return ConnectLink(network=network, url=url, expires_at=rt.clock.now() + STATE_TTL)


async def open_link(rt: Runtime, network: str, link_state: str) -> LinkRequest:
    """What the link asks, without spending it (Unauthorized for a forged or expired link,
    NotFound when its organization is gone)."""
    provider = _consent_provider(rt, network)
    read = read_state(rt, link_state, _link_purpose(network))
    binding = json.loads(read.binding)
    org = await rt.store.get_organization(str(binding["org"]))
    actor = str(binding["actor"])
    asked_by = str(binding.get("by") or "")
    return LinkRequest(network=network, network_name=provider.display_name, org_name=org.name,
                       asked_by=asked_by or ("the PostFlow command line" if actor == "cli"
                                             else actor),
                       actor=actor, expires_at=read.expires_at)


def link_csrf_token(rt: Runtime, link_state: str, browser_key: str) -> str:
    """The token the link page's Continue form carries: only that page, in that browser, has
    it (a signed token holding a digest of the link and of the browser's key)."""
    return rt.tokens.sign(_CSRF_PURPOSE, _csrf_binding(link_state, browser_key), STATE_TTL)


async def begin_consent(rt: Runtime, network: str, link_state: str, *, csrf_token: str,
                        browser_key: str) -> ConsentRedirect:
    """Spend the link and hand out the network's consent URL, its state bound to the browser.

    Raises Forbidden when the CSRF token is not the one the page in this browser carried
    (nothing is spent then), Unauthorized for a bad, expired or used link.
    """
    provider = _consent_provider(rt, network)
    if not (browser_key and _is_link_csrf_token(rt, csrf_token, link_state, browser_key)):
        raise Forbidden("This form was not sent from the page of this link in this browser. "
                        "Open the link again and press Continue.",
                        details={"reason": "csrf"})
    redeemed = await claim_state(rt, read_state(rt, link_state, _link_purpose(network)))
    binding = json.loads(redeemed.binding)
    state = issue_state(rt, _consent_purpose(network), binding=json.dumps(
        {"org": binding["org"], "actor": binding["actor"],
         "browser": browser_digest(browser_key)}))
    challenge = str(create_s256_code_challenge(_code_verifier(rt, state)))
    return ConsentRedirect(url=provider.consent_url(
        state=state, redirect_uri=callback_url(rt, network), code_challenge=challenge),
        state=state)


async def finish_consent(rt: Runtime, network: str, state: str, code: str, *,
                         browser_key: str) -> ConnectOutcome:
    """Redeem the consent state in the browser it was bound to, exchange ``code`` and store the
    account.

    Raises Unauthorized for a bad, reused or expired state or another browser (reason
    ``browser``; nothing is spent then), ProviderError when the network refuses the code,
    LimitReached when a new account would pass the plan's limit.
    """
    provider = _consent_provider(rt, network)
    binding, code_verifier = await redeem_consent(rt, network, state, browser_key=browser_key)
    org = await rt.store.get_organization(binding["org"])
    account = await provider.exchange_code(code=code, redirect_uri=callback_url(rt, network),
                                           code_verifier=code_verifier)
    connection, reconnected = await save_connected_account(rt, org.id, network, account,
                                                           actor=str(binding["actor"]))
    return ConnectOutcome(connection=connection, org_name=org.name, reconnected=reconnected,
                          missing_scopes=tuple(account.missing_scopes))


async def redeem_consent(rt: Runtime, network: str, state: str, *,
                         browser_key: str) -> tuple[dict[str, str], str]:
    """Spend the consent state in its browser: its binding (``org``, ``actor``, ``browser``)
    and the PKCE verifier.

    Raises Unauthorized for a bad, reused or expired state, or another browser (checked before
    the state is spent, so the right browser can still use it).
    """
    read = read_state(rt, state, _consent_purpose(network))
    binding = json.loads(read.binding)
    check_browser(binding.get("browser"), browser_key)
    await claim_state(rt, read)
    return ({"org": str(binding["org"]), "actor": str(binding["actor"]),
             "browser": str(binding["browser"])},
            _code_verifier(rt, state))


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
        check_account_room(rt, org, await rt.store.count_connections(org_id))
    try:
        async with rt.refresh_locks.hold(existing.id):  # not under a refresh in flight
            updated = await _update_connection(rt, existing, account)
    except RefreshLockBusy:
        updated = await _update_connection(rt, existing, account)
    await record(rt, org_id, actor, "connection.reconnected", existing.id, network=network,
                 account_id=account.account_id, previous_status=existing.status.value)
    if existing.status is ConnectionStatus.DISCONNECTED:
        await accounts_changed(rt, org_id, actor=actor)
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


_CSRF_PURPOSE = "connect-link-csrf"


def _csrf_binding(link_state: str, browser_key: str) -> str:
    """What a CSRF token holds: a digest of the link and of the browser's key (both stay out)."""
    return hashlib.sha256(f"{link_state}\n{browser_digest(browser_key)}"
                          .encode("utf-8", "surrogatepass")).hexdigest()


def _is_link_csrf_token(rt: Runtime, csrf_token: str, link_state: str, browser_key: str) -> bool:
    try:
        opened = rt.tokens.open(_CSRF_PURPOSE, csrf_token)
    except TokenRefused:
        return False
    return same_secret(opened.payload, _csrf_binding(link_state, browser_key))


def _code_verifier(rt: Runtime, consent_state: str) -> str:
    """The PKCE verifier for one consent state (43 URL-safe characters, RFC 7636)."""
    return rt.tokens.derive("oauth-pkce-verifier", consent_state)
