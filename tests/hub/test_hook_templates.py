"""Templated hooks end to end: a GitHub release (signed GitHub's way) and a CMS's "article
published" become posts; a template error is a 422 with its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postflow.connections import Connection
from postflow.hook_templates import SignatureScheme
from postflow.organizations import Organization
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.signatures import GITHUB_HEADER, github_signature_header
from postflow.usecases.hooks import CreatedHook, create_hook, update_hook_template
from tests.hub.conftest import HubClient, Sender

DATA = Path(__file__).parent / "data"


def data(name: str) -> str:
    return (DATA / name).read_text()


@pytest.fixture
async def github_hook(rt: Runtime, org: Organization, sandbox: Connection) -> CreatedHook:
    return await create_hook(rt, org.id, "GitHub releases", actor="test",
                             template=data("github_release.j2"),
                             signature_scheme=SignatureScheme.GITHUB)


async def test_a_github_release_becomes_a_post(client: HubClient, rt: Runtime,
                                               org: Organization,
                                               github_hook: CreatedHook) -> None:
    response = await client.post(f"/v1/hooks/{github_hook.hook.id}",
                                 data=data("github_release.json").encode(),
                                 headers={GITHUB_HEADER: github_signature_header(
                                     github_hook.secret, data("github_release.json").encode())})

    assert response.status == 202, await response.text()
    post = await rt.store.get_post(org.id, (await response.json())["post_id"])
    assert post.text == ("🚀 acme/postflow PostFlow 1.2 is out: "
                         "https://github.com/acme/postflow/releases/tag/v1.2.0")
    assert post.variants["sandbox"].startswith("v1.2.0: Outbound webhooks")
    assert [t.network for t in post.targets] == ["sandbox"]


async def test_a_github_payload_with_a_bad_signature_is_refused(
        client: HubClient, rt: Runtime, org: Organization, github_hook: CreatedHook) -> None:
    body = data("github_release.json").encode()
    response = await client.post(f"/v1/hooks/{github_hook.hook.id}", data=body,
                                 headers={GITHUB_HEADER: github_signature_header("whsec_no",
                                                                                 body)})

    assert response.status == 401
    assert await rt.store.count_posts(org.id, list(PostStatus)) == 0


async def test_the_same_github_delivery_twice_posts_once(
        client: HubClient, rt: Runtime, org: Organization, github_hook: CreatedHook) -> None:
    body = data("github_release.json").encode()
    headers = {GITHUB_HEADER: github_signature_header(github_hook.secret, body)}

    first = await client.post(f"/v1/hooks/{github_hook.hook.id}", data=body, headers=headers)
    again = await client.post(f"/v1/hooks/{github_hook.hook.id}", data=body, headers=headers)

    assert (first.status, again.status) == (202, 202)
    assert (await again.json())["post_id"] == (await first.json())["post_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await rt.store.count_posts(org.id, list(PostStatus)) == 1


async def test_a_github_delivery_that_failed_can_be_delivered_again_once_fixed(
        client: HubClient, rt: Runtime, org: Organization, github_hook: CreatedHook) -> None:
    body = data("github_release.json").encode()
    headers = {GITHUB_HEADER: github_signature_header(github_hook.secret, body)}
    await update_hook_template(rt, org.id, github_hook.hook.id,
                               "{% block text %}{{ payload.release.name.__class__ }}"
                               "{% endblock %}", actor="test")
    failed = await client.post(f"/v1/hooks/{github_hook.hook.id}", data=body, headers=headers)
    await update_hook_template(rt, org.id, github_hook.hook.id, data("github_release.j2"),
                               actor="test")

    redelivered = await client.post(f"/v1/hooks/{github_hook.hook.id}", data=body,
                                    headers=headers)

    assert (failed.status, redelivered.status) == (422, 202)


async def test_a_release_the_template_skips_posts_nothing(client: HubClient, rt: Runtime,
                                                          org: Organization,
                                                          github_hook: CreatedHook) -> None:
    payload = json.loads(data("github_release.json")) | {"action": "created"}
    body = json.dumps(payload).encode()

    response = await client.post(f"/v1/hooks/{github_hook.hook.id}", data=body, headers={
        GITHUB_HEADER: github_signature_header(github_hook.secret, body)})

    assert response.status == 200
    assert await response.json() == {"skipped": True,
                                     "reason": "not a published release (created)"}
    assert await rt.store.count_posts(org.id, list(PostStatus)) == 0


async def test_a_cms_article_becomes_a_scheduled_post(sender: Sender, rt: Runtime,
                                                      org: Organization) -> None:
    await update_hook_template(rt, org.id, sender.hook.hook.id, data("cms_article.j2"),
                               actor="test")

    response = await sender.post(data("cms_article.json").encode())

    assert response.status == 202, await response.text()
    post = await rt.store.get_post(org.id, (await response.json())["post_id"])
    assert post.text == ("New on the blog: How we schedule 10,000 posts a day "
                         "https://blog.example.com/posts/10k #engineering #scheduling")
    assert post.status is PostStatus.SCHEDULED
    assert post.scheduled_at is not None and post.scheduled_at.isoformat() == \
        "2026-11-26T08:30:00+00:00"


async def test_a_template_error_is_a_422_with_the_line_and_the_message(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    template = ("{% block networks %}sandbox{% endblock %}\n"
                "{% block text %}\n{{ payload.article.title.__class__ }}{% endblock %}")
    await update_hook_template(rt, org.id, sender.hook.hook.id, template, actor="test")

    response = await sender.post(data("cms_article.json").encode())

    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "template_error"
    assert error["details"]["line"] == 3
    assert "`_`" in error["details"]["message"]
    assert await rt.store.count_posts(org.id, list(PostStatus)) == 0


async def test_a_templated_hook_still_needs_its_signature(sender: Sender, rt: Runtime,
                                                          org: Organization) -> None:
    await update_hook_template(rt, org.id, sender.hook.hook.id, data("cms_article.j2"),
                               actor="test")

    response = await sender.post(data("cms_article.json").encode(), unsigned=True)

    assert response.status == 401
