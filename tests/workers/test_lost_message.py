"""Messages lost or doubled between the scheduler and the worker: the post publishes once."""

from __future__ import annotations

from postflow.attempts import AttemptOutcome
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.dispatch import claim_post
from tests.fakes.clock import ManualClock
from tests.workers.conftest import RunningWorker
from tests.workers.scenario import (
    RecordingQueue,
    SandboxAccount,
    due_post,
    post_in_status,
    published_records,
)
from workers.leader import LocalLeader
from workers.scheduler import Scheduler


async def test_a_lost_message_is_resent_by_the_reconciler_and_published_once(
        rt: Runtime, clock: ManualClock, running_worker: RunningWorker,
        account: SandboxAccount) -> None:
    post = await due_post(rt, account)
    dropped = RecordingQueue()  # claims, but its message never reaches a worker
    await Scheduler(rt, dropped, LocalLeader()).tick()
    assert dropped.post_ids == [post.id]

    clock.advance(rt.settings.reconcile_after_seconds + 1)
    report = await Scheduler(rt, running_worker.queue, LocalLeader()).tick()

    assert report.requeued == 1
    published = await post_in_status(rt, post, PostStatus.PUBLISHED, PostStatus.FAILED)
    assert published.status is PostStatus.PUBLISHED
    assert len(await published_records(rt, account.connection.id)) == 1
    [attempt] = await rt.store.list_attempts(post.org_id, post.id)
    assert (attempt.trigger, attempt.outcome) == ("reconciler", AttemptOutcome.PUBLISHED)


async def test_a_message_delivered_twice_publishes_once(
        rt: Runtime, running_worker: RunningWorker, account: SandboxAccount) -> None:
    claimed = await claim_post(rt, await due_post(rt, account))
    assert claimed is not None

    for _ in range(2):
        await running_worker.queue.enqueue_publish(claimed.org_id, claimed.id, claimed.version,
                                                   "scheduler")

    await post_in_status(rt, claimed, PostStatus.PUBLISHED)
    running_worker.broker.join("publish", timeout=5_000)
    assert len(await published_records(rt, account.connection.id)) == 1
    assert len(await rt.store.list_attempts(claimed.org_id, claimed.id)) == 1
