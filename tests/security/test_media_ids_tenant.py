"""``media_ids`` in a webhook body name only media of the hook's own organization: another
tenant's medium gets exactly the answer an unknown id gets, and no post is created."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientResponse

from postflow.media import MediaObject, media_id_of
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.hooks import create_hook
from postflow.usecases.media import add_media_from_upload
from postflow.usecases.organizations import create_organization
from tests.fakes.clock import ManualClock
from tests.hub.conftest import HubClient, Sender, running_hub

PNG = b"\x89PNG\r\n\x1a\n" + b"a" * 120


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[HubClient]:
    async with running_hub(rt) as test_client:
        yield test_client


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="test")


async def upload(rt: Runtime, org_id: str, data: bytes) -> MediaObject:
    return await add_media_from_upload(rt, data, "image/png", org_id=org_id)


async def other_tenant(rt: Runtime, client: HubClient, clock: ManualClock) -> Sender:
    """Organization B, with its own sandbox account and hook, sending to the same hub."""
    beta = await create_organization(rt, "Beta", actor="test")
    account = await connect_sandbox(rt, beta.id, "beta-sandbox", actor="test")
    created = await create_hook(rt, beta.id, "Beta hook", actor="test")
    return Sender(client, clock, created, account)


async def refusal(response: ClientResponse) -> tuple[int, Any]:
    return response.status, await response.json()


async def test_another_tenants_media_id_gets_the_answer_of_an_unknown_id(
        rt: Runtime, org: Organization, client: HubClient, clock: ManualClock) -> None:
    theirs = await upload(rt, org.id, PNG)
    beta = await other_tenant(rt, client, clock)
    unknown_id = media_id_of(b"never stored anywhere")

    unknown = await refusal(await beta.post(beta.body(media_ids=[unknown_id])))
    borrowed = await refusal(await beta.post(beta.body(media_ids=[theirs.id])))

    assert 400 <= borrowed[0] < 500
    assert borrowed == unknown
    assert await rt.store.list_posts(beta.hook.hook.org_id) == []
    assert await rt.store.list_posts(org.id) == []


async def test_the_same_bytes_uploaded_by_the_tenant_itself_are_its_own(
        rt: Runtime, org: Organization, client: HubClient, clock: ManualClock) -> None:
    await upload(rt, org.id, PNG)
    beta = await other_tenant(rt, client, clock)
    own = await upload(rt, beta.hook.hook.org_id, PNG)

    response = await beta.post(beta.body(media_ids=[own.id]))

    assert response.status == 202
    [post] = await rt.store.list_posts(beta.hook.hook.org_id)
    assert [m.media_id for m in post.media] == [own.id]


async def test_a_malformed_media_id_gets_the_same_answer_too(
        rt: Runtime, org: Organization, client: HubClient, clock: ManualClock) -> None:
    beta = await other_tenant(rt, client, clock)

    unknown = await refusal(await beta.post(beta.body(media_ids=[media_id_of(b"x")])))
    malformed = await refusal(await beta.post(beta.body(media_ids=["../../secret.key"])))

    assert malformed == unknown
