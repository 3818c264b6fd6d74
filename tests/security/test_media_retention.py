"""Unreferenced media are deleted by the scheduler once the retention has passed: a medium a
live post uses is kept, one nobody uses any more goes (its bytes given back to the organization's
meter), and the bytes stay while any organization still holds them. On the manual clock."""

from __future__ import annotations

import random
from datetime import timedelta

from postflow.errors import NotFound
from postflow.media import MediaObject
from postflow.posts import Post, PostSource, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.media import add_media_from_upload
from postflow.usecases.media_ledger import stored_media_bytes
from postflow.usecases.post_actions import cancel_post
from postflow.usecases.publish_post import PostPublisher
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.workers.scenario import RecordingQueue, SandboxAccount, sandbox_account
from workers.leader import LocalLeader
from workers.scheduler import Scheduler

PNG = b"\x89PNG\r\n\x1a\n" + b"r" * 150
HOUR = 3600.0


async def upload(rt: Runtime, org_id: str, data: bytes = PNG) -> MediaObject:
    return await add_media_from_upload(rt, data, "image/png", org_id=org_id)


async def stored(rt: Runtime, media_id: str) -> bool:
    assert rt.media_store is not None
    try:
        await rt.media_store.get(media_id)
    except NotFound:
        return False
    return True


async def scheduled_with(rt: Runtime, account: SandboxAccount, media: MediaObject,
                         at_hours: float) -> Post:
    return await submit_post(
        rt, account.org.id,
        PostRequest(text="With a picture", targets=[account.connection.id], media_ids=[media.id],
                    schedule_at=rt.clock.now() + timedelta(hours=at_hours)),
        source=PostSource(kind="cli"), actor="test", review_required=False)


async def test_a_medium_nobody_uses_goes_once_the_retention_has_passed(
        rt: Runtime, clock: ManualClock) -> None:
    account = await sandbox_account(rt)
    scheduler = Scheduler(rt, RecordingQueue(), LocalLeader())
    media = await upload(rt, account.org.id)
    assert await stored_media_bytes(rt, account.org.id) == len(PNG)

    clock.advance(23 * HOUR)
    await scheduler.tick()
    assert await stored(rt, media.id)

    clock.advance(2 * HOUR)
    await scheduler.tick()
    assert not await stored(rt, media.id)
    assert await stored_media_bytes(rt, account.org.id) == 0


async def test_a_medium_of_a_scheduled_post_is_kept_until_the_retention_after_it_published(
        rt: Runtime, clock: ManualClock) -> None:
    account = await sandbox_account(rt)
    queue = RecordingQueue()
    scheduler = Scheduler(rt, queue, LocalLeader())
    media = await upload(rt, account.org.id)
    post = await scheduled_with(rt, account, media, at_hours=72)

    for _ in range(71):  # three days pass with the post waiting: the medium stays
        clock.advance(HOUR)
        await scheduler.tick()
        assert await stored(rt, media.id)

    clock.advance(HOUR)
    await scheduler.tick()
    [(_, post_id, version, _)] = queue.published
    done = await PostPublisher(rt, random.Random(7)).run(
        account.org.id, post_id, expected_version=version, trigger="test")
    assert done is not None and done.status is PostStatus.PUBLISHED and done.id == post.id

    clock.advance(23 * HOUR)
    await scheduler.tick()
    assert await stored(rt, media.id)
    assert await stored_media_bytes(rt, account.org.id) == len(PNG)

    clock.advance(2 * HOUR)
    await scheduler.tick()
    assert not await stored(rt, media.id)
    assert await stored_media_bytes(rt, account.org.id) == 0


async def test_a_medium_held_by_two_organizations_stays_until_both_let_go(
        rt: Runtime, clock: ManualClock) -> None:
    alpha, beta = await sandbox_account(rt), await sandbox_account(rt)
    scheduler = Scheduler(rt, RecordingQueue(), LocalLeader())
    media = await upload(rt, alpha.org.id)
    assert (await upload(rt, beta.org.id)).id == media.id
    post = await scheduled_with(rt, beta, media, at_hours=24 * 7)

    clock.advance(25 * HOUR)
    await scheduler.tick()
    assert await stored_media_bytes(rt, alpha.org.id) == 0  # alpha let go
    assert await stored_media_bytes(rt, beta.org.id) == len(PNG)
    assert await stored(rt, media.id)

    await cancel_post(rt, beta.org.id, post.id, actor="test")
    clock.advance(25 * HOUR)
    await scheduler.tick()
    assert await stored_media_bytes(rt, beta.org.id) == 0
    assert not await stored(rt, media.id)


async def test_only_the_leading_scheduler_deletes_media(
        rt: Runtime, clock: ManualClock) -> None:
    account = await sandbox_account(rt)
    media = await upload(rt, account.org.id)

    class NeverLeader:
        async def acquire_or_renew(self) -> bool:
            return False

        async def release(self) -> None:
            return None

    clock.advance(48 * HOUR)
    await Scheduler(rt, RecordingQueue(), NeverLeader()).tick()

    assert await stored(rt, media.id)
    assert await stored_media_bytes(rt, account.org.id) == len(PNG)
