"""Picking which accounts to connect, for networks whose one consent grants several
(:class:`postflow.providers.AccountPicker`; Facebook: the Pages a person manages).

1. :func:`offer_accounts` (the hub's callback, instead of connecting at once) spends the consent
   state, exchanges the code for every account it grants, and hands out a **pick token**: a
   signed, single-use, 10-minute state (:mod:`postflow.usecases.oauth_states`) bound to the same
   organization, asker and browser (the digest of its cookie's key) as the consent.
   The accounts and their tokens ride inside the token sealed by the token vault, so nothing is
   stored server-side and no token can be read from the page that carries it.
2. :func:`pick_accounts` (the form's POST) checks the pick token against the browser, then
   spends it and connects each chosen account, or updates it in place when it was connected
   before. A pick from another browser spends nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import TypeAdapter

from postflow.connections import Connection
from postflow.errors import BadInput, LimitReached
from postflow.providers import AccountPicker, ConnectedAccount
from postflow.runtime import Runtime
from postflow.usecases.oauth_connect import (
    callback_url,
    consent_networks,
    redeem_consent,
    save_connected_account,
)
from postflow.usecases.oauth_states import check_browser, claim_state, issue_state, read_state

_ACCOUNTS = TypeAdapter(list[ConnectedAccount])


@dataclass(frozen=True)
class OfferedAccount:
    account_id: str
    display_name: str
    avatar_url: str | None
    #: Already connected to this organization: picking it updates that connection.
    connected: bool


@dataclass(frozen=True)
class AccountOffer:
    """What the person chooses from, and what the hub needs to let them choose."""

    network: str
    org_name: str
    accounts: tuple[OfferedAccount, ...]
    missing_scopes: tuple[str, ...]
    #: Goes into the form; signed, single-use, holds the accounts sealed; accepted only from
    #: the browser the consent was bound to.
    pick_token: str


@dataclass(frozen=True)
class PickOutcome:
    org_name: str
    connected: tuple[Connection, ...]
    reconnected: tuple[Connection, ...]
    #: Why the accounts after the last connected one were not connected (the plan's limit).
    stopped_by: str | None = None


def picks_accounts(rt: Runtime, network: str) -> bool:
    """Whether ``network`` connects through the consent screen and then a choice of accounts."""
    return network in consent_networks(rt) and _is_picker(rt.providers.get(network))


async def offer_accounts(rt: Runtime, network: str, state: str, code: str, *,
                         browser_key: str) -> AccountOffer:
    """Spend the consent state (in its browser), exchange ``code`` and offer the accounts it
    grants.

    Raises Unauthorized for a bad, reused or expired state or another browser, ProviderError
    when the network refuses the code, BadInput when the grant holds no account.
    """
    provider = _picker(rt, network)
    binding, code_verifier = await redeem_consent(rt, network, state, browser_key=browser_key)
    org = await rt.store.get_organization(binding["org"])
    accounts = await provider.exchange_code_for_accounts(
        code=code, redirect_uri=callback_url(rt, network), code_verifier=code_verifier)
    if not accounts:
        raise BadInput(f"{rt.providers.get(network).display_name} shows no account you manage "
                       "to PostFlow: nothing was connected. On the consent screen, choose the "
                       "accounts PostFlow may use.", details={"network": network})
    known = {c.account_id for c in await rt.store.list_connections(org.id, network)}
    sealed = rt.vault.seal(_ACCOUNTS.dump_json(accounts, context={"reveal_secrets": True})
                           .decode())
    pick_token = issue_state(rt, _pick_purpose(network),
                             binding=json.dumps({**binding, "accounts": sealed}))
    return AccountOffer(
        network=network, org_name=org.name, pick_token=pick_token,
        accounts=tuple(OfferedAccount(a.account_id, a.display_name, a.avatar_url,
                                      a.account_id in known) for a in accounts),
        missing_scopes=tuple(accounts[0].missing_scopes))


async def pick_accounts(rt: Runtime, network: str, pick_token: str, browser_key: str,
                        chosen: list[str]) -> PickOutcome:
    """Connect the ``chosen`` account ids of an offer, once, in the browser it was made for.

    Raises BadInput when nothing (or something not offered) is chosen, Unauthorized for a bad,
    reused or expired pick token or another browser. Choosing nothing, or choosing in another
    browser, spends nothing, so the person can go back and choose.
    """
    _picker(rt, network)
    if not chosen:
        raise BadInput("Choose at least one account to connect.", details={"network": network})
    read = read_state(rt, pick_token, _pick_purpose(network))
    binding = json.loads(read.binding)
    check_browser(binding.get("browser"), browser_key)
    await claim_state(rt, read)
    offered = {a.account_id: a for a in _ACCOUNTS.validate_json(
        rt.vault.open(str(binding["accounts"])))}
    unknown = sorted(set(chosen) - set(offered))
    if unknown:
        raise BadInput("Only the accounts offered can be connected.",
                       details={"network": network, "account_ids": unknown})
    org = await rt.store.get_organization(str(binding["org"]))
    added: list[Connection] = []
    updated: list[Connection] = []
    stopped_by = None
    for account_id in dict.fromkeys(chosen):
        try:
            connection, reconnected = await save_connected_account(
                rt, org.id, network, offered[account_id], actor=str(binding["actor"]))
        except LimitReached as err:
            stopped_by = err.message
            break
        (updated if reconnected else added).append(connection)
    return PickOutcome(org_name=org.name, connected=tuple(added), reconnected=tuple(updated),
                       stopped_by=stopped_by)


def _is_picker(provider: object) -> bool:
    return isinstance(provider, AccountPicker) and provider.picks_accounts is True


def _picker(rt: Runtime, network: str) -> AccountPicker:
    provider = rt.providers.get(network) if network in consent_networks(rt) else None
    if provider is None or not isinstance(provider, AccountPicker) or not _is_picker(provider):
        raise BadInput(f"PostFlow does not pick {network!r} accounts after consent.",
                       details={"network": network})
    return provider


def _pick_purpose(network: str) -> str:
    return f"oauth-pick:{network}"

