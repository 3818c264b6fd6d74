"""Embedded mode end to end (``postflow up``): hub, scheduler and worker in one process."""

from __future__ import annotations

import asyncio
import gc

import aiohttp

from composition.processes import run_embedded
from postflow.attempts import AttemptOutcome
from postflow.config import Settings
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.dispatch import claim_post
from tests.e2e.conftest import make_sender
from tests.workers.scenario import due_post, post_in_status, published_records, sandbox_account


async def test_a_signed_webhook_is_published_in_embedded_mode(live_rt: Runtime,
                                                               embedded: str) -> None:
    sender = await make_sender(live_rt, embedded)

    post_id = await sender.send("Hello from postflow up")

    post = await live_rt.store.get_post(sender.account.org.id, post_id)
    done = await post_in_status(live_rt, post, PostStatus.PUBLISHED, PostStatus.FAILED)
    assert done.status is PostStatus.PUBLISHED
    [record] = await published_records(live_rt, sender.account.connection.id)
    [attempt] = await live_rt.store.list_attempts(post.org_id, post.id)
    assert attempt.outcome is AttemptOutcome.PUBLISHED
    assert attempt.platform_post_id == record.id and attempt.url is not None


async def test_the_embedded_hub_answers_healthz(embedded: str) -> None:
    async with aiohttp.ClientSession() as session, \
            session.get(f"{embedded}/healthz") as response:
        assert response.status == 200


async def test_postflow_up_moves_its_start_up_heap_out_of_the_collectors_way(
        embedded: str) -> None:
    # Each test starts unfrozen (tests/conftest.py); `postflow up` froze its heap once ready.
    assert gc.get_freeze_count() > 10_000


async def test_posts_left_queued_by_a_previous_run_are_resumed_at_start_up(
        live_rt: Runtime, e2e_settings: Settings) -> None:
    account = await sandbox_account(live_rt)
    # A previous `postflow up` claimed it, then stopped before the in-memory message ran.
    claimed = await claim_post(live_rt, await due_post(live_rt, account))
    assert claimed is not None

    stop = asyncio.Event()
    task = asyncio.create_task(run_embedded(e2e_settings, stop))
    try:
        done = await post_in_status(live_rt, claimed, PostStatus.PUBLISHED, PostStatus.FAILED)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)

    assert done.status is PostStatus.PUBLISHED
    assert len(await published_records(live_rt, account.connection.id)) == 1


async def test_the_embedded_metrics_count_a_received_hook_and_its_publish(
        live_rt: Runtime, embedded: str) -> None:
    sender = await make_sender(live_rt, embedded)
    post_id = await sender.send("Counted")
    post = await live_rt.store.get_post(sender.account.org.id, post_id)
    await post_in_status(live_rt, post, PostStatus.PUBLISHED, PostStatus.FAILED)

    async with aiohttp.ClientSession() as session, \
            session.get(f"{embedded}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    assert 'postflow_http_requests_total{method="POST",route="/v1/hooks/{hook_id}",' \
           'status="202"}' in text
    assert 'postflow_publish_total{network="sandbox",outcome="published"}' in text
    assert 'postflow_queue_depth{queue="publish"} 0.0' in text
    assert 'postflow_jobs_total{outcome="done",queue="publish"}' in text
