"""The publisher and its gates: rate-limit cool-downs per account, network caps, and token
refreshes done once however many jobs need them."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from datetime import timedelta
from typing import Any

import pytest

from postflow.account_gates import InProcessAccountGate
from postflow.attempts import AttemptOutcome
from postflow.connections import Connection, ConnectionStatus
from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus, TargetStatus
from postflow.providers import ErrorKind, ProviderError, TokenSet
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection, open_tokens
from postflow.usecases.dispatch import claim_post
from postflow.usecases.organizations import create_organization
from postflow.usecases.publish_post import PostPublisher
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.fakes.scripted_provider import PublishCall, ScriptedProvider, runtime_with


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="cli")


@pytest.fixture
def provider() -> ScriptedProvider:
    return ScriptedProvider()


@pytest.fixture
def srt(rt: Runtime, provider: ScriptedProvider) -> Runtime:
    return runtime_with(rt, provider)


async def connect(rt: Runtime, org: Organization, name: str = "Acme") -> Connection:
    account = await rt.providers.get("scripted").exchange_code(code=name, redirect_uri="",
                                                               code_verifier="")
    return await add_connection(rt, org.id, "scripted", account, actor="cli")


async def expire_tokens(rt: Runtime, connection: Connection, seconds_ago: float = 1) -> None:
    """Store an expiry in the past for the connection's tokens."""
    stored = await rt.store.get_connection(connection.org_id, connection.id)
    await rt.store.update_connection(stored.model_copy(update={
        "token_expires_at": rt.clock.now() - timedelta(seconds=seconds_ago)}))


async def submit(rt: Runtime, org: Organization, connections: list[Connection],
                 text: str = "Hello") -> Post:
    return await submit_post(rt, org.id, PostRequest(text=text,
                                                     targets=[c.id for c in connections]),
                             source=PostSource(kind="cli"), actor="cli", review_required=False)


async def claim(rt: Runtime, post: Post) -> Post:
    claimed = await claim_post(rt, await rt.store.get_post(post.org_id, post.id))
    assert claimed is not None
    return claimed


async def publish(rt: Runtime, post: Post) -> Post:
    """Claim ``post`` and run its job once; returns the post as stored afterwards."""
    claimed = await claim(rt, post)
    await PostPublisher(rt, random.Random(7)).run(
        post.org_id, post.id, expected_version=claimed.version, trigger="scheduler")
    return await rt.store.get_post(post.org_id, post.id)


async def publish_all(rt: Runtime, posts: list[Post]) -> list[Post]:
    """Claim every post, run all their jobs at once, and return them as stored."""
    claimed = [await claim(rt, post) for post in posts]
    await asyncio.gather(*(PostPublisher(rt).run(p.org_id, p.id, expected_version=p.version,
                                                 trigger="scheduler") for p in claimed))
    return [await rt.store.get_post(p.org_id, p.id) for p in posts]


def rate_limited(seconds: float = 120.0) -> ProviderError:
    return ProviderError(ErrorKind.RETRY_AFTER, "Slow down.", retry_after=seconds)


# -- rate-limit cool-downs ------------------------------------------------------------------------

async def test_a_rate_limited_account_waits_while_the_other_target_is_published(
        srt: Runtime, org: Organization, provider: ScriptedProvider,
        clock: ManualClock) -> None:
    a, b = await connect(srt, org, "A"), await connect(srt, org, "B")
    provider.publish_answers = [rate_limited(120)]

    done = await publish(srt, await submit(srt, org, [a, b]))

    cool_down_end = clock.now() + timedelta(seconds=120)
    assert await srt.gates.cooling_until(a.id) == cool_down_end
    assert (done.target(a.id).status, done.target(b.id).status) == (TargetStatus.PENDING,
                                                                    TargetStatus.PUBLISHED)
    assert (done.status, done.due_at) == (PostStatus.SCHEDULED, cool_down_end)


async def test_another_post_for_a_cooling_account_makes_no_call_and_spends_no_attempt(
        srt: Runtime, org: Organization, provider: ScriptedProvider,
        clock: ManualClock) -> None:
    a = await connect(srt, org, "A")
    provider.publish_answers = [rate_limited(120)]
    await publish(srt, await submit(srt, org, [a], "first"))
    clock.advance(10)
    second = await submit(srt, org, [a], "second")

    waiting = await publish(srt, second)

    assert len(provider.publish_calls) == 1
    assert (waiting.status, waiting.due_at) == (PostStatus.SCHEDULED,
                                                clock.now() + timedelta(seconds=110))
    assert waiting.target(a.id).status is TargetStatus.PENDING
    assert waiting.target(a.id).attempt_count == 0
    # The attempt was recorded before the gate held it back: closed as not sent, and why.
    [held] = await srt.store.list_attempts(org.id, second.id)
    assert held.outcome is AttemptOutcome.NOT_SENT
    assert held.error_message is not None and "slow down" in held.error_message
    assert held.finished_at is not None


async def test_another_account_publishes_during_a_cool_down(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    a, b = await connect(srt, org, "A"), await connect(srt, org, "B")
    provider.publish_answers = [rate_limited(120)]
    await publish(srt, await submit(srt, org, [a], "first"))

    done = await publish(srt, await submit(srt, org, [b], "other account"))

    assert done.status is PostStatus.PUBLISHED


async def test_after_the_cool_down_the_account_is_called_again(
        srt: Runtime, org: Organization, provider: ScriptedProvider,
        clock: ManualClock) -> None:
    a = await connect(srt, org, "A")
    provider.publish_answers = [rate_limited(120)]
    waiting = await publish(srt, await submit(srt, org, [a]))
    assert waiting.due_at is not None

    clock.set(waiting.due_at)
    done = await publish(srt, waiting)

    assert done.status is PostStatus.PUBLISHED
    assert len(provider.publish_calls) == 2


async def test_a_retry_without_retry_after_starts_no_cool_down(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    a = await connect(srt, org, "A")
    provider.publish_answers = [ProviderError(ErrorKind.RETRY_AFTER, "Bad gateway.")]

    await publish(srt, await submit(srt, org, [a]))

    assert await srt.gates.cooling_until(a.id) is None


async def test_a_rate_limited_reconciliation_check_cools_the_account_down(
        srt: Runtime, org: Organization, provider: ScriptedProvider,
        clock: ManualClock) -> None:
    a = await connect(srt, org, "A")
    provider.publish_answers = [ProviderError(ErrorKind.UNKNOWN, "Gateway timeout.")]
    provider.check_answers = [rate_limited(60)]

    await publish(srt, await submit(srt, org, [a]))

    assert await srt.gates.cooling_until(a.id) == clock.now() + timedelta(seconds=60)


# -- the per-network cap --------------------------------------------------------------------------

async def test_a_target_whose_network_is_full_waits_without_spending_an_attempt(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    gate = InProcessAccountGate({"scripted": 1}, wait_seconds=0.05)
    capped = dataclasses.replace(srt, gates=gate)
    a = await connect(capped, org, "A")
    post = await submit(capped, org, [a])

    async with gate.acquire("scripted"):  # another job holds the only slot
        waiting = await publish(capped, post)

    assert waiting.status is PostStatus.SCHEDULED
    assert waiting.due_at is not None and waiting.due_at > capped.clock.now()
    assert waiting.target(a.id).attempt_count == 0
    assert provider.publish_calls == []
    [held] = await capped.store.list_attempts(org.id, post.id)
    assert held.outcome is AttemptOutcome.NOT_SENT
    assert held.error_message is not None and "stayed taken" in held.error_message


async def test_a_network_slot_is_not_held_while_the_attempt_is_written(
        srt: Runtime, org: Organization, provider: ScriptedProvider,
        monkeypatch: pytest.MonkeyPatch) -> None:
    gate = InProcessAccountGate({"scripted": 1}, wait_seconds=0.05)
    capped = dataclasses.replace(srt, gates=gate)
    a = await connect(capped, org, "A")
    post = await submit(capped, org, [a])
    slot_free_while_writing: list[bool] = []
    replace_post = capped.store.replace_post

    async def watching_replace(*args: Any, **kwargs: Any) -> None:
        async with gate.acquire("scripted"):  # NetworkBusy if the job held the only slot
            slot_free_while_writing.append(True)
        await replace_post(*args, **kwargs)

    monkeypatch.setattr(capped.store, "replace_post", watching_replace)
    done = await publish(capped, post)

    assert done.status is PostStatus.PUBLISHED
    assert len(slot_free_while_writing) == 3  # the claim, the attempt, then the outcome


# -- single-flight token refresh ------------------------------------------------------------------

async def test_twenty_jobs_with_an_expired_token_refresh_it_once(
        srt: Runtime, org: Organization) -> None:
    provider = ScriptedProvider(expired_tokens={"access-1"}, refresh_pause=0.05)
    prt = runtime_with(srt, provider)
    a = await connect(prt, org, "A")
    await expire_tokens(prt, a)
    posts = [await submit(prt, org, [a], f"post {n}") for n in range(20)]

    done = await publish_all(prt, posts)

    assert len(provider.refresh_calls) == 1
    assert [p.status for p in done] == [PostStatus.PUBLISHED] * 20
    assert len(provider.publish_calls) == len(provider.created) == 20
    assert len({p.target(a.id).platform_post_id for p in done}) == 20
    assert {c.account.tokens.access_token.get_secret_value()
            for c in provider.publish_calls} == {"access-refreshed"}


async def test_twenty_jobs_refused_for_an_expired_token_refresh_it_once(
        srt: Runtime, org: Organization) -> None:
    # No stored expiry: every job learns it from the platform's refusal.
    provider = ScriptedProvider(expired_tokens={"access-1"}, refresh_pause=0.05)
    prt = runtime_with(srt, provider)
    a = await connect(prt, org, "A")
    posts = [await submit(prt, org, [a], f"post {n}") for n in range(20)]

    first = await publish_all(prt, posts)

    assert len(provider.refresh_calls) == 1
    assert {(p.status, p.due_at) for p in first} == {(PostStatus.SCHEDULED, prt.clock.now())}
    assert (await prt.store.get_connection(org.id, a.id)).status is ConnectionStatus.ACTIVE

    done = await publish_all(prt, first)

    assert len(provider.refresh_calls) == 1
    assert [p.status for p in done] == [PostStatus.PUBLISHED] * 20
    assert len(provider.created) == 20


async def test_an_expired_token_is_refreshed_before_the_publish(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    a = await connect(srt, org, "A")
    await expire_tokens(srt, a)
    refreshes_seen: list[int] = []

    async def note(call: PublishCall) -> None:
        refreshes_seen.append(len(provider.refresh_calls))

    provider.before_publish = note

    done = await publish(srt, await submit(srt, org, [a]))

    assert done.status is PostStatus.PUBLISHED
    assert refreshes_seen == [1]
    assert provider.publish_calls[0].account.tokens.access_token.get_secret_value() == \
        "access-refreshed"
    assert done.target(a.id).attempt_count == 1


async def test_a_token_expiring_within_the_margin_is_refreshed_first(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    a = await connect(srt, org, "A")
    await expire_tokens(srt, a, seconds_ago=-30)  # expires in 30 s

    await publish(srt, await submit(srt, org, [a]))

    assert len(provider.refresh_calls) == 1


async def test_a_token_valid_beyond_the_margin_is_not_refreshed(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    a = await connect(srt, org, "A")
    await expire_tokens(srt, a, seconds_ago=-3600)

    await publish(srt, await submit(srt, org, [a]))

    assert provider.refresh_calls == []


async def test_a_transient_refresh_failure_keeps_the_account_active_and_retries_later(
        srt: Runtime, org: Organization, provider: ScriptedProvider,
        clock: ManualClock) -> None:
    a = await connect(srt, org, "A")
    provider.publish_answers = [ProviderError(ErrorKind.REFRESH_TOKEN, "Token expired.")]
    provider.refresh_answers = [rate_limited(45)]

    waiting = await publish(srt, await submit(srt, org, [a]))

    assert (await srt.store.get_connection(org.id, a.id)).status is ConnectionStatus.ACTIVE
    assert waiting.status is PostStatus.SCHEDULED
    assert waiting.target(a.id).status is TargetStatus.PENDING
    assert waiting.due_at is not None and waiting.due_at >= clock.now() + timedelta(seconds=45)

    clock.set(waiting.due_at)
    provider.publish_answers = [ProviderError(ErrorKind.REFRESH_TOKEN, "Token expired.")]
    again = await publish(srt, waiting)
    assert again.due_at == clock.now()
    done = await publish(srt, again)

    assert done.status is PostStatus.PUBLISHED
    assert len(provider.refresh_calls) == 2


async def test_a_transient_proactive_refresh_failure_publishes_with_the_stored_token(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    a = await connect(srt, org, "A")
    await expire_tokens(srt, a, seconds_ago=-30)  # not expired yet, only close to it
    provider.refresh_answers = [ProviderError(ErrorKind.UNKNOWN, "Token endpoint timed out.")]

    done = await publish(srt, await submit(srt, org, [a]))

    assert done.status is PostStatus.PUBLISHED
    assert provider.publish_calls[0].account.tokens.access_token.get_secret_value() == \
        "access-1"


async def test_a_failed_proactive_refresh_is_not_tried_again_in_the_same_job(
        srt: Runtime, org: Organization) -> None:
    provider = ScriptedProvider(expired_tokens={"access-1"})
    prt = runtime_with(srt, provider)
    a = await connect(prt, org, "A")
    await expire_tokens(prt, a)
    provider.refresh_answers = [ProviderError(ErrorKind.UNKNOWN, "Token endpoint timed out.")]

    waiting = await publish(prt, await submit(prt, org, [a]))

    assert len(provider.refresh_calls) == 1
    assert waiting.status is PostStatus.SCHEDULED
    assert (await prt.store.get_connection(org.id, a.id)).status is ConnectionStatus.ACTIVE


async def test_a_revoked_grant_marks_the_account_once_and_fails_all_its_targets(
        srt: Runtime, org: Organization) -> None:
    provider = ScriptedProvider(expired_tokens={"access-1"}, refresh_pause=0.05,
                                refresh_answers=[ProviderError(ErrorKind.RECONNECT,
                                                               "Grant revoked.")])
    prt = runtime_with(srt, provider)
    a = await connect(prt, org, "A")
    posts = [await submit(prt, org, [a], f"post {n}") for n in range(5)]

    done = await publish_all(prt, posts)

    assert len(provider.refresh_calls) == 1
    assert [(p.status, p.target(a.id).error_kind) for p in done] == \
        [(PostStatus.FAILED, "reconnect")] * 5
    assert (await prt.store.get_connection(org.id, a.id)).status is \
        ConnectionStatus.NEEDS_RECONNECT
    marks = [e for e in await prt.store.list_audit(org.id, subject_id=a.id)
             if e.action == "connection.needs_reconnect"]
    assert len(marks) == 1


async def test_a_proactive_refresh_refused_for_good_fails_without_a_publish(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    a = await connect(srt, org, "A")
    await expire_tokens(srt, a)
    provider.refresh_answers = [ProviderError(ErrorKind.RECONNECT, "Grant revoked.")]

    done = await publish(srt, await submit(srt, org, [a]))

    assert done.status is PostStatus.FAILED
    assert provider.publish_calls == []
    assert (await srt.store.get_connection(org.id, a.id)).status is \
        ConnectionStatus.NEEDS_RECONNECT


async def test_a_reconnect_answer_on_an_already_marked_account_is_not_audited_again(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    a = await connect(srt, org, "A")
    posts = [await submit(srt, org, [a], f"post {n}") for n in range(3)]
    provider.publish_answers = [ProviderError(ErrorKind.RECONNECT, "Grant revoked.")] * 3

    await publish_all(srt, posts)

    marks = [e for e in await srt.store.list_audit(org.id, subject_id=a.id)
             if e.action == "connection.needs_reconnect"]
    assert len(marks) == 1


async def test_a_refresh_without_refresh_token_keeps_the_stored_one(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    a = await connect(srt, org, "A")
    await expire_tokens(srt, a)
    provider.refresh_answers = [TokenSet.model_validate({"access_token": "access-2"})]

    await publish(srt, await submit(srt, org, [a]))

    tokens = open_tokens(srt, await srt.store.get_connection(org.id, a.id))
    assert tokens.access_token.get_secret_value() == "access-2"
    assert tokens.refresh_token is not None
    assert tokens.refresh_token.get_secret_value() == "refresh-1"
