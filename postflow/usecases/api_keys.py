"""API keys: create, list, revoke and rotate them; authenticate a bearer key on a request.

The key itself is returned once (:class:`IssuedKey`); only its hash is stored. Authentication
answers every failure (no such key, wrong secret, revoked) with the same Unauthorized, so a
caller learns nothing about which keys exist. Last use is written at most once per
:data:`LAST_USE_EVERY` per key, not on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from postflow.api_keys import (
    ApiKey,
    ApiScope,
    full_key,
    hash_secret,
    new_secret,
    secret_matches,
    split_key,
)
from postflow.errors import BadInput, NotFound, Unauthorized
from postflow.ids import new_id
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record

LAST_USE_EVERY = timedelta(minutes=1)
MAX_NAME = 120


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    #: ``pf_...``: shown once, never stored.
    token: str


async def create_api_key(rt: Runtime, org_id: str, name: str, scopes: list[ApiScope], *,
                         actor: str) -> IssuedKey:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise BadInput(f"An API key's name is 1 to {MAX_NAME} characters long.")
    if not scopes:
        raise BadInput("An API key needs at least one scope.")
    await rt.store.get_organization(org_id)  # NotFound for an unknown organization
    key_id, secret = new_id("key"), new_secret()
    key = ApiKey(id=key_id, org_id=org_id, name=name, scopes=scopes,
                 secret_hash=hash_secret(key_id, secret), created_by=actor,
                 created_at=rt.clock.now())
    await rt.store.insert_api_key(key)
    await record(rt, org_id, actor, "api_key.created", key.id, name=key.name,
                 scopes=",".join(key.scopes))
    return IssuedKey(key=key, token=full_key(key_id, secret))


async def list_api_keys(rt: Runtime, org_id: str) -> list[ApiKey]:
    return await rt.store.list_api_keys(org_id)


async def revoke_api_key(rt: Runtime, org_id: str, key_id: str, *, actor: str) -> ApiKey:
    """Refuse the key from now on; revoking a revoked key changes nothing."""
    key = await _get_key(rt, org_id, key_id)
    if key.revoked:
        return key
    revoked = key.model_copy(update={"revoked_at": rt.clock.now()})
    await rt.store.update_api_key(revoked)
    await record(rt, org_id, actor, "api_key.revoked", key.id, name=key.name)
    return revoked


async def rotate_api_key(rt: Runtime, org_id: str, key_id: str, *, actor: str) -> IssuedKey:
    """A new secret for the same key (id, name, scopes); the old secret stops at once."""
    key = await _get_key(rt, org_id, key_id)
    if key.revoked:
        raise BadInput(f"API key {key.id} is revoked: create a new one instead.",
                       details={"key_id": key.id})
    secret = new_secret()
    rotated = key.model_copy(update={"secret_hash": hash_secret(key.id, secret),
                                     "rotated_at": rt.clock.now()})
    await rt.store.update_api_key(rotated)
    await record(rt, org_id, actor, "api_key.rotated", key.id, name=key.name)
    return IssuedKey(key=rotated, token=full_key(key.id, secret))


async def authenticate_api_key(rt: Runtime, token: str) -> ApiKey:
    """The live key ``token`` is, with its last use recorded (at most once a minute);
    Unauthorized otherwise, the same for every reason."""
    parts = split_key(token)
    key = None if parts is None else await rt.store.find_api_key(parts[0])
    if key is None or parts is None or not secret_matches(key, parts[1]) or key.revoked:
        raise Unauthorized("The API key is not valid: it is unknown, mistyped or revoked.",
                           details={"reason": "invalid_api_key"})
    now = rt.clock.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USE_EVERY:
        await rt.store.touch_api_key(key.id, now)
        key = key.model_copy(update={"last_used_at": now})
    return key


async def _get_key(rt: Runtime, org_id: str, key_id: str) -> ApiKey:
    key = await rt.store.find_api_key(key_id)
    if key is None or key.org_id != org_id:
        raise NotFound(f"No API key {key_id} in this organization.", details={"key_id": key_id})
    return key
