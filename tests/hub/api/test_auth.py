"""Bearer API keys: 401 with the error envelope and WWW-Authenticate for a missing, bad or
revoked key; the last use written at most once a minute."""

from __future__ import annotations

import pytest

from postflow.runtime import Runtime
from postflow.usecases.api_keys import revoke_api_key, rotate_api_key
from tests.fakes.clock import ManualClock
from tests.hub.api.conftest import Api, Tenant
from tests.hub.conftest import HubClient, error_code


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer ", "Basic abc"])
async def test_a_request_without_a_bearer_key_is_401_with_a_challenge(
        client: HubClient, acme: Tenant, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = await client.get("/v1/posts", headers=headers)

    assert response.status == 401
    assert await error_code(response) == "unauthorized"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="PostFlow API"'


@pytest.mark.parametrize("token", [
    "pf_key_nosuchkey0000000000000_0123", "not-a-key", "pf_", "pf_key__", "pf_key_x_" + "a" * 300,
])
async def test_an_unknown_or_malformed_key_is_401_invalid_token(client: HubClient, acme: Tenant,
                                                                token: str) -> None:
    response = await Api(client, token).get("/v1/posts")

    assert response.status == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert (await response.json())["error"]["details"]["reason"] == "invalid_api_key"


async def test_a_key_with_a_wrong_secret_is_401(client: HubClient, acme: Tenant) -> None:
    forged = acme.token[:-4] + ("0000" if not acme.token.endswith("0000") else "1111")

    assert (await Api(client, forged).get("/v1/posts")).status == 401


async def test_a_revoked_key_is_401(rt: Runtime, api: Api, acme: Tenant) -> None:
    assert (await api.get("/v1/posts")).status == 200
    key_id = (await rt.store.list_api_keys(acme.org.id))[0].id

    await revoke_api_key(rt, acme.org.id, key_id, actor="test")

    assert (await api.get("/v1/posts")).status == 401


async def test_a_rotated_key_refuses_the_old_secret_and_takes_the_new(
        rt: Runtime, client: HubClient, api: Api, acme: Tenant) -> None:
    key_id = (await rt.store.list_api_keys(acme.org.id))[0].id

    rotated = await rotate_api_key(rt, acme.org.id, key_id, actor="test")

    assert (await api.get("/v1/posts")).status == 401
    assert (await Api(client, rotated.token).get("/v1/posts")).status == 200


async def test_last_use_is_written_at_most_once_a_minute(rt: Runtime, clock: ManualClock,
                                                         api: Api, acme: Tenant) -> None:
    async def last_used() -> object:
        return (await rt.store.list_api_keys(acme.org.id))[0].last_used_at

    first = clock.now()
    await api.get("/v1/posts")
    clock.advance(59)
    await api.get("/v1/posts")
    assert await last_used() == first

    clock.advance(1)
    await api.get("/v1/posts")
    assert await last_used() == clock.now()
