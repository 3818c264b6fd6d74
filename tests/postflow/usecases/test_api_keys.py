"""API keys in the core: only a hash is stored, every change is audited, the scope list is
closed."""

from __future__ import annotations

import pytest

from postflow.api_keys import ApiScope, parse_scopes, split_key
from postflow.errors import BadInput, NotFound, Unauthorized
from postflow.runtime import Runtime
from postflow.usecases.api_keys import (
    authenticate_api_key,
    create_api_key,
    revoke_api_key,
    rotate_api_key,
)
from postflow.usecases.organizations import create_organization


async def test_the_store_keeps_a_hash_never_the_key(rt: Runtime) -> None:
    org = await create_organization(rt, "Acme", actor="test")

    issued = await create_api_key(rt, org.id, "cms", [ApiScope.POSTS_READ], actor="cli")

    stored = await rt.store.find_api_key(issued.key.id)
    assert stored is not None
    secret = issued.token.rsplit("_", 1)[1]
    assert secret not in stored.model_dump_json()
    assert (await authenticate_api_key(rt, issued.token)).id == issued.key.id


async def test_create_revoke_and_rotate_are_audited(rt: Runtime) -> None:
    org = await create_organization(rt, "Acme", actor="test")
    issued = await create_api_key(rt, org.id, "cms", [ApiScope.POSTS_READ], actor="cli")

    await rotate_api_key(rt, org.id, issued.key.id, actor="cli")
    await revoke_api_key(rt, org.id, issued.key.id, actor="cli")

    actions = [e.action for e in await rt.store.list_audit(org.id, issued.key.id)]
    assert actions == ["api_key.created", "api_key.rotated", "api_key.revoked"]


async def test_a_key_of_another_organization_cannot_be_revoked_there(rt: Runtime) -> None:
    acme = await create_organization(rt, "Acme", actor="test")
    globex = await create_organization(rt, "Globex", actor="test")
    issued = await create_api_key(rt, acme.id, "cms", [ApiScope.POSTS_READ], actor="cli")

    with pytest.raises(NotFound):
        await revoke_api_key(rt, globex.id, issued.key.id, actor="cli")
    assert (await authenticate_api_key(rt, issued.token)).revoked_at is None


async def test_a_token_with_another_keys_id_is_refused(rt: Runtime) -> None:
    org = await create_organization(rt, "Acme", actor="test")
    one = await create_api_key(rt, org.id, "one", [ApiScope.POSTS_READ], actor="cli")
    two = await create_api_key(rt, org.id, "two", [ApiScope.POSTS_WRITE], actor="cli")
    parts_one, parts_two = split_key(one.token), split_key(two.token)
    assert parts_one is not None and parts_two is not None

    with pytest.raises(Unauthorized):
        await authenticate_api_key(rt, f"pf_{parts_two[0]}_{parts_one[1]}")


def test_scopes_are_a_closed_list_read_in_catalogue_order() -> None:
    assert parse_scopes("usage:read, posts:read") == [ApiScope.POSTS_READ, ApiScope.USAGE_READ]
    for bad in ("", "posts:*", "admin"):
        with pytest.raises(BadInput):
            parse_scopes(bad)


@pytest.mark.parametrize("token", [
    "pf_key_\udcff_abc",  # a header byte that is not UTF-8 arrives as a lone surrogate
    "pf_key_abc_\udcff", "pf_key_ü_abc", "pf_key_abc_secret with spaces", "pf_key__abc",
])
async def test_a_token_of_any_text_is_refused_as_unauthorized(rt: Runtime, token: str) -> None:
    with pytest.raises(Unauthorized):
        await authenticate_api_key(rt, token)


async def test_a_known_key_with_a_secret_of_any_text_is_refused(rt: Runtime) -> None:
    org = await create_organization(rt, "Acme", actor="test")
    issued = await create_api_key(rt, org.id, "cms", [ApiScope.POSTS_READ], actor="cli")

    with pytest.raises(Unauthorized):
        await authenticate_api_key(rt, f"pf_{issued.key.id}_\udcff")
