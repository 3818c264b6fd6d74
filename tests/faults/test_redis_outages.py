"""Redis going away under a burst of posts, with and without its data, and Redis arriving after
the workers: nothing is lost (the store is the record, the reconciler re-sends) and nothing is
published twice. Each test runs its own ``redis-server`` so stopping and wiping it disturbs
nobody else."""

from __future__ import annotations

import asyncio

import pytest

from postflow.attempts import AttemptOutcome
from postflow.posts import Post, PostStatus
from tests.fakes.platform_server import Fault
from tests.faults.harness import PrivateRedis, Rig, assert_published_exactly_once
from tests.workers.scenario import eventually, post_in_status

pytestmark = pytest.mark.faults

BURST = 12
#: Each create takes this long, so the burst is still under way when Redis goes.
PLATFORM_LATENCY_SECONDS = 0.1
#: How long Redis stays away: every process meets the outage (the scheduler ticks every 0.1 s;
#: idle consumers fetch at least once a second).
OUTAGE_SECONDS = 1.0
DONE_WITHIN = 30.0


async def _burst_across_an_outage(rig: Rig, redis_server: PrivateRedis, *,
                                  keep_data: bool) -> list[Post]:
    """A burst published across a Redis outage; the posts as stored at the end."""
    redis_server.start()
    account = await rig.new_account()
    rig.platform.set_latency(PLATFORM_LATENCY_SECONDS)
    rig.start_worker()
    rig.start_scheduler()
    posts = await rig.submit(account, BURST, "burst")

    await rig.requests(3)
    if keep_data:
        redis_server.stop()  # SIGTERM: it writes its append-only file and exits
    else:
        redis_server.kill()
        redis_server.wipe()
    await asyncio.sleep(OUTAGE_SECONDS)
    assert len(rig.platform.received()) < BURST, "the burst was over before Redis went away"
    redis_server.start()

    await rig.all_final(posts, timeout=DONE_WITHIN)
    await rig.queues_drained()
    stored = await assert_published_exactly_once(rig, posts)
    assert all(w.alive for w in rig.workers) and len(rig.workers) == 1
    return stored


async def test_redis_restarted_with_its_data_during_a_burst(
        private_redis: PrivateRedis, private_rig: Rig) -> None:
    stored = await _burst_across_an_outage(private_rig, private_redis, keep_data=True)

    assert [p.status for p in stored] == [PostStatus.PUBLISHED] * BURST
    assert private_rig.platform.stats()["total"] == BURST


async def test_redis_restarted_empty_during_a_burst(
        private_redis: PrivateRedis, private_rig: Rig) -> None:
    stored = await _burst_across_an_outage(private_rig, private_redis, keep_data=False)

    assert [p.status for p in stored] == [PostStatus.PUBLISHED] * BURST
    assert private_rig.platform.stats()["total"] == BURST


async def test_workers_started_before_redis_publish_once_it_is_up(
        private_redis: PrivateRedis, private_rig: Rig) -> None:
    rig = private_rig
    account = await rig.new_account()
    worker = rig.start_worker()
    rig.start_scheduler()
    posts = await rig.submit(account, 5, "before Redis")

    await eventually(lambda: "connection error" in worker.log(), timeout=15, interval=0.1,
                     what="the worker trying to reach Redis")
    assert worker.alive and rig.platform.received() == []
    private_redis.start()

    await rig.all_final(posts, timeout=DONE_WITHIN)
    await rig.queues_drained()
    await assert_published_exactly_once(rig, posts)
    assert worker.alive and len(rig.workers) == 1


async def test_a_call_answered_while_redis_is_down_is_recorded_at_once(
        private_redis: PrivateRedis, private_rig: Rig) -> None:
    """The platform answers a call while Redis is away: the worker records the post as Published
    then and there (it needs no Redis for that), instead of leaving it Publishing for the
    reconciler — which, in production, comes 5 minutes later."""
    rig = private_rig
    private_redis.start()
    account = await rig.new_account()
    rig.platform.script(Fault.hang_after_create())
    rig.start_worker()
    rig.start_scheduler()
    [post] = await rig.submit(account, 1, "answered during the outage")

    await rig.requests(1)
    private_redis.stop()  # Redis goes away while the platform holds its answer
    rig.platform.release()

    await post_in_status(rig.rt, post, PostStatus.PUBLISHED, timeout=5)
    private_redis.start()
    await rig.queues_drained()
    [stored] = await assert_published_exactly_once(rig, [post])
    assert stored.status is PostStatus.PUBLISHED
    assert rig.platform.stats()["total"] == 1


@pytest.mark.parametrize("keep_data", [True, False], ids=["with-data", "empty"])
async def test_the_first_job_after_a_redis_restart_is_not_cut_off(
        private_redis: PrivateRedis, private_rig: Rig, keep_data: bool) -> None:
    """The worker's Redis connections from before the restart are dead afterwards; the first
    publish job to use them still runs to the end (its post is never left Publishing for the
    reconciler to pick up — in production, 5 minutes later)."""
    rig = private_rig
    private_redis.start()
    account = await rig.new_account()
    rig.start_worker()
    rig.start_scheduler()
    [before] = await rig.submit(account, 1, "before the restart")
    await post_in_status(rig.rt, before, PostStatus.PUBLISHED, timeout=DONE_WITHIN)
    private_redis.stop()
    if not keep_data:
        private_redis.wipe()
    private_redis.start()

    [after] = await rig.submit(account, 1, "after the restart")
    await post_in_status(rig.rt, after, PostStatus.PUBLISHED, timeout=DONE_WITHIN)

    await rig.queues_drained()
    await assert_published_exactly_once(rig, [before, after])
    [attempt] = await rig.rt.store.list_attempts(after.org_id, after.id)
    assert attempt.outcome is AttemptOutcome.PUBLISHED
    # A message may be sent again while the worker's consumer reconnects (it waits 3 s, longer
    # than this rig's reconcile delay), but no job broke off mid-publish.
    requeued = [e.data for e in await rig.rt.store.list_audit(after.org_id, after.id)
                if e.action == "post.requeued"]
    assert {"was": "publishing"} not in requeued, requeued
