"""The publish use case tells the notifier how each finished publish ended, once, and a notifier
that fails changes nothing stored."""

from __future__ import annotations

import dataclasses
import random

import pytest

from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus
from postflow.providers import ErrorKind, ProviderError
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection, mark_needs_reconnect
from postflow.usecases.dispatch import claim_post
from postflow.usecases.organizations import create_organization
from postflow.usecases.publish_post import PostPublisher
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.recording_notifier import RecordingNotifier
from tests.fakes.scripted_provider import ScriptedProvider, runtime_with


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="cli")


async def publish_once(rt: Runtime, org: Organization, provider: ScriptedProvider,
                       notifier: RecordingNotifier, accounts: int = 1) -> Post:
    srt = dataclasses.replace(runtime_with(rt, provider), notices=notifier)
    ids = []
    for n in range(accounts):
        account = await provider.exchange_code(code=f"a{n}", redirect_uri="", code_verifier="")
        ids.append((await add_connection(srt, org.id, provider.network, account,
                                         actor="cli")).id)
    post = await submit_post(srt, org.id, PostRequest(text="Hello", targets=ids),
                             source=PostSource(kind="cli"), actor="cli", review_required=False)
    claimed = await claim_post(srt, post)
    assert claimed is not None
    await PostPublisher(srt, random.Random(7)).run(org.id, post.id,
                                                   expected_version=claimed.version,
                                                   trigger="scheduler")
    return await rt.store.get_post(org.id, post.id)


async def test_a_published_post_is_told_once(rt: Runtime, org: Organization) -> None:
    notifier = RecordingNotifier()

    post = await publish_once(rt, org, ScriptedProvider(), notifier)

    assert [(event, p.id) for event, p in notifier.outcomes] == [("published", post.id)]
    assert notifier.outcomes[0][1].status is PostStatus.PUBLISHED


async def test_partial_and_failed_are_told_as_such(rt: Runtime, org: Organization) -> None:
    refused = ProviderError(ErrorKind.BAD_INPUT, "No.")
    partial, failed = RecordingNotifier(), RecordingNotifier()

    await publish_once(rt, org, ScriptedProvider(publish_answers=["publish", refused]), partial,
                       accounts=2)
    await publish_once(rt, org, ScriptedProvider("other", publish_answers=[refused]), failed)

    assert [event for event, _ in partial.outcomes] == ["partial"]
    assert [event for event, _ in failed.outcomes] == ["failed"]


async def test_a_retry_is_not_an_outcome(rt: Runtime, org: Organization) -> None:
    notifier = RecordingNotifier()
    slow = ProviderError(ErrorKind.RETRY_AFTER, "Slow down.", retry_after=60)

    post = await publish_once(rt, org, ScriptedProvider(publish_answers=[slow]), notifier)

    assert post.status is PostStatus.SCHEDULED and notifier.outcomes == []


async def test_a_failing_notifier_leaves_the_outcome_stored(rt: Runtime,
                                                            org: Organization) -> None:
    notifier = RecordingNotifier(failure=RuntimeError("chat is down"))

    post = await publish_once(rt, org, ScriptedProvider(), notifier)

    assert post.status is PostStatus.PUBLISHED


async def test_needs_reconnect_is_told_once(rt: Runtime, org: Organization) -> None:
    notifier = RecordingNotifier()
    provider = ScriptedProvider()
    srt = dataclasses.replace(runtime_with(rt, provider), notices=notifier)
    account = await provider.exchange_code(code="a", redirect_uri="", code_verifier="")
    connection = await add_connection(srt, org.id, "scripted", account, actor="cli")

    await mark_needs_reconnect(srt, connection, "revoked")
    await mark_needs_reconnect(srt, connection, "revoked again")

    assert [c.id for c in notifier.reconnects] == [connection.id]
