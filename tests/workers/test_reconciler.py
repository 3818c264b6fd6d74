"""The scheduler's reconcile pass: posts stuck in Queued or Publishing are handed out again."""

from __future__ import annotations

from postflow.post_status import transition
from postflow.posts import Post, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.dispatch import claim_post
from tests.fakes.clock import ManualClock
from tests.workers.scenario import RecordingQueue, SandboxAccount, due_post
from workers.leader import LocalLeader
from workers.scheduler import Scheduler


async def _claimed(rt: Runtime, account: SandboxAccount) -> Post:
    claimed = await claim_post(rt, await due_post(rt, account))
    assert claimed is not None
    return claimed


async def test_a_queued_post_older_than_the_timeout_is_sent_again(
        rt: Runtime, clock: ManualClock, queue: RecordingQueue, account: SandboxAccount) -> None:
    scheduler = Scheduler(rt, queue, LocalLeader())
    await scheduler.tick()  # the first tick's reconcile pass happens before the post is stuck
    post = await _claimed(rt, account)

    clock.advance(rt.settings.reconcile_after_seconds + 1)
    report = await scheduler.tick()

    assert report.requeued == 1
    stored = await rt.store.get_post(post.org_id, post.id)
    assert stored.status is PostStatus.QUEUED and stored.version == post.version + 1
    assert queue.published == [(post.org_id, post.id, stored.version, "reconciler")]


async def test_a_queued_post_younger_than_the_timeout_is_left_alone(
        rt: Runtime, clock: ManualClock, queue: RecordingQueue, account: SandboxAccount) -> None:
    await _claimed(rt, account)
    clock.advance(rt.settings.reconcile_after_seconds - 1)

    report = await Scheduler(rt, queue, LocalLeader()).tick()

    assert report.requeued == 0 and queue.published == []


async def test_a_post_stuck_publishing_goes_back_to_queued(
        rt: Runtime, clock: ManualClock, queue: RecordingQueue, account: SandboxAccount) -> None:
    claimed = await _claimed(rt, account)
    publishing = transition(claimed, PostStatus.PUBLISHING, at=clock.now())
    await rt.store.replace_post(publishing, expected_version=claimed.version)

    clock.advance(rt.settings.reconcile_after_seconds + 1)
    await Scheduler(rt, queue, LocalLeader()).tick()

    stored = await rt.store.get_post(claimed.org_id, claimed.id)
    assert stored.status is PostStatus.QUEUED
    assert queue.published == [(claimed.org_id, claimed.id, stored.version, "reconciler")]


async def test_the_reconcile_pass_runs_only_once_per_interval(
        rt: Runtime, clock: ManualClock, queue: RecordingQueue, account: SandboxAccount) -> None:
    scheduler = Scheduler(rt, queue, LocalLeader())
    await scheduler.tick()
    start = clock.now()
    clock.advance(-2 * rt.settings.reconcile_after_seconds)
    await _claimed(rt, account)  # claimed long ago: stuck already
    clock.set(start + scheduler.requeue_every / 2)

    early = await scheduler.tick()
    clock.set(start + scheduler.requeue_every)
    on_time = await scheduler.tick()

    assert (early.requeued, on_time.requeued) == (0, 1)
