"""Dispatching: claim in the store first, enqueue second, and resend what got stuck."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from postflow.connections import Connection
from postflow.organizations import Organization
from postflow.post_status import transition
from postflow.posts import Post, PostSource, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.dispatch import (
    claim_and_enqueue,
    dispatch_due_posts,
    dispatch_if_due,
    requeue_stale_posts,
)
from postflow.usecases.organizations import create_organization
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.fakes.recording_queue import PublishJob, RecordingQueue


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="cli")


@pytest.fixture
async def sandbox(rt: Runtime, org: Organization) -> Connection:
    return await connect_sandbox(rt, org.id, "main", actor="cli")


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


async def submit(rt: Runtime, org: Organization, sandbox: Connection, *,
                 in_hours: float | None = None, review_required: bool = False) -> Post:
    at = None if in_hours is None else rt.clock.now() + timedelta(hours=in_hours)
    return await submit_post(rt, org.id, PostRequest(text="Hello", targets=[sandbox.id],
                                                     schedule_at=at),
                             source=PostSource(kind="cli"), actor="cli",
                             review_required=review_required)


async def test_claiming_moves_a_scheduled_post_to_queued(rt: Runtime, org: Organization,
                                                         sandbox: Connection,
                                                         queue: RecordingQueue) -> None:
    post = await submit(rt, org, sandbox)

    claimed = await claim_and_enqueue(rt, queue, post)

    assert claimed is not None
    assert (claimed.status, claimed.version) == (PostStatus.QUEUED, post.version + 1)
    assert await rt.store.get_post(org.id, post.id) == claimed


async def test_claiming_enqueues_the_claimed_version_once(rt: Runtime, org: Organization,
                                                          sandbox: Connection,
                                                          queue: RecordingQueue) -> None:
    post = await submit(rt, org, sandbox)

    claimed = await claim_and_enqueue(rt, queue, post)

    assert claimed is not None
    assert queue.jobs == [PublishJob(org.id, post.id, claimed.version, "publish_now")]


async def test_a_second_claim_of_the_same_version_returns_none(rt: Runtime, org: Organization,
                                                               sandbox: Connection,
                                                               queue: RecordingQueue) -> None:
    post = await submit(rt, org, sandbox)
    await claim_and_enqueue(rt, queue, post)

    assert await claim_and_enqueue(rt, queue, post) is None
    assert len(queue.jobs) == 1


async def test_a_claimed_post_stays_queued_when_the_broker_is_down(
        rt: Runtime, org: Organization, sandbox: Connection, queue: RecordingQueue) -> None:
    post = await submit(rt, org, sandbox)
    queue.down = True

    claimed = await claim_and_enqueue(rt, queue, post)

    assert claimed is not None
    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.QUEUED
    assert queue.jobs == []


async def test_dispatch_sends_only_due_posts(rt: Runtime, org: Organization,
                                             sandbox: Connection, queue: RecordingQueue) -> None:
    due = await submit(rt, org, sandbox)
    later = await submit(rt, org, sandbox, in_hours=2)
    in_review = await submit(rt, org, sandbox, review_required=True)

    assert await dispatch_due_posts(rt, queue) == 1

    assert queue.post_ids() == [due.id]
    assert [j.trigger for j in queue.jobs] == ["scheduler"]
    assert (await rt.store.get_post(org.id, later.id)).status is PostStatus.SCHEDULED
    assert (await rt.store.get_post(org.id, in_review.id)).status is PostStatus.IN_REVIEW


async def test_dispatch_sends_a_scheduled_post_once_its_time_comes(
        rt: Runtime, org: Organization, sandbox: Connection, queue: RecordingQueue,
        clock: ManualClock) -> None:
    later = await submit(rt, org, sandbox, in_hours=2)
    clock.advance(2 * 3600)

    assert await dispatch_due_posts(rt, queue) == 1
    assert queue.post_ids() == [later.id]


async def test_dispatching_twice_sends_a_post_once(rt: Runtime, org: Organization,
                                                   sandbox: Connection,
                                                   queue: RecordingQueue) -> None:
    await submit(rt, org, sandbox)

    await dispatch_due_posts(rt, queue)
    assert await dispatch_due_posts(rt, queue) == 0

    assert len(queue.jobs) == 1


async def test_a_stale_queued_post_is_sent_again_as_a_new_version(
        rt: Runtime, org: Organization, sandbox: Connection, queue: RecordingQueue,
        clock: ManualClock) -> None:
    post = await submit(rt, org, sandbox)
    queue.down = True
    claimed = await claim_and_enqueue(rt, queue, post)
    assert claimed is not None
    queue.down = False
    clock.advance(rt.settings.reconcile_after_seconds + 1)

    assert await requeue_stale_posts(rt, queue) == 1

    stored = await rt.store.get_post(org.id, post.id)
    assert (stored.status, stored.version) == (PostStatus.QUEUED, claimed.version + 1)
    assert queue.jobs == [PublishJob(org.id, post.id, stored.version, "reconciler")]


async def test_a_recently_queued_post_is_left_alone(rt: Runtime, org: Organization,
                                                    sandbox: Connection, queue: RecordingQueue,
                                                    clock: ManualClock) -> None:
    await claim_and_enqueue(rt, queue, await submit(rt, org, sandbox))
    clock.advance(rt.settings.reconcile_after_seconds - 1)

    assert await requeue_stale_posts(rt, queue) == 0
    assert len(queue.jobs) == 1


async def test_a_post_stuck_publishing_goes_back_to_queued(rt: Runtime, org: Organization,
                                                           sandbox: Connection,
                                                           queue: RecordingQueue,
                                                           clock: ManualClock) -> None:
    claimed = await claim_and_enqueue(rt, queue, await submit(rt, org, sandbox))
    assert claimed is not None
    publishing = transition(claimed, PostStatus.PUBLISHING, at=clock.now())
    await rt.store.replace_post(publishing, expected_version=claimed.version)
    clock.advance(rt.settings.reconcile_after_seconds + 1)

    assert await requeue_stale_posts(rt, queue) == 1

    stored = await rt.store.get_post(org.id, claimed.id)
    assert stored.status is PostStatus.QUEUED
    assert "worker stopped" in stored.status_reason
    assert queue.jobs[-1] == PublishJob(org.id, claimed.id, stored.version, "reconciler")


async def test_requeueing_is_audited(rt: Runtime, org: Organization, sandbox: Connection,
                                     queue: RecordingQueue, clock: ManualClock) -> None:
    claimed = await claim_and_enqueue(rt, queue, await submit(rt, org, sandbox))
    assert claimed is not None
    clock.advance(rt.settings.reconcile_after_seconds + 1)

    await requeue_stale_posts(rt, queue)

    event = (await rt.store.list_audit(org.id, subject_id=claimed.id))[-1]
    assert (event.actor, event.action, event.data["was"]) == ("reconciler", "post.requeued",
                                                              "queued")


async def test_a_requeued_post_is_not_counted_as_sent_while_the_broker_is_down(
        rt: Runtime, org: Organization, sandbox: Connection, queue: RecordingQueue,
        clock: ManualClock) -> None:
    await claim_and_enqueue(rt, queue, await submit(rt, org, sandbox))
    clock.advance(rt.settings.reconcile_after_seconds + 1)
    queue.down = True

    assert await requeue_stale_posts(rt, queue) == 0


# -- handing a new post over at once ---------------------------------------------------------------
async def test_a_new_post_due_now_is_handed_to_a_worker_at_once(
        rt: Runtime, org: Organization, sandbox: Connection, queue: RecordingQueue) -> None:
    post = await submit(rt, org, sandbox)

    handed = await dispatch_if_due(rt, queue, post)

    assert handed.status is PostStatus.QUEUED
    assert queue.jobs == [PublishJob(org.id, post.id, handed.version, "publish_now")]


@pytest.mark.parametrize(("in_hours", "review_required"), [(2.0, False), (None, True)])
async def test_a_post_for_later_or_in_review_is_left_as_it_is(
        rt: Runtime, org: Organization, sandbox: Connection, queue: RecordingQueue,
        in_hours: float | None, review_required: bool) -> None:
    post = await submit(rt, org, sandbox, in_hours=in_hours, review_required=review_required)

    assert await dispatch_if_due(rt, queue, post) == post
    assert queue.jobs == []


async def test_a_store_failure_while_handing_over_leaves_the_post_for_the_scheduler(
        rt: Runtime, org: Organization, sandbox: Connection, queue: RecordingQueue,
        monkeypatch: pytest.MonkeyPatch) -> None:
    post = await submit(rt, org, sandbox)

    async def store_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the database is unreachable")

    monkeypatch.setattr(rt.store, "replace_post", store_down)
    handed = await dispatch_if_due(rt, queue, post)

    assert (handed.status, queue.jobs) == (PostStatus.SCHEDULED, [])
    monkeypatch.undo()
    assert await dispatch_due_posts(rt, queue) == 1


async def test_a_batch_is_claimed_together_and_every_claimed_post_sent_once(
        rt: Runtime, org: Organization, sandbox: Connection, queue: RecordingQueue) -> None:
    """The claims of one batch reach the store at once (SQLite writes them in one transaction)
    instead of one store trip after another."""
    posts = [await submit(rt, org, sandbox) for _ in range(5)]
    in_flight, most = 0, 0
    replace = rt.store.replace_post

    async def counting(post: Post, expected_version: int, **together: Any) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            await replace(post, expected_version, **together)
        finally:
            in_flight -= 1

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rt.store, "replace_post", counting)
        assert await dispatch_due_posts(rt, queue) == 5

    assert most == 5
    assert sorted(queue.post_ids()) == sorted(p.id for p in posts)
    for post in posts:
        assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.QUEUED
        [claimed] = [e for e in await rt.store.list_audit(org.id, post.id)
                     if e.action == "post.status_changed"]
        assert claimed.data == {"from": "scheduled", "to": "queued", "reason": ""}
