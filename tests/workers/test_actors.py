"""The actors on an in-process worker: publish a claimed post, ignore stale messages, canary."""

from __future__ import annotations

from postflow.attempts import AttemptOutcome
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.dispatch import claim_and_enqueue, claim_post
from postflow.usecases.health import CANARY
from tests.workers.conftest import RunningWorker
from tests.workers.scenario import (
    SandboxAccount,
    due_post,
    eventually,
    post_in_status,
    published_records,
)


async def test_a_claimed_post_is_published_by_the_worker(
        rt: Runtime, running_worker: RunningWorker, account: SandboxAccount) -> None:
    post = await due_post(rt, account)

    await claim_and_enqueue(rt, running_worker.queue, post)

    published = await post_in_status(rt, post, PostStatus.PUBLISHED, PostStatus.FAILED)
    assert published.status is PostStatus.PUBLISHED
    [record] = await published_records(rt, account.connection.id)
    assert published.targets[0].platform_post_id == record.id
    [attempt] = await rt.store.list_attempts(post.org_id, post.id)
    assert attempt.outcome is AttemptOutcome.PUBLISHED and attempt.trigger == "publish_now"


async def test_a_message_for_an_older_version_does_nothing(
        rt: Runtime, running_worker: RunningWorker, account: SandboxAccount) -> None:
    claimed = await claim_post(rt, await due_post(rt, account))
    assert claimed is not None

    await running_worker.queue.enqueue_publish(claimed.org_id, claimed.id, claimed.version - 1,
                                               "scheduler")
    await running_worker.queue.enqueue_canary()  # consumed after the stale message

    await eventually(lambda: rt.store.get_heartbeat(CANARY), what="the canary being consumed")
    running_worker.broker.join("publish", timeout=5_000)
    assert (await rt.store.get_post(claimed.org_id, claimed.id)).status is PostStatus.QUEUED
    assert await rt.store.find_sandbox_posts(account.connection.id) == []


async def test_the_canary_records_a_heartbeat(rt: Runtime, running_worker: RunningWorker) -> None:
    await running_worker.queue.enqueue_canary()

    seen = await eventually(lambda: rt.store.get_heartbeat(CANARY),
                            what="the canary heartbeat")

    assert seen == rt.clock.now()
