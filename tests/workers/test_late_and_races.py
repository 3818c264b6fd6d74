"""The scheduler with people acting on posts: late posts wait, and reschedule, cancel and
publish now race queued messages and workers without a post going out twice or silently."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from postflow.errors import InvalidTransition
from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus
from postflow.providers import ErrorKind, ProviderError
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection
from postflow.usecases.organizations import change_plan, create_organization
from postflow.usecases.post_actions import cancel_post, publish_now, reschedule_post
from postflow.usecases.publish_post import PostPublisher
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.fakes.recording_notifier import RecordingNotifier
from tests.fakes.scripted_provider import PublishCall, ScriptedProvider, runtime_with
from tests.workers.conftest import RunningWorker
from tests.workers.scenario import (
    RecordingQueue,
    SandboxAccount,
    due_post,
    post_in_status,
    published_records,
)
from workers import scheduler as scheduler_module
from workers.leader import LocalLeader
from workers.scheduler import Scheduler


@dataclass
class Setup:
    """A scheduler on the scripted network; ``work`` plays the worker for what it sent."""

    rt: Runtime
    org: Organization
    connection_id: str
    provider: ScriptedProvider
    queue: RecordingQueue
    notifier: RecordingNotifier
    scheduler: Scheduler
    done: int = 0
    results: list[Post | None] = field(default_factory=list)

    async def post(self, *, in_minutes: float | None = None) -> Post:
        at = None if in_minutes is None else self.rt.clock.now() + timedelta(minutes=in_minutes)
        return await submit_post(self.rt, self.org.id, PostRequest(
            text="Hello", targets=[self.connection_id], schedule_at=at),
            source=PostSource(kind="cli"), actor="test", review_required=False)

    async def work(self) -> list[Post | None]:
        """Run every publish job sent since the last call, in order, as a worker would."""
        jobs, self.done = self.queue.published[self.done:], len(self.queue.published)
        ran = [await PostPublisher(self.rt, random.Random(7)).run(
            org_id, post_id, expected_version=version, trigger=trigger)
            for org_id, post_id, version, trigger in jobs]
        self.results += ran
        return ran

    async def stored(self, post: Post) -> Post:
        return await self.rt.store.get_post(post.org_id, post.id)


@pytest.fixture
async def setup(rt: Runtime) -> Setup:
    provider = ScriptedProvider()
    srt = runtime_with(rt, provider)
    org = await change_plan(srt, (await create_organization(srt, "Acme", actor="test")).id,
                            "business", actor="test")
    account = await provider.exchange_code(code="acme", redirect_uri="", code_verifier="")
    connection = await add_connection(srt, org.id, "scripted", account, actor="test")
    queue, notifier = RecordingQueue(), RecordingNotifier()
    return Setup(srt, org, connection.id, provider, queue, notifier,
                 Scheduler(srt, queue, LocalLeader(), notifier))


# -- reschedule and cancel against a queued message ----------------------------------------------

async def test_a_rescheduled_queued_post_ignores_its_old_message_and_goes_out_once_later(
        setup: Setup, clock: ManualClock) -> None:
    post = await setup.post()
    await setup.scheduler.tick()
    assert setup.queue.post_ids == [post.id]

    await reschedule_post(setup.rt, post.org_id, post.id, clock.now() + timedelta(hours=1),
                          actor="test")
    assert await setup.work() == [None]
    assert setup.provider.publish_calls == []

    assert (await setup.scheduler.tick()).dispatched == 0
    clock.advance(3600)
    assert (await setup.scheduler.tick()).dispatched == 1
    await setup.work()
    await setup.scheduler.tick()
    await setup.work()

    assert len(setup.provider.publish_calls) == 1
    assert (await setup.stored(post)).status is PostStatus.PUBLISHED


async def test_a_cancel_before_the_worker_runs_wins_and_nothing_is_published(
        setup: Setup) -> None:
    post = await setup.post()
    await setup.scheduler.tick()

    await cancel_post(setup.rt, post.org_id, post.id, actor="test")

    assert await setup.work() == [None]
    assert setup.provider.publish_calls == []
    assert (await setup.stored(post)).status is PostStatus.CANCELED


async def test_a_cancel_while_the_network_is_called_is_refused_and_the_post_goes_out(
        setup: Setup) -> None:
    post = await setup.post()
    refusals: list[InvalidTransition] = []

    async def person_cancels(call: PublishCall) -> None:
        try:
            await cancel_post(setup.rt, post.org_id, post.id, actor="test")
        except InvalidTransition as err:
            refusals.append(err)

    setup.provider.before_publish = person_cancels
    await setup.scheduler.tick()
    await setup.work()

    assert ["being published right now" in r.message for r in refusals] == [True]
    assert (await setup.stored(post)).status is PostStatus.PUBLISHED


# -- late posts ----------------------------------------------------------------------------------

async def test_a_post_due_20_minutes_ago_is_held_as_late_and_its_author_told_once(
        setup: Setup, clock: ManualClock) -> None:
    post = await setup.post()
    clock.advance(20 * 60)  # the scheduler was down

    first = await setup.scheduler.tick()
    second = await setup.scheduler.tick()

    assert (first.late, first.dispatched, second.late, second.dispatched) == (1, 0, 0, 0)
    assert setup.queue.published == []
    assert setup.notifier.late_ids() == [post.id]
    assert (await setup.stored(post)).status is PostStatus.LATE


async def test_publish_now_sends_a_late_post(setup: Setup, clock: ManualClock) -> None:
    post = await setup.post()
    clock.advance(20 * 60)
    await setup.scheduler.tick()

    await publish_now(setup.rt, setup.queue, post.org_id, post.id, actor="test")
    await setup.work()

    assert len(setup.provider.publish_calls) == 1
    assert (await setup.stored(post)).status is PostStatus.PUBLISHED


async def test_publish_now_without_a_queue_lets_the_next_tick_send_a_late_post(
        setup: Setup, clock: ManualClock) -> None:
    post = await setup.post()
    clock.advance(20 * 60)
    await setup.scheduler.tick()

    await publish_now(setup.rt, None, post.org_id, post.id, actor="test")
    report = await setup.scheduler.tick()
    await setup.work()

    assert (report.late, report.dispatched) == (0, 1)
    assert (await setup.stored(post)).status is PostStatus.PUBLISHED


async def test_a_post_due_10_minutes_ago_is_published_normally(
        setup: Setup, clock: ManualClock) -> None:
    post = await setup.post()
    clock.advance(10 * 60)

    report = await setup.scheduler.tick()
    await setup.work()

    assert (report.late, report.dispatched) == (0, 1)
    assert setup.notifier.late == []
    assert (await setup.stored(post)).status is PostStatus.PUBLISHED


async def test_a_retry_whose_backoff_passed_long_ago_is_sent_not_held(
        setup: Setup, clock: ManualClock) -> None:
    setup.provider.publish_answers = [ProviderError(ErrorKind.RETRY_AFTER, "Slow down.",
                                                    retry_after=60)]
    post = await setup.post()
    await setup.scheduler.tick()
    await setup.work()
    assert (await setup.stored(post)).status is PostStatus.SCHEDULED
    clock.advance(2 * 3600)

    report = await setup.scheduler.tick()
    await setup.work()

    assert (report.late, report.dispatched) == (0, 1)
    assert (await setup.stored(post)).status is PostStatus.PUBLISHED


async def test_no_post_is_dispatched_while_the_late_check_cannot_run(
        setup: Setup, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    await setup.post()
    clock.advance(20 * 60)

    async def late_check_fails(rt: Runtime, notifier: object, **excluding: object) -> int:
        raise ConnectionError("the database is down")

    monkeypatch.setattr(scheduler_module, "mark_late_posts", late_check_fails)
    report = await setup.scheduler.tick()

    assert (report.late, report.dispatched) == (0, 0)
    assert setup.queue.published == []


# -- with a real Dramatiq worker -----------------------------------------------------------------

class HeldQueue:
    """Claims go through; messages wait in ``held`` until released to the real queue."""

    def __init__(self, real: PublishQueue) -> None:
        self.real = real
        self.held: list[tuple[str, str, int, str]] = []

    async def enqueue_publish(self, org_id: str, post_id: str, version: int,
                              trigger: str) -> None:
        self.held.append((org_id, post_id, version, trigger))

    async def enqueue_canary(self) -> None:
        return None

    async def release(self) -> None:
        for message in self.held:
            await self.real.enqueue_publish(*message)
        self.held = []


async def test_a_real_worker_drops_the_message_of_a_rescheduled_post_and_publishes_it_later(
        rt: Runtime, clock: ManualClock, running_worker: RunningWorker,
        account: SandboxAccount) -> None:
    post = await due_post(rt, account)
    held = HeldQueue(running_worker.queue)
    await Scheduler(rt, held, LocalLeader(), RecordingNotifier()).tick()
    await reschedule_post(rt, post.org_id, post.id, clock.now() + timedelta(hours=1),
                          actor="test")

    await held.release()
    running_worker.broker.join("publish", timeout=5_000)
    assert await published_records(rt, account.connection.id) == []
    assert (await rt.store.get_post(post.org_id, post.id)).status is PostStatus.SCHEDULED

    clock.advance(3600)
    await Scheduler(rt, running_worker.queue, LocalLeader(), RecordingNotifier()).tick()

    await post_in_status(rt, post, PostStatus.PUBLISHED)
    assert len(await published_records(rt, account.connection.id)) == 1
