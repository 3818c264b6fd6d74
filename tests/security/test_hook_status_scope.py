"""Item 9: a hook's status URL reads only the posts that hook created; any other post of the
organization answers exactly as an unknown one does."""

from __future__ import annotations

from aiohttp import ClientResponse
from yarl import URL

from postflow.organizations import Organization
from postflow.posts import PostSource
from postflow.runtime import Runtime
from postflow.usecases.hooks import create_hook
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.hub.conftest import Sender
from tests.security.hook_fixtures import *  # noqa: F403


async def _answer(response: ClientResponse) -> tuple[int, object]:
    body = await response.json()
    return response.status, body["error"]


async def test_the_hook_reads_a_post_it_created(sender: Sender) -> None:
    created = await sender.post()
    path = URL((await created.json())["status_url"]).path

    assert (await sender.get(path)).status == 200


async def test_a_post_made_at_the_shell_is_answered_like_an_unknown_one(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    other = await submit_post(rt, org.id, PostRequest(text="from the CLI",
                                                      targets=[sender.sandbox.id]),
                              source=PostSource(kind="cli"), actor="cli", review_required=False)
    hook_id = sender.hook.hook.id

    foreign = await sender.get(f"/v1/hooks/{hook_id}/posts/{other.id}")
    unknown = await sender.get(f"/v1/hooks/{hook_id}/posts/post_doesnotexist")

    assert await _answer(foreign) == await _answer(unknown)
    assert foreign.status == 404
    assert other.id not in await foreign.text()


async def test_a_post_of_another_hook_of_the_organization_is_not_found(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    created = await sender.post()
    post_id = (await created.json())["post_id"]
    sender.hook = await create_hook(rt, org.id, "Other sender", actor="test")

    response = await sender.get(f"/v1/hooks/{sender.hook.hook.id}/posts/{post_id}")

    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"
