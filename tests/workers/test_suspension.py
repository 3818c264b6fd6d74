"""A suspended organization's posts wait: the scheduler leaves them out (not late, not sent),
a post claimed just before the suspension goes back to Scheduled untouched, and once the
organization is resumed they are dispatched and published."""

from __future__ import annotations

from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.admin import resume_organization, suspend_organization
from postflow.usecases.dispatch import claim_post
from postflow.usecases.publish_post import PostPublisher
from tests.fakes.clock import ManualClock
from tests.workers.conftest import RunningWorker
from tests.workers.scenario import (
    RecordingQueue,
    SandboxAccount,
    due_post,
    post_in_status,
    published_records,
    sandbox_account,
)
from workers.leader import LocalLeader
from workers.scheduler import SUSPENDED_EVERY, Scheduler


async def test_the_scheduler_sends_nothing_of_a_suspended_organization(
        rt: Runtime, queue: RecordingQueue, account: SandboxAccount,
        clock: ManualClock) -> None:
    post = await due_post(rt, account)
    other = await due_post(rt, await sandbox_account(rt))
    await suspend_organization(rt, account.org.id, "unpaid invoices")
    scheduler = Scheduler(rt, queue, LocalLeader())

    await scheduler.tick()
    clock.advance(rt.settings.late_grace_minutes * 60 + 60)  # long past the late grace
    await scheduler.tick()

    assert set(queue.post_ids) == {other.id}
    stored = await rt.store.get_post(post.org_id, post.id)
    assert stored.status is PostStatus.SCHEDULED  # waiting: neither sent nor marked late
    assert stored.version == post.version


async def test_a_claimed_post_goes_back_to_scheduled_when_its_organization_is_suspended(
        rt: Runtime, account: SandboxAccount) -> None:
    claimed = await claim_post(rt, await due_post(rt, account))
    assert claimed is not None
    await suspend_organization(rt, account.org.id, "abuse report")

    held = await PostPublisher(rt).run(claimed.org_id, claimed.id,
                                       expected_version=claimed.version, trigger="scheduler")

    assert held is not None and held.status is PostStatus.SCHEDULED
    assert held.due_at == claimed.due_at
    assert "suspended" in held.status_reason
    assert await rt.store.list_attempts(claimed.org_id, claimed.id) == []
    assert await published_records(rt, account.connection.id) == []


async def test_resuming_publishes_the_posts_that_waited(
        rt: Runtime, running_worker: RunningWorker, account: SandboxAccount,
        clock: ManualClock) -> None:
    post = await due_post(rt, account)
    await suspend_organization(rt, account.org.id, "unpaid invoices")
    scheduler = Scheduler(rt, running_worker.queue, LocalLeader())
    await scheduler.tick()
    assert (await rt.store.get_post(post.org_id, post.id)).status is PostStatus.SCHEDULED

    await resume_organization(rt, account.org.id)
    clock.advance(SUSPENDED_EVERY.total_seconds())
    report = await scheduler.tick()

    assert report.dispatched == 1
    published = await post_in_status(rt, post, PostStatus.PUBLISHED, PostStatus.FAILED)
    assert published.status is PostStatus.PUBLISHED


async def test_the_scheduler_sleeps_past_a_suspended_organizations_due_posts(
        rt: Runtime, queue: RecordingQueue, account: SandboxAccount) -> None:
    await due_post(rt, account)
    await suspend_organization(rt, account.org.id, "unpaid invoices")
    scheduler = Scheduler(rt, queue, LocalLeader())
    await scheduler.tick()

    # Its posts are due, but they wait: no reason to wake before the interval.
    assert await scheduler.next_wait(1.0) == 1.0
