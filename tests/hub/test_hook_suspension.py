"""A suspended organization's hooks answer 403 with a message, after the signature, and take
nothing; once resumed they work again."""

from __future__ import annotations

from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.admin import resume_organization, suspend_organization
from tests.hub.conftest import Sender, error_code, no_posts


async def test_a_suspended_organizations_hook_answers_403_and_creates_nothing(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    await suspend_organization(rt, org.id, "unpaid invoices")

    response = await sender.post()

    assert response.status == 403
    assert await error_code(response) == "organization_suspended"
    assert "suspended" in (await response.json())["error"]["message"]
    assert await no_posts(rt, org)


async def test_an_unsigned_request_learns_nothing_of_the_suspension(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    await suspend_organization(rt, org.id, "unpaid invoices")
    response = await sender.post(unsigned=True)
    assert response.status == 401


async def test_the_status_of_a_post_is_refused_while_suspended(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    created = await (await sender.post()).json()
    await suspend_organization(rt, org.id, "abuse report")
    response = await sender.get(f"/v1/hooks/{sender.hook.hook.id}/posts/{created['post_id']}")
    assert response.status == 403


async def test_a_resumed_organizations_hook_takes_posts_again(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    await suspend_organization(rt, org.id, "unpaid invoices")
    refused_body = sender.body(text="sent while suspended")
    assert (await sender.post(refused_body)).status == 403
    await resume_organization(rt, org.id)
    # The refused request was not recorded as seen: the sender may send it again.
    assert (await sender.post(refused_body)).status == 202
