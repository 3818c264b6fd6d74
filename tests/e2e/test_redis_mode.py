"""Redis mode end to end: a signed webhook to the real hub, the scheduler, a real worker
process, all through the real Redis."""

from __future__ import annotations

import aiohttp
import redis.asyncio

from postflow.attempts import AttemptOutcome
from postflow.posts import Post, PostStatus
from postflow.runtime import Runtime
from tests.e2e.conftest import SchedulerTask, WorkerProcess, make_sender
from tests.workers.scenario import eventually, post_in_status, published_records
from workers.broker import PUBLISH_QUEUE, PostFlowRedisBroker

PUBLISH_TIMEOUT = 20.0


async def test_a_signed_webhook_is_published_by_a_worker_process(
        live_rt: Runtime, redis_hub: str, redis_scheduler: SchedulerTask,
        worker_process: WorkerProcess) -> None:
    sender = await make_sender(live_rt, redis_hub)
    redis_scheduler.start()
    worker_process.start()

    post_id = await sender.send("Released v1.2 🎉")

    post = await _published(live_rt, sender.account.org.id, post_id)
    [record] = await live_rt.store.find_sandbox_posts(sender.account.connection.id)
    assert record.outcome == "published" and record.text == "Released v1.2 🎉"
    [attempt] = await live_rt.store.list_attempts(post.org_id, post.id)
    assert attempt.outcome is AttemptOutcome.PUBLISHED
    assert attempt.platform_post_id == record.id == post.targets[0].platform_post_id
    assert attempt.url == f"{live_rt.settings.public_url}/sandbox/posts/{record.id}"


async def test_a_post_whose_message_was_flushed_from_redis_is_still_published_once(
        live_rt: Runtime, redis_hub: str, redis_url: str, redis_scheduler: SchedulerTask,
        worker_process: WorkerProcess) -> None:
    sender = await make_sender(live_rt, redis_hub)
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        # No worker yet: the hub claims the post and its message waits in Redis...
        post_id = await sender.send("Survives a flushed Redis")
        queued = await live_rt.store.get_post(sender.account.org.id, post_id)
        assert queued.status is PostStatus.QUEUED
        assert await client.hlen("dramatiq:publish.msgs") == 1
        # ...until Redis loses every message.
        await client.flushdb()
    finally:
        await client.aclose()

    redis_scheduler.start()
    worker_process.start()

    post = await _published(live_rt, queued.org_id, queued.id)
    assert len(await published_records(live_rt, sender.account.connection.id)) == 1
    [attempt] = await live_rt.store.list_attempts(post.org_id, post.id)
    assert (attempt.trigger, attempt.outcome) == ("reconciler", AttemptOutcome.PUBLISHED)


async def test_the_hub_reports_ready_once_a_worker_consumed_a_canary(
        redis_hub: str, redis_scheduler: SchedulerTask, worker_process: WorkerProcess) -> None:
    redis_scheduler.start()
    worker_process.start()

    async def ready() -> bool:
        async with aiohttp.ClientSession() as session, \
                session.get(f"{redis_hub}/readyz") as response:
            return response.status == 200

    await eventually(ready, timeout=PUBLISH_TIMEOUT, interval=0.2, what="/readyz answering 200")

    async with aiohttp.ClientSession() as session, session.get(f"{redis_hub}/readyz") as response:
        checks = (await response.json())["checks"]
    assert checks["worker"]["ok"] and checks["worker"]["last_consumed_at"]
    assert checks["broker"]["ok"] and checks["store"]["ok"]


async def test_a_message_taken_by_a_killed_worker_comes_back_within_a_minute(
        live_rt: Runtime, redis_hub: str, redis_url: str,
        worker_process: WorkerProcess) -> None:
    sender = await make_sender(live_rt, redis_hub)
    post_id = await sender.send("Outlives its first worker")
    # A worker takes the message off the queue, then dies before acknowledging it: exactly the
    # Redis state a SIGKILLed worker leaves behind. No scheduler runs, so only the broker's own
    # recovery (heartbeat timeout + maintenance) can bring the message back.
    dead = PostFlowRedisBroker(url=redis_url)
    try:
        consumer = dead.consume(PUBLISH_QUEUE, prefetch=1, timeout=100)
        taken = await eventually(lambda: next(consumer), what="the dying worker taking it")
        assert taken.args[1] == post_id
    finally:
        dead.client.close()

    worker_process.start()

    post = await _published(live_rt, sender.account.org.id, post_id, timeout=60)
    [attempt] = await live_rt.store.list_attempts(post.org_id, post.id)
    assert attempt.trigger == "publish_now"  # the original message, not a resend


async def _published(rt: Runtime, org_id: str, post_id: str,
                     timeout: float = PUBLISH_TIMEOUT) -> Post:
    post = await rt.store.get_post(org_id, post_id)
    done = await post_in_status(rt, post, PostStatus.PUBLISHED, PostStatus.FAILED,
                                PostStatus.PARTIAL, timeout=timeout)
    assert done.status is PostStatus.PUBLISHED, done.status_reason
    return done
