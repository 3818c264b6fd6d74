"""The late-post policy: a post never tried and due past the grace period waits for a person."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import pytest

from postflow.connections import Connection
from postflow.notices.router import NoticeRouter
from postflow.notifications import LogSink
from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus
from postflow.providers import ErrorKind, ProviderError
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection, connect_sandbox
from postflow.usecases.dispatch import claim_post
from postflow.usecases.late_posts import how_long, mark_late_posts
from postflow.usecases.organizations import change_plan, create_organization
from postflow.usecases.post_actions import reschedule_post
from postflow.usecases.publish_post import PostPublisher
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.fakes.recording_notifier import RecordingNotifier
from tests.fakes.scripted_provider import ScriptedProvider, runtime_with


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    org = await create_organization(rt, "Acme", actor="cli")
    return await change_plan(rt, org.id, "business", actor="cli")


@pytest.fixture
async def sandbox(rt: Runtime, org: Organization) -> Connection:
    return await connect_sandbox(rt, org.id, "main", actor="cli")


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


async def due_now(rt: Runtime, org: Organization, connections: list[Connection]) -> Post:
    return await submit_post(rt, org.id, PostRequest(text="Hello",
                                                     targets=[c.id for c in connections]),
                             source=PostSource(kind="cli"), actor="cli", review_required=False)


async def test_a_post_never_tried_and_due_20_minutes_ago_becomes_late(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    post = await due_now(rt, org, [sandbox])
    clock.advance(20 * 60)

    assert await mark_late_posts(rt, notifier) == 1

    stored = await rt.store.get_post(org.id, post.id)
    assert (stored.status, stored.version) == (PostStatus.LATE, post.version + 1)
    assert stored.status_reason.startswith(
        "late: it was due at 2026-11-25 12:00 UTC, 20 minutes ago, and was not published")


async def test_a_post_due_10_minutes_ago_is_not_late(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    post = await due_now(rt, org, [sandbox])
    clock.advance(10 * 60)

    assert await mark_late_posts(rt, notifier) == 0

    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.SCHEDULED


async def test_the_grace_period_comes_from_the_settings(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    patient = dataclasses.replace(
        rt, settings=rt.settings.model_copy(update={"late_grace_minutes": 30}))
    await due_now(rt, org, [sandbox])
    clock.advance(20 * 60)

    assert await mark_late_posts(patient, notifier) == 0


async def test_a_retry_whose_backoff_passed_long_ago_is_not_late(
        rt: Runtime, org: Organization, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    provider = ScriptedProvider(publish_answers=[
        ProviderError(ErrorKind.RETRY_AFTER, "Slow down.", retry_after=60)])
    srt = runtime_with(rt, provider)
    account = await provider.exchange_code(code="acme", redirect_uri="", code_verifier="")
    connection = await add_connection(srt, org.id, "scripted", account, actor="cli")
    claimed = await claim_post(srt, await due_now(srt, org, [connection]))
    assert claimed is not None
    retrying = await PostPublisher(srt, random.Random(7)).run(
        org.id, claimed.id, expected_version=claimed.version, trigger="scheduler")
    assert retrying is not None and retrying.status is PostStatus.SCHEDULED
    clock.advance(3 * 3600)

    assert await mark_late_posts(srt, notifier) == 0
    assert (await srt.store.get_post(org.id, claimed.id)).status is PostStatus.SCHEDULED


async def test_a_queued_post_is_never_marked_late(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    assert await claim_post(rt, await due_now(rt, org, [sandbox])) is not None
    clock.advance(3600)

    assert await mark_late_posts(rt, notifier) == 0


async def test_the_notifier_hears_of_a_late_post_once(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    post = await due_now(rt, org, [sandbox])
    clock.advance(20 * 60)

    await mark_late_posts(rt, notifier)
    await mark_late_posts(rt, notifier)

    assert notifier.late_ids() == [post.id]
    assert notifier.late[0].status is PostStatus.LATE


async def test_marking_a_post_late_is_audited(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    post = await due_now(rt, org, [sandbox])
    clock.advance(20 * 60)

    await mark_late_posts(rt, notifier)

    changed, late = (await rt.store.list_audit(org.id, subject_id=post.id))[-2:]
    assert (changed.action, changed.data["from"], changed.data["to"]) == (
        "post.status_changed", "scheduled", "late")
    assert (late.actor, late.action, late.data) == (
        "scheduler", "post.late", {"due_at": post.due_at.isoformat() if post.due_at else None,
                                   "minutes_late": 20})


async def test_a_failing_notifier_does_not_keep_other_posts_from_being_marked(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock) -> None:
    posts = [await due_now(rt, org, [sandbox]) for _ in range(2)]
    clock.advance(20 * 60)
    broken = RecordingNotifier(failure=ConnectionError("chat is down"))

    assert await mark_late_posts(rt, broken) == 2

    for post in posts:
        assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.LATE


async def test_a_post_rescheduled_after_failing_counts_as_never_tried(
        rt: Runtime, org: Organization, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    provider = ScriptedProvider(publish_answers=[ProviderError(ErrorKind.BAD_INPUT, "No.")])
    srt = runtime_with(rt, provider)
    account = await provider.exchange_code(code="acme", redirect_uri="", code_verifier="")
    connection = await add_connection(srt, org.id, "scripted", account, actor="cli")
    claimed = await claim_post(srt, await due_now(srt, org, [connection]))
    assert claimed is not None
    await PostPublisher(srt).run(org.id, claimed.id, expected_version=claimed.version,
                                 trigger="scheduler")
    await reschedule_post(srt, org.id, claimed.id, clock.now() + timedelta(hours=1), actor="cli")
    clock.advance(3600 + 20 * 60)

    assert await mark_late_posts(srt, notifier) == 1


async def test_the_logging_notifier_writes_one_line_without_the_text(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock,
        caplog: pytest.LogCaptureFixture) -> None:
    post = await due_now(rt, org, [sandbox])
    clock.advance(20 * 60)

    with caplog.at_level("WARNING", logger="postflow.notifications"):
        await mark_late_posts(rt, NoticeRouter([LogSink()]))

    lines = [r.getMessage() for r in caplog.records if r.name == "postflow.notifications"]
    assert len(lines) == 1
    assert post.id in lines[0] and "Hello" not in lines[0]


@pytest.mark.parametrize(("minutes", "said"), [(0.5, "less than a minute"), (1, "1 minute"),
                                               (20, "20 minutes"), (185, "3 hours 5 minutes"),
                                               (2 * 1440 + 240 + 7, "2 days 4 hours")])
def test_how_long_says_at_most_two_units(minutes: float, said: str) -> None:
    assert how_long(timedelta(minutes=minutes)) == said
