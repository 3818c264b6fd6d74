"""Publishing: once per target, attempts recorded before the call, and every failure path."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from postflow.attempts import AttemptOutcome, PublishAttempt
from postflow.connections import Connection, ConnectionStatus
from postflow.organizations import Organization
from postflow.post_status import transition
from postflow.posts import Post, PostSource, PostStatus, TargetStatus
from postflow.providers import ErrorKind, ProviderError, PublishResult, TokenSet
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection, connect_sandbox, open_tokens
from postflow.usecases.dispatch import claim_post
from postflow.usecases.organizations import create_organization
from postflow.usecases.publish_post import PostPublisher
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.fakes.scripted_provider import (
    Lost,
    PublishCall,
    ScriptedProvider,
    runtime_with,
)


def rate_limited(seconds: float = 120.0) -> ProviderError:
    return ProviderError(ErrorKind.RETRY_AFTER, "Slow down.", retry_after=seconds)


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="cli")


@pytest.fixture
def provider() -> ScriptedProvider:
    return ScriptedProvider()


@pytest.fixture
def srt(rt: Runtime, provider: ScriptedProvider) -> Runtime:
    """The runtime with the scripted network next to the sandbox."""
    return runtime_with(rt, provider)


async def connect(srt: Runtime, org: Organization, name: str = "Acme") -> Connection:
    provider = srt.providers.get("scripted")
    account = await provider.exchange_code(code=name, redirect_uri="", code_verifier="")
    return await add_connection(srt, org.id, "scripted", account, actor="cli")


async def submit(rt: Runtime, org: Organization, connections: list[Connection],
                 text: str = "Hello") -> Post:
    return await submit_post(rt, org.id, PostRequest(text=text,
                                                     targets=[c.id for c in connections]),
                             source=PostSource(kind="cli"), actor="cli", review_required=False)


async def claim(rt: Runtime, post: Post) -> Post:
    claimed = await claim_post(rt, await rt.store.get_post(post.org_id, post.id))
    assert claimed is not None
    return claimed


async def run(rt: Runtime, post: Post) -> Post | None:
    """Run the publish job for the version of ``post`` given."""
    return await PostPublisher(rt, random.Random(7)).run(
        post.org_id, post.id, expected_version=post.version, trigger="scheduler")


async def publish(rt: Runtime, post: Post) -> Post:
    """Claim ``post`` and run its job once; returns the post as stored afterwards."""
    await run(rt, await claim(rt, post))
    return await rt.store.get_post(post.org_id, post.id)


async def attempts(rt: Runtime, post: Post) -> list[PublishAttempt]:
    return await rt.store.list_attempts(post.org_id, post.id)


# -- the happy path -------------------------------------------------------------------------------

async def test_every_target_is_published(rt: Runtime, org: Organization) -> None:
    connections = [await connect_sandbox(rt, org.id, n, actor="cli") for n in ("a", "b")]
    post = await submit(rt, org, connections)

    done = await publish(rt, post)

    assert done.status is PostStatus.PUBLISHED
    assert [t.status for t in done.targets] == [TargetStatus.PUBLISHED] * 2
    for connection in connections:
        records = await rt.store.find_sandbox_posts(connection.id)
        assert [r.id for r in records] == [done.target(connection.id).platform_post_id]


async def test_a_published_target_keeps_the_platform_id_and_url(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)

    done = await publish(srt, await submit(srt, org, [connection]))

    target = done.target(connection.id)
    assert (target.platform_post_id, target.url, target.attempt_count) == (
        "p1", "https://scripted.test/p1", 1)
    assert target.published_at == srt.clock.now()


async def test_the_text_sent_is_the_networks_variant(srt: Runtime, org: Organization,
                                                     provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    post = await submit_post(srt, org.id, PostRequest(
        text="Main", variants={"scripted": "Variant"}, targets=[connection.id],
        media_urls=["https://cdn.test/a.png"]), source=PostSource(kind="cli"), actor="cli",
        review_required=False)

    await publish(srt, post)

    assert provider.publish_calls[0].content.text == "Variant"
    assert provider.publish_calls[0].content.media_urls == ("https://cdn.test/a.png",)


async def test_the_provider_gets_the_opened_tokens(srt: Runtime, org: Organization,
                                                   provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)

    await publish(srt, await submit(srt, org, [connection]))

    call = provider.publish_calls[0]
    assert call.account.connection_id == connection.id
    assert call.account.tokens.access_token.get_secret_value() == "access-1"


async def test_each_target_gets_one_attempt_keyed_by_its_id(srt: Runtime, org: Organization,
                                                            provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    post = await submit(srt, org, [connection])

    await publish(srt, post)

    [attempt] = await attempts(srt, post)
    assert (attempt.outcome, attempt.platform_post_id, attempt.trigger) == (
        AttemptOutcome.PUBLISHED, "p1", "scheduler")
    assert attempt.finished_at is not None
    assert [c.idempotency_key for c in provider.publish_calls] == [attempt.id]


async def test_the_attempt_is_recorded_before_the_platform_call(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    post = await submit(srt, org, [connection])
    seen: list[tuple[list[AttemptOutcome], str | None, TargetStatus]] = []

    async def look(call: PublishCall) -> None:
        stored = await srt.store.get_post(org.id, post.id)
        seen.append(([a.outcome for a in await attempts(srt, post) if a.id ==
                      call.idempotency_key],
                     stored.target(connection.id).current_attempt_id,
                     stored.target(connection.id).status))

    provider.before_publish = look

    await publish(srt, post)

    [(outcomes, current_attempt_id, status)] = seen
    assert outcomes == [AttemptOutcome.PENDING]
    assert current_attempt_id == provider.publish_calls[0].idempotency_key
    assert status is TargetStatus.PUBLISHING


async def test_publishing_is_audited(srt: Runtime, org: Organization) -> None:
    post = await submit(srt, org, [await connect(srt, org)])

    await publish(srt, post)

    event = (await srt.store.list_audit(org.id, subject_id=post.id))[-1]
    assert (event.actor, event.action, event.data["from"], event.data["to"]) == (
        "worker", "post.status_changed", "publishing", "published")


async def test_the_audit_trail_has_every_status_a_published_post_went_through(
        srt: Runtime, org: Organization) -> None:
    post = await submit(srt, org, [await connect(srt, org)])

    await publish(srt, post)

    events = await srt.store.list_audit(org.id, subject_id=post.id)
    assert (events[0].action, events[0].data["path"]) == (
        "post.created", "draft > approved > scheduled")
    assert [(e.data["from"], e.data["to"]) for e in events
            if e.action == "post.status_changed"] == [
        ("scheduled", "queued"), ("queued", "publishing"), ("publishing", "published")]


# -- jobs that must do nothing --------------------------------------------------------------------

async def test_a_second_run_of_the_same_job_does_nothing(srt: Runtime, org: Organization,
                                                         provider: ScriptedProvider) -> None:
    post = await submit(srt, org, [await connect(srt, org)])
    claimed = await claim(srt, post)
    await run(srt, claimed)

    assert await run(srt, claimed) is None
    assert len(provider.publish_calls) == 1


async def test_a_second_run_does_not_publish_twice_on_the_sandbox(rt: Runtime,
                                                                  org: Organization) -> None:
    connection = await connect_sandbox(rt, org.id, "a", actor="cli")
    claimed = await claim(rt, await submit(rt, org, [connection]))
    await run(rt, claimed)

    await run(rt, claimed)

    assert len(await rt.store.find_sandbox_posts(connection.id)) == 1


async def test_a_job_for_a_stale_version_does_nothing(srt: Runtime, org: Organization,
                                                      provider: ScriptedProvider) -> None:
    post = await submit(srt, org, [await connect(srt, org)])
    claimed = await claim(srt, post)

    assert await PostPublisher(srt).run(org.id, post.id, expected_version=claimed.version - 1,
                                        trigger="scheduler") is None
    assert provider.publish_calls == []
    assert (await srt.store.get_post(org.id, post.id)).status is PostStatus.QUEUED


async def test_a_job_for_a_post_that_is_not_queued_does_nothing(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    post = await submit(srt, org, [await connect(srt, org)])

    assert await run(srt, post) is None
    assert provider.publish_calls == []


async def test_a_job_for_a_missing_post_does_nothing(srt: Runtime, org: Organization) -> None:
    assert await PostPublisher(srt).run(org.id, "post_gone", expected_version=None,
                                        trigger="scheduler") is None


# -- failures -------------------------------------------------------------------------------------

async def test_retry_after_puts_the_post_back_on_the_schedule(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [rate_limited(120)]

    done = await publish(srt, await submit(srt, org, [connection]))

    assert done.status is PostStatus.SCHEDULED
    assert done.due_at is not None and done.due_at >= srt.clock.now() + timedelta(seconds=120)
    target = done.target(connection.id)
    assert (target.status, target.error_kind) == (TargetStatus.PENDING, "retry_after")


async def test_a_retried_attempt_is_closed_as_retry(srt: Runtime, org: Organization,
                                                    provider: ScriptedProvider) -> None:
    provider.publish_answers = [rate_limited()]
    post = await submit(srt, org, [await connect(srt, org)])

    await publish(srt, post)

    assert [a.outcome for a in await attempts(srt, post)] == [AttemptOutcome.RETRY]


async def test_a_retry_publishes_once_it_is_due(srt: Runtime, org: Organization,
                                                provider: ScriptedProvider,
                                                clock: ManualClock) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [rate_limited()]
    first = await publish(srt, await submit(srt, org, [connection]))
    assert first.due_at is not None
    clock.set(first.due_at)

    done = await publish(srt, first)

    assert done.status is PostStatus.PUBLISHED
    assert done.target(connection.id).attempt_count == 2
    assert len(provider.created) == 1


async def test_the_sandbox_rate_limit_marker_publishes_on_the_retry(
        rt: Runtime, org: Organization, clock: ManualClock) -> None:
    connection = await connect_sandbox(rt, org.id, "a", actor="cli")
    first = await publish(rt, await submit(rt, org, [connection], "Hi [sandbox:rate-limit]"))
    assert first.status is PostStatus.SCHEDULED and first.due_at is not None
    clock.set(first.due_at)

    done = await publish(rt, first)

    assert done.status is PostStatus.PUBLISHED


async def test_bad_input_fails_at_once_with_the_platforms_message(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [ProviderError(ErrorKind.BAD_INPUT, "Duplicate status.")]
    post = await submit(srt, org, [connection])

    done = await publish(srt, post)

    assert (done.status, done.status_reason) == (PostStatus.FAILED, "Duplicate status.")
    target = done.target(connection.id)
    assert (target.status, target.error_kind, target.error_message) == (
        TargetStatus.FAILED, "bad_input", "Duplicate status.")
    assert [a.outcome for a in await attempts(srt, post)] == [AttemptOutcome.FAILED]


async def test_the_networks_own_error_code_is_kept_on_the_target_and_the_attempt(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [ProviderError(ErrorKind.BAD_INPUT, "Duplicate status.",
                                              platform_code="187")]
    post = await submit(srt, org, [connection])

    done = await publish(srt, post)

    assert done.target(connection.id).error_code == "187"
    assert [a.error_code for a in await attempts(srt, post)] == ["187"]


async def test_the_sandbox_reject_marker_fails_the_post(rt: Runtime, org: Organization) -> None:
    connection = await connect_sandbox(rt, org.id, "a", actor="cli")

    done = await publish(rt, await submit(rt, org, [connection], "Nope [sandbox:reject]"))

    assert (done.status, done.status_reason) == (PostStatus.FAILED,
                                                 "The sandbox was asked to reject this post.")


async def test_two_of_three_targets_published_is_partial(srt: Runtime, org: Organization,
                                                         provider: ScriptedProvider) -> None:
    connections = [await connect(srt, org, n) for n in ("a", "b", "c")]
    provider.publish_answers = ["publish", ProviderError(ErrorKind.BAD_INPUT, "Too spicy."),
                                "publish"]

    done = await publish(srt, await submit(srt, org, connections))

    assert done.status is PostStatus.PARTIAL
    assert [t.status for t in done.targets] == [
        TargetStatus.PUBLISHED, TargetStatus.FAILED, TargetStatus.PUBLISHED]
    assert done.status_reason == "Too spicy."


async def test_one_target_retrying_keeps_the_published_ones(srt: Runtime, org: Organization,
                                                            provider: ScriptedProvider,
                                                            clock: ManualClock) -> None:
    connections = [await connect(srt, org, n) for n in ("a", "b")]
    provider.publish_answers = ["publish", rate_limited()]
    first = await publish(srt, await submit(srt, org, connections))
    assert first.due_at is not None
    clock.set(first.due_at)

    done = await publish(srt, first)

    assert done.status is PostStatus.PUBLISHED
    assert len(provider.publish_calls) == 3
    assert [c.account.connection_id for c in provider.publish_calls] == [
        connections[0].id, connections[1].id, connections[1].id]


async def test_reconnect_marks_the_connection_and_fails_the_target(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [ProviderError(ErrorKind.RECONNECT, "Token revoked.")]

    done = await publish(srt, await submit(srt, org, [connection]))

    assert (await srt.store.get_connection(org.id, connection.id)).status is \
        ConnectionStatus.NEEDS_RECONNECT
    assert (done.status, done.target(connection.id).error_kind) == (PostStatus.FAILED,
                                                                    "reconnect")


async def test_the_sandbox_revoked_marker_asks_for_a_reconnect(rt: Runtime,
                                                               org: Organization) -> None:
    connection = await connect_sandbox(rt, org.id, "a", actor="cli")

    await publish(rt, await submit(rt, org, [connection], "[sandbox:revoked]"))

    assert (await rt.store.get_connection(org.id, connection.id)).status is \
        ConnectionStatus.NEEDS_RECONNECT


async def test_a_target_whose_connection_needs_reconnecting_fails_without_a_call(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    post = await submit(srt, org, [connection])
    await srt.store.update_connection(connection.model_copy(
        update={"status": ConnectionStatus.NEEDS_RECONNECT}))

    done = await publish(srt, post)

    assert done.status is PostStatus.FAILED
    assert provider.publish_calls == []


# -- token refresh --------------------------------------------------------------------------------

async def test_refresh_token_refreshes_with_the_stored_tokens(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [ProviderError(ErrorKind.REFRESH_TOKEN, "Token expired.")]

    await publish(srt, await submit(srt, org, [connection]))

    [given] = provider.refresh_calls
    assert given.refresh_token is not None
    assert given.refresh_token.get_secret_value() == "refresh-1"


async def test_refreshed_tokens_are_stored(srt: Runtime, org: Organization,
                                           provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [ProviderError(ErrorKind.REFRESH_TOKEN, "Token expired.")]

    await publish(srt, await submit(srt, org, [connection]))

    tokens = open_tokens(srt, await srt.store.get_connection(org.id, connection.id))
    assert tokens.access_token.get_secret_value() == "access-refreshed"
    assert tokens.refresh_token is not None
    assert tokens.refresh_token.get_secret_value() == "refresh-refreshed"


async def test_a_refresh_without_refresh_token_keeps_the_old_one(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [ProviderError(ErrorKind.REFRESH_TOKEN, "Token expired.")]
    provider.refresh_answers = [TokenSet.model_validate({"access_token": "access-2"})]

    await publish(srt, await submit(srt, org, [connection]))

    tokens = open_tokens(srt, await srt.store.get_connection(org.id, connection.id))
    assert tokens.access_token.get_secret_value() == "access-2"
    assert tokens.refresh_token is not None
    assert tokens.refresh_token.get_secret_value() == "refresh-1"


async def test_after_a_refresh_the_post_is_due_again_at_once_with_the_new_token(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [ProviderError(ErrorKind.REFRESH_TOKEN, "Token expired.")]
    first = await publish(srt, await submit(srt, org, [connection]))
    assert (first.status, first.due_at) == (PostStatus.SCHEDULED, srt.clock.now())

    done = await publish(srt, first)

    assert done.status is PostStatus.PUBLISHED
    assert provider.publish_calls[-1].account.tokens.access_token.get_secret_value() == \
        "access-refreshed"


async def test_a_refresh_refused_for_good_asks_for_a_reconnect(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [ProviderError(ErrorKind.REFRESH_TOKEN, "Token expired.")]
    provider.refresh_answers = [ProviderError(ErrorKind.RECONNECT, "Grant revoked.")]

    done = await publish(srt, await submit(srt, org, [connection]))

    assert done.status is PostStatus.FAILED
    assert (await srt.store.get_connection(org.id, connection.id)).status is \
        ConnectionStatus.NEEDS_RECONNECT


# -- unknown outcomes and reconciliation ----------------------------------------------------------

async def test_an_unknown_outcome_found_by_check_is_published_without_a_second_call(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [Lost(ProviderError(ErrorKind.UNKNOWN, "Gateway timeout."))]
    post = await submit(srt, org, [connection])

    done = await publish(srt, post)

    assert done.status is PostStatus.PUBLISHED
    assert done.target(connection.id).platform_post_id == "p1"
    assert len(provider.publish_calls) == 1
    assert provider.check_calls == [provider.publish_calls[0].idempotency_key]
    assert [a.outcome for a in await attempts(srt, post)] == [AttemptOutcome.RECONCILED]


async def test_the_sandbox_lost_answer_marker_is_reconciled(rt: Runtime,
                                                            org: Organization) -> None:
    connection = await connect_sandbox(rt, org.id, "a", actor="cli")

    done = await publish(rt, await submit(rt, org, [connection], "[sandbox:lost-answer]"))

    assert done.status is PostStatus.PUBLISHED
    assert len(await rt.store.find_sandbox_posts(connection.id)) == 1


async def test_an_unknown_outcome_that_check_does_not_find_is_retried(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [ProviderError(ErrorKind.UNKNOWN, "Connection reset.")]
    post = await submit(srt, org, [connection])

    done = await publish(srt, post)

    assert (done.status, done.target(connection.id).status) == (PostStatus.SCHEDULED,
                                                                TargetStatus.PENDING)
    assert [a.outcome for a in await attempts(srt, post)] == [AttemptOutcome.RETRY]


async def test_an_unknown_outcome_that_cannot_be_checked_is_unconfirmed(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [ProviderError(ErrorKind.UNKNOWN, "Gateway timeout.")]
    provider.check_answers = [ProviderError(ErrorKind.UNKNOWN, "No lookup API.")]
    post = await submit(srt, org, [connection])

    done = await publish(srt, post)

    assert done.target(connection.id).status is TargetStatus.UNCONFIRMED
    assert done.status is PostStatus.FAILED
    assert len(provider.publish_calls) == 1
    assert [a.outcome for a in await attempts(srt, post)] == [AttemptOutcome.UNCONFIRMED]


async def test_an_unexpected_provider_exception_is_reconciled_like_an_unknown_outcome(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    provider.publish_answers = [Lost(RuntimeError("socket closed after send"))]

    done = await publish(srt, await submit(srt, org, [connection]))

    assert done.status is PostStatus.PUBLISHED
    assert len(provider.publish_calls) == 1


# -- a worker killed mid-publish ------------------------------------------------------------------

async def killed_mid_publish(rt: Runtime, post: Post, connection: Connection) -> str:
    """Leave ``post`` Queued with its target Publishing on a pending attempt, as a worker that
    died during the platform call does once the reconciler has requeued it; returns the
    attempt id."""
    claimed = await claim(rt, post)
    attempt = PublishAttempt(id="att_killed", org_id=post.org_id, post_id=post.id,
                             connection_id=connection.id, network=connection.network,
                             trigger="scheduler", started_at=rt.clock.now())
    await rt.store.insert_attempt(attempt)
    now = rt.clock.now()
    publishing = transition(claimed, PostStatus.PUBLISHING, at=now, targets=[
        t.model_copy(update={"status": TargetStatus.PUBLISHING, "current_attempt_id": attempt.id,
                             "attempt_count": 1}) for t in claimed.targets])
    requeued = transition(publishing, PostStatus.QUEUED, at=now)
    await rt.store.replace_post(requeued, expected_version=claimed.version)
    return attempt.id


async def test_a_killed_publish_is_checked_before_publishing_again(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    post = await submit(srt, org, [connection])
    attempt_id = await killed_mid_publish(srt, post, connection)
    order: list[str] = []
    provider.check_answers = [None]

    async def note_publish(call: PublishCall) -> None:
        order.append(f"publish after {len(provider.check_calls)} check(s)")

    provider.before_publish = note_publish

    await run(srt, await srt.store.get_post(org.id, post.id))

    assert provider.check_calls == [attempt_id]
    assert order == ["publish after 1 check(s)"]


async def test_a_killed_publish_that_went_out_is_not_published_again(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    post = await submit(srt, org, [connection])
    attempt_id = await killed_mid_publish(srt, post, connection)
    provider.created[attempt_id] = PublishResult(platform_post_id="p-earlier")

    await run(srt, await srt.store.get_post(org.id, post.id))

    done = await srt.store.get_post(org.id, post.id)
    assert done.status is PostStatus.PUBLISHED
    assert done.target(connection.id).platform_post_id == "p-earlier"
    assert provider.publish_calls == []
    assert [a.outcome for a in await attempts(srt, post)] == [AttemptOutcome.RECONCILED]


async def test_a_killed_publish_that_did_not_go_out_is_published_with_a_new_attempt(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    post = await submit(srt, org, [connection])
    attempt_id = await killed_mid_publish(srt, post, connection)

    await run(srt, await srt.store.get_post(org.id, post.id))

    done = await srt.store.get_post(org.id, post.id)
    assert done.status is PostStatus.PUBLISHED
    assert [c.idempotency_key for c in provider.publish_calls] != [attempt_id]
    assert sorted((a.id == attempt_id, a.outcome) for a in await attempts(srt, post)) == [
        (False, AttemptOutcome.PUBLISHED), (True, AttemptOutcome.RETRY)]


async def test_a_killed_publish_that_cannot_be_checked_is_unconfirmed(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    connection = await connect(srt, org)
    post = await submit(srt, org, [connection])
    await killed_mid_publish(srt, post, connection)
    provider.check_answers = [ProviderError(ErrorKind.UNKNOWN, "No lookup API.")]

    await run(srt, await srt.store.get_post(org.id, post.id))

    done = await srt.store.get_post(org.id, post.id)
    assert done.target(connection.id).status is TargetStatus.UNCONFIRMED
    assert provider.publish_calls == []


async def test_a_killed_publish_whose_check_is_rate_limited_is_checked_again_later(
        srt: Runtime, org: Organization, provider: ScriptedProvider, clock: ManualClock) -> None:
    connection = await connect(srt, org)
    post = await submit(srt, org, [connection])
    attempt_id = await killed_mid_publish(srt, post, connection)
    provider.check_answers = [rate_limited(30.0)]
    provider.created[attempt_id] = PublishResult(platform_post_id="p-earlier")

    await run(srt, await srt.store.get_post(org.id, post.id))

    waiting = await srt.store.get_post(org.id, post.id)
    assert waiting.status is PostStatus.SCHEDULED
    assert waiting.due_at is not None and waiting.due_at >= clock.now() + timedelta(seconds=30)
    assert waiting.target(connection.id).current_attempt_id == attempt_id
    assert provider.publish_calls == []

    clock.advance(31)
    await publish(srt, waiting)

    done = await srt.store.get_post(org.id, post.id)
    assert done.status is PostStatus.PUBLISHED
    assert done.target(connection.id).platform_post_id == "p-earlier"
    assert provider.check_calls == [attempt_id, attempt_id]
    assert provider.publish_calls == []


# -- giving up ------------------------------------------------------------------------------------

async def test_after_max_attempts_the_target_fails(srt: Runtime, org: Organization,
                                                   provider: ScriptedProvider,
                                                   clock: ManualClock) -> None:
    srt.settings.publish_max_attempts = 3
    connection = await connect(srt, org)
    provider.publish_answers = [rate_limited(), rate_limited(), rate_limited()]
    post = await submit(srt, org, [connection])

    for _ in range(3):
        post = await publish(srt, post)
        if post.status is PostStatus.SCHEDULED:
            assert post.due_at is not None
            clock.set(post.due_at)

    assert post.status is PostStatus.FAILED
    assert post.status_reason == "Gave up after 3 attempts: Slow down."
    assert len(provider.publish_calls) == 3


async def test_a_killed_publish_whose_attempt_recorded_the_result_needs_no_check(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    # The worker closed the attempt as published, then died before saving the post.
    connection = await connect(srt, org)
    post = await submit(srt, org, [connection])
    attempt_id = await killed_mid_publish(srt, post, connection)
    [pending] = await attempts(srt, post)
    await srt.store.finish_attempt(pending.model_copy(update={
        "outcome": AttemptOutcome.PUBLISHED, "finished_at": srt.clock.now(),
        "platform_post_id": "p-earlier", "url": "https://scripted.test/p-earlier"}))
    provider.check_answers = [ProviderError(ErrorKind.UNKNOWN, "No lookup API.")]

    await run(srt, await srt.store.get_post(org.id, post.id))

    done = await srt.store.get_post(org.id, post.id)
    assert done.status is PostStatus.PUBLISHED
    assert (done.target(connection.id).platform_post_id, done.target(connection.id).url) == (
        "p-earlier", "https://scripted.test/p-earlier")
    assert provider.publish_calls == []
    assert [a.id for a in await attempts(srt, post)] == [attempt_id]


# -- racing workers -------------------------------------------------------------------------------

async def test_two_workers_running_the_same_job_publish_once(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    post = await submit(srt, org, [await connect(srt, org)])
    claimed = await claim(srt, post)

    results = await asyncio.gather(run(srt, claimed), run(srt, claimed))

    assert sum(r is not None for r in results) == 1
    assert len(provider.publish_calls) == 1


async def test_a_one_target_publish_is_two_store_writes_and_records_everything(
        srt: Runtime, org: Organization, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the call: Publishing and its event, the attempt and the target naming it. After
    it: the outcome, the closed attempt, the final status and its event. One write each."""
    account = await connect(srt, org)
    claimed = await claim(srt, await submit(srt, org, [account]))
    writes: list[str] = []
    for method in ("replace_post", "insert_attempt", "finish_attempt", "append_audit",
                   "insert_post"):
        real = getattr(srt.store, method)

        async def counted(*args: object, _real: object = real, _name: str = method,
                          **kwargs: object) -> object:
            writes.append(_name)
            return await _real(*args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(srt.store, method, counted)

    await run(srt, claimed)

    assert writes == ["replace_post"] * 2
    done = await srt.store.get_post(org.id, claimed.id)
    assert done.status is PostStatus.PUBLISHED
    [attempt] = await srt.store.list_attempts(org.id, claimed.id)
    assert attempt.outcome is AttemptOutcome.PUBLISHED
    assert attempt.platform_post_id == done.target(account.id).platform_post_id
    events = await srt.store.list_audit(org.id, claimed.id)
    changes = [(e.data["from"], e.data["to"]) for e in events
               if e.action == "post.status_changed"]
    assert changes[-2:] == [("queued", "publishing"), ("publishing", "published")]
