"""The scheduler's tick: claim due posts once, send canaries, survive a broken broker."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.posts import PostSource, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.workers.scenario import RecordingQueue, SandboxAccount, due_post, eventually
from workers.leader import LocalLeader
from workers.scheduler import MIN_WAIT_SECONDS, Scheduler


class NeverLeader:
    async def acquire_or_renew(self) -> bool:
        return False

    async def release(self) -> None:
        return None


class FlakyLeader:
    """Raises (Redis unreachable) for the first ``failures`` calls, then leads."""

    def __init__(self, failures: int) -> None:
        self.failures = failures

    async def acquire_or_renew(self) -> bool:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("redis is down")
        return True

    async def release(self) -> None:
        return None


async def test_tick_claims_each_due_post_and_enqueues_it_once(
        rt: Runtime, queue: RecordingQueue, account: SandboxAccount) -> None:
    posts = [await due_post(rt, account, f"post {i}") for i in range(3)]
    scheduler = Scheduler(rt, queue, LocalLeader())

    first = await scheduler.tick()
    second = await scheduler.tick()

    assert first.dispatched == 3 and second.dispatched == 0
    assert sorted(queue.post_ids) == sorted(p.id for p in posts)
    for post in posts:
        stored = await rt.store.get_post(post.org_id, post.id)
        assert stored.status is PostStatus.QUEUED
        assert (post.org_id, post.id, stored.version, "scheduler") in queue.published


async def test_tick_leaves_a_post_alone_until_it_is_due(
        rt: Runtime, clock: ManualClock, queue: RecordingQueue, account: SandboxAccount) -> None:
    post = await submit_post(
        rt, account.org.id, PostRequest(text="later", targets=[account.connection.id],
                                        schedule_at=clock.now() + timedelta(minutes=5)),
        source=PostSource(kind="cli"), actor="test", review_required=False)
    scheduler = Scheduler(rt, queue, LocalLeader())

    await scheduler.tick()
    assert queue.published == []
    clock.advance(5 * 60)
    await scheduler.tick()

    assert queue.post_ids == [post.id]


async def test_two_schedulers_on_one_database_never_claim_a_post_twice(
        rt: Runtime, settings: Settings, clock: ManualClock, account: SandboxAccount) -> None:
    posts = [await due_post(rt, account, f"race {i}") for i in range(40)]
    other_rt = await open_runtime(settings, clock=clock)
    try:
        queues = [RecordingQueue(), RecordingQueue()]
        schedulers = [Scheduler(rt, queues[0], LocalLeader()),
                      Scheduler(other_rt, queues[1], LocalLeader())]

        # Two connections to the same SQLite file, each claiming the same due posts.
        await asyncio.gather(*(s.tick() for s in schedulers))
        await asyncio.gather(*(s.tick() for s in schedulers))
    finally:
        await other_rt.store.close()

    sent = queues[0].post_ids + queues[1].post_ids
    assert len(sent) == len(set(sent))
    assert set(sent) == {p.id for p in posts}


async def test_a_scheduler_that_does_not_lead_does_nothing(
        rt: Runtime, queue: RecordingQueue, account: SandboxAccount) -> None:
    post = await due_post(rt, account)

    report = await Scheduler(rt, queue, NeverLeader()).tick()

    assert not report.leader
    assert queue.published == [] and queue.canaries == 0
    assert (await rt.store.get_post(post.org_id, post.id)).status is PostStatus.SCHEDULED


async def test_canary_is_sent_once_per_interval(
        rt: Runtime, clock: ManualClock, queue: RecordingQueue) -> None:
    scheduler = Scheduler(rt, queue, LocalLeader())
    interval = rt.settings.canary_interval_seconds

    await scheduler.tick()
    clock.advance(interval / 2)
    await scheduler.tick()
    assert queue.canaries == 1
    clock.advance(interval / 2)
    await scheduler.tick()

    assert queue.canaries == 2


async def test_a_broken_broker_leaves_the_post_queued_for_the_reconciler(
        rt: Runtime, clock: ManualClock, queue: RecordingQueue, account: SandboxAccount) -> None:
    post = await due_post(rt, account)
    queue.failure = ConnectionError("redis is down")
    scheduler = Scheduler(rt, queue, LocalLeader())

    report = await scheduler.tick()

    assert report.leader and not report.canary_sent
    assert (await rt.store.get_post(post.org_id, post.id)).status is PostStatus.QUEUED
    queue.failure = None
    clock.advance(rt.settings.reconcile_after_seconds + 1)
    report = await scheduler.tick()
    assert report.canary_sent and report.requeued == 1
    assert queue.published[0][1:] == (post.id, post.version + 2, "reconciler")


async def test_run_keeps_going_after_errors_and_stops_when_asked(
        rt: Runtime, queue: RecordingQueue, account: SandboxAccount) -> None:
    rt.settings.scheduler_interval_seconds = 0.01
    post = await due_post(rt, account)
    stop = asyncio.Event()
    task = asyncio.create_task(Scheduler(rt, queue, FlakyLeader(failures=3)).run(stop))
    try:
        await eventually(lambda: queue.post_ids == [post.id],
                         what="the post being dispatched once the leader lock answers")
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)
    assert task.done() and task.exception() is None


async def test_an_outage_is_logged_once_not_on_every_tick(
        rt: Runtime, queue: RecordingQueue, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="workers.scheduler")
    queue.failure = ConnectionError("redis is down")
    scheduler = Scheduler(rt, queue, LocalLeader())

    for _ in range(5):
        await scheduler.tick()
    queue.failure = None
    await scheduler.tick()

    messages = [r.getMessage() for r in caplog.records]
    assert sum("could not send a canary" in m for m in messages) == 1
    assert sum("can send a canary again" in m for m in messages) == 1


async def test_tick_dispatches_batch_after_batch_while_batches_come_back_full(
        rt: Runtime, queue: RecordingQueue, account: SandboxAccount,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from functools import partial

    from postflow.usecases import dispatch

    monkeypatch.setattr("workers.scheduler.DISPATCH_BATCH", 2)
    monkeypatch.setattr("workers.scheduler.dispatch_due_posts",
                        partial(dispatch.dispatch_due_posts, limit=2))
    posts = [await due_post(rt, account, f"post {i}") for i in range(5)]

    report = await Scheduler(rt, queue, LocalLeader()).tick()

    assert report.dispatched == 5
    assert sorted(queue.post_ids) == sorted(p.id for p in posts)


async def test_the_scheduler_sleeps_until_the_next_post_falls_due_at_most_an_interval(
        rt: Runtime, clock: ManualClock, queue: RecordingQueue, account: SandboxAccount) -> None:
    scheduler = Scheduler(rt, queue, LocalLeader())
    assert await scheduler.next_wait(5.0) == 5.0  # nothing scheduled

    await submit_post(
        rt, account.org.id, PostRequest(text="soon", targets=[account.connection.id],
                                        schedule_at=clock.now() + timedelta(seconds=0.25)),
        source=PostSource(kind="cli"), actor="test", review_required=False)
    assert await scheduler.next_wait(5.0) == pytest.approx(0.25)
    assert await scheduler.next_wait(0.1) == 0.1

    clock.advance(1)  # due and not yet claimed: tick again almost at once
    assert await scheduler.next_wait(5.0) == MIN_WAIT_SECONDS
