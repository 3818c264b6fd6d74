"""Reschedule, cancel and publish now: allowed moves, refusals, retries and lost races."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from postflow.connections import Connection
from postflow.errors import BadInput, InvalidTransition
from postflow.organizations import Organization
from postflow.post_status import transition
from postflow.posts import Post, PostSource, PostStatus, TargetStatus
from postflow.providers import ErrorKind, ProviderError
from postflow.runtime import Runtime
from postflow.store.port import Store
from postflow.usecases.connections import add_connection, connect_sandbox
from postflow.usecases.dispatch import claim_post, dispatch_due_posts
from postflow.usecases.organizations import change_plan, create_organization
from postflow.usecases.post_actions import cancel_post, publish_now, reschedule_post, share_next
from postflow.usecases.publish_post import PostPublisher
from postflow.usecases.queues import set_queue_settings
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.fakes.recording_queue import PublishJob, RecordingQueue
from tests.fakes.scripted_provider import Lost, ScriptedProvider, runtime_with


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    org = await create_organization(rt, "Acme", actor="cli")
    return await change_plan(rt, org.id, "business", actor="cli")


@pytest.fixture
async def sandbox(rt: Runtime, org: Organization) -> Connection:
    return await connect_sandbox(rt, org.id, "main", actor="cli")


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def provider() -> ScriptedProvider:
    return ScriptedProvider()


@pytest.fixture
def srt(rt: Runtime, provider: ScriptedProvider) -> Runtime:
    return runtime_with(rt, provider)


async def connect(srt: Runtime, org: Organization, name: str) -> Connection:
    account = await srt.providers.get("scripted").exchange_code(code=name, redirect_uri="",
                                                                code_verifier="")
    return await add_connection(srt, org.id, "scripted", account, actor="cli")


async def submit(rt: Runtime, org: Organization, connections: list[Connection], *,
                 in_hours: float | None = None, queue_slot: bool = False) -> Post:
    at = None if in_hours is None else rt.clock.now() + timedelta(hours=in_hours)
    return await submit_post(rt, org.id, PostRequest(text="Hello",
                                                     targets=[c.id for c in connections],
                                                     schedule_at=at, queue=queue_slot),
                             source=PostSource(kind="cli"), actor="cli", review_required=False)


async def publish_once(rt: Runtime, post: Post) -> Post:
    """Claim the post as stored and run its publish job once; the post as left."""
    claimed = await claim_post(rt, await rt.store.get_post(post.org_id, post.id))
    assert claimed is not None
    await PostPublisher(rt, random.Random(7)).run(post.org_id, post.id,
                                                  expected_version=claimed.version,
                                                  trigger="scheduler")
    return await rt.store.get_post(post.org_id, post.id)


async def force(rt: Runtime, post: Post, status: PostStatus) -> Post:
    """Store ``post`` in ``status`` whatever the state machine says (test set-up only)."""
    stored = await rt.store.get_post(post.org_id, post.id)
    forced = stored.model_copy(update={"status": status, "version": stored.version + 1})
    await rt.store.replace_post(forced, expected_version=stored.version)
    return forced


class RacedStore:
    """The store, except that ``racer`` writes first the next time a post is replaced."""

    def __init__(self, store: Store, racer: Callable[[], Awaitable[object]]) -> None:
        self._store = store
        self._racer: Callable[[], Awaitable[object]] | None = racer

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def replace_post(self, post: Post, expected_version: int,
                           **together: Any) -> None:
        racer, self._racer = self._racer, None
        if racer is not None:
            await racer()
        await self._store.replace_post(post, expected_version=expected_version, **together)


def raced(rt: Runtime, racer: Callable[[], Awaitable[object]]) -> Runtime:
    return dataclasses.replace(rt, store=RacedStore(rt.store, racer))  # type: ignore[arg-type]


def bad_input() -> ProviderError:
    return ProviderError(ErrorKind.BAD_INPUT, "Too spicy.")


def unknown() -> ProviderError:
    return ProviderError(ErrorKind.UNKNOWN, "The network hung up.")


# -- reschedule ----------------------------------------------------------------------------------

async def test_rescheduling_a_scheduled_post_moves_its_time(rt: Runtime, org: Organization,
                                                            sandbox: Connection) -> None:
    post = await submit(rt, org, [sandbox], in_hours=1)
    at = rt.clock.now() + timedelta(hours=3)

    moved = await reschedule_post(rt, org.id, post.id, at, actor="cli")

    assert (moved.status, moved.scheduled_at, moved.due_at, moved.version) == (
        PostStatus.SCHEDULED, at, at, post.version + 1)
    assert await rt.store.get_post(org.id, post.id) == moved


async def test_rescheduling_takes_a_time_in_any_offset_as_utc(rt: Runtime, org: Organization,
                                                              sandbox: Connection) -> None:
    post = await submit(rt, org, [sandbox], in_hours=1)
    paris_evening = datetime.fromisoformat("2026-11-25T20:00:00+01:00")

    moved = await reschedule_post(rt, org.id, post.id, paris_evening, actor="cli")

    assert moved.scheduled_at == datetime(2026, 11, 25, 19, 0, tzinfo=UTC)


async def test_rescheduling_a_post_placed_by_the_queue_makes_it_the_authors_time(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    post = await submit(rt, org, [sandbox], queue_slot=True)
    assert post.from_queue

    moved = await reschedule_post(rt, org.id, post.id, rt.clock.now() + timedelta(hours=5),
                                  actor="cli")

    assert moved.from_queue is False


async def test_rescheduling_a_queued_post_puts_it_back_on_the_schedule(
        rt: Runtime, org: Organization, sandbox: Connection, queue: RecordingQueue) -> None:
    post = await submit(rt, org, [sandbox])
    queued = await claim_post(rt, post)
    assert queued is not None

    moved = await reschedule_post(rt, org.id, post.id, rt.clock.now() + timedelta(hours=1),
                                  actor="cli")

    assert (moved.status, moved.version) == (PostStatus.SCHEDULED, queued.version + 1)


async def test_rescheduling_a_late_post_puts_it_back_on_the_schedule(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    post = await submit(rt, org, [sandbox])
    await force(rt, post, PostStatus.LATE)
    at = rt.clock.now() + timedelta(hours=1)

    moved = await reschedule_post(rt, org.id, post.id, at, actor="cli")

    assert (moved.status, moved.due_at) == (PostStatus.SCHEDULED, at)


async def test_rescheduling_a_partial_post_retries_only_its_failed_target(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    good, bad = await connect(srt, org, "good"), await connect(srt, org, "bad")
    provider.publish_answers = ["publish", bad_input()]
    partial = await publish_once(srt, await submit(srt, org, [good, bad]))
    assert partial.status is PostStatus.PARTIAL

    moved = await reschedule_post(srt, org.id, partial.id,
                                  srt.clock.now() + timedelta(hours=1), actor="cli")

    assert moved.status is PostStatus.SCHEDULED
    assert moved.target(good.id) == partial.target(good.id)
    retried = moved.target(bad.id)
    assert (retried.status, retried.current_attempt_id, retried.attempt_count) == (
        TargetStatus.PENDING, None, 0)


async def test_rescheduling_into_the_past_is_bad_input(rt: Runtime, org: Organization,
                                                       sandbox: Connection) -> None:
    post = await submit(rt, org, [sandbox], in_hours=1)

    with pytest.raises(BadInput, match="in the past"):
        await reschedule_post(rt, org.id, post.id, rt.clock.now() - timedelta(minutes=30),
                              actor="cli")

    assert await rt.store.get_post(org.id, post.id) == post


async def test_rescheduling_a_minute_into_the_past_means_now(rt: Runtime, org: Organization,
                                                             sandbox: Connection) -> None:
    post = await submit(rt, org, [sandbox], in_hours=1)

    moved = await reschedule_post(rt, org.id, post.id, rt.clock.now() - timedelta(minutes=1),
                                  actor="cli")

    assert moved.due_at == rt.clock.now()


async def test_rescheduling_needs_a_utc_offset(rt: Runtime, org: Organization,
                                               sandbox: Connection) -> None:
    post = await submit(rt, org, [sandbox], in_hours=1)

    with pytest.raises(BadInput, match="UTC offset"):
        await reschedule_post(rt, org.id, post.id, datetime(2026, 12, 1, 9, 0), actor="cli")  # noqa: DTZ001


async def test_rescheduling_while_publishing_is_refused(rt: Runtime, org: Organization,
                                                        sandbox: Connection) -> None:
    post = await force(rt, await submit(rt, org, [sandbox]), PostStatus.PUBLISHING)

    with pytest.raises(InvalidTransition, match="being published right now"):
        await reschedule_post(rt, org.id, post.id, rt.clock.now() + timedelta(hours=1),
                              actor="cli")


async def test_rescheduling_writes_the_action_and_the_status_change_to_the_audit_log(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    post = await submit(rt, org, [sandbox])
    assert await claim_post(rt, post) is not None
    at = rt.clock.now() + timedelta(hours=1)

    await reschedule_post(rt, org.id, post.id, at, actor="slack:U1")

    rescheduled, changed = (await rt.store.list_audit(org.id, subject_id=post.id))[-2:]
    assert (rescheduled.actor, rescheduled.action, rescheduled.data["scheduled_at"]) == (
        "slack:U1", "post.rescheduled", at.isoformat())
    assert (changed.action, changed.data["from"], changed.data["to"]) == (
        "post.status_changed", "queued", "scheduled")


async def test_a_reschedule_that_loses_to_a_claim_is_decided_again_on_the_queued_post(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    post = await submit(rt, org, [sandbox])
    at = rt.clock.now() + timedelta(hours=2)

    moved = await reschedule_post(raced(rt, lambda: claim_post(rt, post)), org.id, post.id, at,
                                  actor="cli")

    # The claim took version +1; the reschedule then moved Queued -> Scheduled as version +2.
    assert (moved.status, moved.due_at, moved.version) == (PostStatus.SCHEDULED, at,
                                                           post.version + 2)


# -- cancel ------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.APPROVED,
                                    PostStatus.SCHEDULED, PostStatus.QUEUED, PostStatus.LATE,
                                    PostStatus.FAILED], ids=str)
async def test_a_post_that_has_not_started_publishing_can_be_canceled(
        rt: Runtime, org: Organization, sandbox: Connection, status: PostStatus) -> None:
    post = await force(rt, await submit(rt, org, [sandbox]), status)

    canceled = await cancel_post(rt, org.id, post.id, actor="cli")

    assert (canceled.status, canceled.status_reason) == (PostStatus.CANCELED, "canceled by cli")
    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.CANCELED


async def test_canceling_while_publishing_is_refused_with_a_reason(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    post = await force(rt, await submit(rt, org, [sandbox]), PostStatus.PUBLISHING)

    with pytest.raises(InvalidTransition) as caught:
        await cancel_post(rt, org.id, post.id, actor="cli")

    assert caught.value.message == (
        f"Post {post.id} cannot be canceled: it is being published right now; try again in a "
        "moment or let it finish.")
    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.PUBLISHING


@pytest.mark.parametrize("status", [PostStatus.PUBLISHED, PostStatus.PARTIAL,
                                    PostStatus.CANCELED], ids=str)
async def test_a_post_that_went_out_or_was_canceled_cannot_be_canceled(
        rt: Runtime, org: Organization, sandbox: Connection, status: PostStatus) -> None:
    post = await force(rt, await submit(rt, org, [sandbox]), status)

    with pytest.raises(InvalidTransition):
        await cancel_post(rt, org.id, post.id, actor="cli")


async def test_a_cancel_that_loses_to_a_starting_worker_is_refused(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    queued = await claim_post(rt, await submit(rt, org, [sandbox]))
    assert queued is not None

    async def worker_starts() -> None:
        publishing = transition(queued, PostStatus.PUBLISHING, at=rt.clock.now())
        await rt.store.replace_post(publishing, expected_version=queued.version)

    with pytest.raises(InvalidTransition, match="being published right now"):
        await cancel_post(raced(rt, worker_starts), org.id, queued.id, actor="cli")


async def test_canceling_a_post_whose_retry_was_pending_says_what_already_went_out(
        srt: Runtime, org: Organization, provider: ScriptedProvider) -> None:
    good, slow = await connect(srt, org, "good"), await connect(srt, org, "slow")
    provider.publish_answers = ["publish", ProviderError(ErrorKind.RETRY_AFTER, "Slow down.",
                                                         retry_after=60)]
    retrying = await publish_once(srt, await submit(srt, org, [good, slow]))
    assert retrying.status is PostStatus.SCHEDULED

    canceled = await cancel_post(srt, org.id, retrying.id, actor="cli")

    assert canceled.status_reason == ("canceled by cli; 1 of 2 targets had already been "
                                      "published")


# -- publish now -------------------------------------------------------------------------------

async def test_publish_now_claims_a_scheduled_post_and_enqueues_it(
        rt: Runtime, org: Organization, sandbox: Connection, queue: RecordingQueue) -> None:
    post = await submit(rt, org, [sandbox], in_hours=5)

    queued = await publish_now(rt, queue, org.id, post.id, actor="cli")

    assert (queued.status, queued.due_at, queued.scheduled_at) == (
        PostStatus.QUEUED, rt.clock.now(), rt.clock.now())
    assert queue.jobs == [PublishJob(org.id, post.id, queued.version, "publish_now")]


async def test_publish_now_without_a_queue_leaves_the_post_due_for_the_scheduler(
        rt: Runtime, org: Organization, sandbox: Connection, queue: RecordingQueue) -> None:
    post = await submit(rt, org, [sandbox], in_hours=5)

    due = await publish_now(rt, None, org.id, post.id, actor="cli")

    assert (due.status, due.due_at) == (PostStatus.SCHEDULED, rt.clock.now())
    assert await dispatch_due_posts(rt, queue) == 1


async def test_publish_now_from_failed_retries_only_the_failed_target(
        srt: Runtime, org: Organization, provider: ScriptedProvider,
        queue: RecordingQueue) -> None:
    bad, lost = await connect(srt, org, "bad"), await connect(srt, org, "lost")
    provider.publish_answers = [bad_input(), Lost(unknown())]
    provider.check_answers = [unknown()]
    failed = await publish_once(srt, await submit(srt, org, [bad, lost]))
    assert [t.status for t in failed.targets] == [TargetStatus.FAILED, TargetStatus.UNCONFIRMED]
    calls_before = len(provider.publish_calls)

    await publish_now(srt, queue, org.id, failed.id, actor="cli")
    job = queue.jobs[-1]
    await PostPublisher(srt).run(org.id, failed.id, expected_version=job.version,
                                 trigger=job.trigger)

    done = await srt.store.get_post(org.id, failed.id)
    assert [c.account.connection_id for c in provider.publish_calls[calls_before:]] == [bad.id]
    assert [t.status for t in done.targets] == [TargetStatus.PUBLISHED,
                                                TargetStatus.UNCONFIRMED]
    assert done.status is PostStatus.PARTIAL


async def test_publish_now_with_include_unconfirmed_retries_the_unconfirmed_target_too(
        srt: Runtime, org: Organization, provider: ScriptedProvider,
        queue: RecordingQueue) -> None:
    lost = await connect(srt, org, "lost")
    provider.publish_answers = [Lost(unknown())]
    provider.check_answers = [unknown()]
    failed = await publish_once(srt, await submit(srt, org, [lost]))
    assert failed.target(lost.id).status is TargetStatus.UNCONFIRMED

    queued = await publish_now(srt, queue, org.id, failed.id, actor="cli",
                               include_unconfirmed=True)

    assert queued.target(lost.id).status is TargetStatus.PENDING


async def test_publish_now_with_only_unconfirmed_targets_asks_for_a_decision(
        srt: Runtime, org: Organization, provider: ScriptedProvider,
        queue: RecordingQueue) -> None:
    lost = await connect(srt, org, "lost")
    provider.publish_answers = [Lost(unknown())]
    provider.check_answers = [unknown()]
    failed = await publish_once(srt, await submit(srt, org, [lost]))

    with pytest.raises(BadInput, match="include-unconfirmed"):
        await publish_now(srt, queue, org.id, failed.id, actor="cli")

    assert queue.jobs == []


@pytest.mark.parametrize("status", [PostStatus.QUEUED, PostStatus.PUBLISHING,
                                    PostStatus.PUBLISHED, PostStatus.CANCELED,
                                    PostStatus.IN_REVIEW], ids=str)
async def test_publish_now_is_refused_for_a_post_not_waiting_on_the_schedule(
        rt: Runtime, org: Organization, sandbox: Connection, queue: RecordingQueue,
        status: PostStatus) -> None:
    post = await force(rt, await submit(rt, org, [sandbox]), status)

    with pytest.raises(InvalidTransition):
        await publish_now(rt, queue, org.id, post.id, actor="cli")

    assert queue.jobs == []


async def test_publish_now_of_a_late_post_sends_it(rt: Runtime, org: Organization,
                                                   sandbox: Connection, queue: RecordingQueue,
                                                   clock: ManualClock) -> None:
    post = await force(rt, await submit(rt, org, [sandbox]), PostStatus.LATE)
    clock.advance(3600)

    queued = await publish_now(rt, queue, org.id, post.id, actor="cli")

    assert (queued.status, queued.due_at) == (PostStatus.QUEUED, clock.now())
    assert queue.post_ids() == [post.id]


# -- share next (a post already in its queue) ----------------------------------------------------

#: Every day at 13:00, 15:00 and 17:00 UTC; the test clock reads Wednesday 2026-11-25 12:00 UTC.
EVERY_DAY = [(d, at) for d in range(7) for at in ("13:00", "15:00", "17:00")]


def slot(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


async def fill_queue(rt: Runtime, org: Organization, connection: Connection, count: int, *,
                     max_per_day: int | None = None) -> list[Post]:
    await set_queue_settings(rt, org.id, connection.id, slots=EVERY_DAY, timezone="UTC",
                             max_per_day=max_per_day, max_per_week=None, actor="cli")
    return [await submit(rt, org, [connection], queue_slot=True) for _ in range(count)]


async def times_of(rt: Runtime, posts: list[Post]) -> list[datetime | None]:
    return [(await rt.store.get_post(p.org_id, p.id)).scheduled_at for p in posts]


async def test_share_next_moves_a_queued_post_to_the_front_and_shifts_those_before_it(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    a, b, c, late, after = await fill_queue(rt, org, sandbox, 5)

    shared = await share_next(rt, org.id, late.id, actor="cli")

    assert (shared.post.scheduled_at, shared.post.due_at, shared.previous_scheduled_at) == (
        slot(25, 13), slot(25, 13), slot(26, 13))
    # The posts it jumped move back one slot each; the one after it keeps its slot.
    assert await times_of(rt, [late, a, b, c, after]) == [
        slot(25, 13), slot(25, 15), slot(25, 17), slot(26, 13), slot(26, 15)]
    assert sorted(p.id for p, _ in shared.shifted) == sorted([a.id, b.id, c.id])


async def test_share_next_bumps_the_version_so_an_older_message_does_nothing(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    _, second = await fill_queue(rt, org, sandbox, 2)

    shared = await share_next(rt, org.id, second.id, actor="cli")

    assert (shared.post.status, shared.post.version) == (PostStatus.SCHEDULED,
                                                         second.version + 1)
    assert await PostPublisher(rt).run(org.id, second.id, expected_version=second.version,
                                       trigger="scheduler") is None


async def test_share_next_keeps_the_shifted_posts_within_the_day_cap(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    # Two a day: Wednesday 13:00, 15:00, Thursday 13:00, 15:00.
    a, b, c, last = await fill_queue(rt, org, sandbox, 4, max_per_day=2)

    await share_next(rt, org.id, last.id, actor="cli")

    assert await times_of(rt, [last, a, b, c]) == [
        slot(25, 13), slot(25, 15), slot(26, 13), slot(26, 15)]


async def test_share_next_of_the_first_post_changes_nothing(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    first, second = await fill_queue(rt, org, sandbox, 2)

    shared = await share_next(rt, org.id, first.id, actor="cli")

    assert (shared.post.version, shared.shifted) == (first.version, ())
    assert await times_of(rt, [first, second]) == [slot(25, 13), slot(25, 15)]


async def test_share_next_is_audited_for_the_post_and_each_shifted_one(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    first, second = await fill_queue(rt, org, sandbox, 2)

    await share_next(rt, org.id, second.id, actor="cli")

    moved = (await rt.store.list_audit(org.id, subject_id=second.id))[-1]
    shifted = (await rt.store.list_audit(org.id, subject_id=first.id))[-1]
    assert (moved.action, moved.data["scheduled_at"], moved.data["previous_scheduled_at"],
            moved.data["shifted"]) == ("post.shared_next", slot(25, 13).isoformat(),
                                       slot(25, 15).isoformat(), 1)
    assert (shifted.action, shifted.data["scheduled_at"]) == ("post.queue_shifted",
                                                              slot(25, 15).isoformat())


async def test_share_next_of_a_post_with_its_own_time_is_bad_input(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    post = await submit(rt, org, [sandbox], in_hours=5)

    with pytest.raises(BadInput, match="not in a queue"):
        await share_next(rt, org.id, post.id, actor="cli")


async def test_share_next_of_a_claimed_post_is_refused(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    [post] = await fill_queue(rt, org, sandbox, 1)
    await force(rt, post, PostStatus.QUEUED)

    with pytest.raises(InvalidTransition, match="already queued"):
        await share_next(rt, org.id, post.id, actor="cli")


async def test_share_next_losing_to_a_cancel_is_refused_and_moves_nothing(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    first, second = await fill_queue(rt, org, sandbox, 2)

    async def cancel_it() -> None:
        await cancel_post(rt, org.id, second.id, actor="someone")

    with pytest.raises(InvalidTransition, match="canceled"):
        await share_next(raced(rt, cancel_it), org.id, second.id, actor="cli")

    assert await times_of(rt, [first]) == [slot(25, 13)]
