"""Recurring posts: creating a series, each occurrence its own post created within 24 h of its
time and once only, publishing only when due, pause, resume, cancel, and the plan's limits."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.connections import Connection
from postflow.errors import BadInput, InvalidTransition, LimitReached
from postflow.local_time import in_zone
from postflow.organizations import Organization
from postflow.plans import DEFAULT_PLANS, Feature, Plan, PlanCatalog, PlanLimits
from postflow.posts import Post, PostStatus
from postflow.recurrence import Frequency, RecurringSeries, SeriesStatus, occurrence_post_id
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.organizations import change_plan, create_organization
from postflow.usecases.recurring_posts import (
    SOURCE_KIND,
    SeriesRequest,
    cancel_series,
    create_series,
    materialize_due_occurrences,
    pause_series,
    resume_series,
)
from tests.fakes.clock import ManualClock
from tests.workers.scenario import RecordingQueue
from workers.leader import LocalLeader
from workers.scheduler import Scheduler

NEW_YORK = "America/New_York"
#: The clock starts on Wednesday 2026-11-25 12:00 UTC (07:00 in New York), so Wednesday 09:00
#: New York (14:00 UTC) is two hours ahead and Thursday 09:00 is 26 hours ahead.
WED_0900 = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
THU_0900 = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    org = await create_organization(rt, "Acme", actor="cli", timezone=NEW_YORK)
    return await change_plan(rt, org.id, "pro", actor="test")


@pytest.fixture
async def sandbox(rt: Runtime, org: Organization) -> Connection:
    return await connect_sandbox(rt, org.id, "main", actor="cli")


async def create(rt: Runtime, org: Organization, sandbox: Connection,
                 **fields: Any) -> RecurringSeries:
    values: dict[str, Any] = {"text": "Weekly hello", "targets": [sandbox.id],
                              "frequency": Frequency.WEEKLY, "weekdays": [2, 3], "at": "09:00",
                              "timezone": NEW_YORK}
    return await create_series(rt, org.id, SeriesRequest(**(values | fields)), actor="cli")


async def posts_of(rt: Runtime, series: RecurringSeries) -> list[Post]:
    """The series' posts, earliest scheduled first."""
    posts = await rt.store.list_posts_by_source(series.org_id, SOURCE_KIND, series.id, 100)
    return sorted(posts, key=lambda p: (p.scheduled_at, p.id))


async def actions(rt: Runtime, series: RecurringSeries) -> list[str]:
    return [e.action for e in await rt.store.list_audit(series.org_id, subject_id=series.id)]


# -- creating ------------------------------------------------------------------------------------

async def test_creating_a_series_creates_no_post(rt: Runtime, org: Organization,
                                                 sandbox: Connection) -> None:
    series = await create(rt, org, sandbox)

    assert await rt.store.list_posts(org.id) == []
    assert (series.status, series.next_number, series.next_on, series.next_at) == (
        SeriesStatus.ACTIVE, 1, date(2026, 11, 25), WED_0900)
    assert await actions(rt, series) == ["recurring.created"]


async def test_a_plan_without_recurring_posts_refuses_the_series(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    await change_plan(rt, org.id, "free", actor="test")

    with pytest.raises(LimitReached) as caught:
        await create(rt, org, sandbox)

    assert caught.value.message == ("Your Free plan does not include recurring posts. It comes "
                                    "with the Pro plan.")


async def test_an_unknown_target_refuses_the_series(rt: Runtime, org: Organization,
                                                    sandbox: Connection) -> None:
    with pytest.raises(BadInput, match="Unknown target 'conn_nope'"):
        await create(rt, org, sandbox, targets=["conn_nope"])


# -- materializing -------------------------------------------------------------------------------

async def test_the_occurrence_within_24_hours_becomes_its_own_scheduled_post(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    series = await create(rt, org, sandbox)

    report = await materialize_due_occurrences(rt)

    assert report.created == 1
    [post] = await posts_of(rt, series)
    assert post.id == occurrence_post_id(series.id, date(2026, 11, 25))
    assert (post.status, post.scheduled_at, post.due_at) == (
        PostStatus.SCHEDULED, WED_0900, WED_0900)
    assert (post.source.kind, post.source.ref, post.timezone, post.text) == (
        "recurring", series.id, NEW_YORK, "Weekly hello")
    stored = await rt.store.get_series(org.id, series.id)
    assert (stored.created_count, stored.next_on, stored.next_at) == (
        1, date(2026, 11, 26), THU_0900)


async def test_materializing_twice_creates_one_post_per_occurrence(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock) -> None:
    series = await create(rt, org, sandbox)

    await materialize_due_occurrences(rt)
    second = await materialize_due_occurrences(rt)
    clock.advance(24 * 3600)
    await materialize_due_occurrences(rt)
    await materialize_due_occurrences(rt)

    assert second.created == 0
    assert [p.scheduled_at for p in await posts_of(rt, series)] == [WED_0900, THU_0900]


async def test_two_concurrent_materializers_create_one_post_per_occurrence(
        rt: Runtime, settings: Settings, clock: ManualClock, org: Organization,
        sandbox: Connection) -> None:
    many = [await create(rt, org, sandbox, text=f"Series {i}") for i in range(5)]
    other = await open_runtime(settings, clock=clock)  # a second process on the same database
    try:
        reports = await asyncio.gather(materialize_due_occurrences(rt),
                                       materialize_due_occurrences(other),
                                       materialize_due_occurrences(rt))
    finally:
        await other.store.close()

    assert sum(r.created for r in reports) == 5
    for series in many:
        assert [p.scheduled_at for p in await posts_of(rt, series)] == [WED_0900]
        assert (await rt.store.get_series(org.id, series.id)).created_count == 1


async def test_a_series_counts_against_the_monthly_limit_like_any_post(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    await create(rt, org, sandbox)

    await materialize_due_occurrences(rt)

    assert await rt.store.get_usage(org.id, "scheduled_posts_per_month", "2026-11") == 1


async def test_an_occurrence_over_the_plan_limit_is_skipped_saying_why(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock) -> None:
    tight = Plan(key="team", name="Team", limits=PlanLimits(scheduled_posts_per_month=1),
                 features=frozenset({Feature.RECURRING_POSTS}))
    rt = dataclasses.replace(rt, plans=PlanCatalog(default="free",
                                                   plans=[*DEFAULT_PLANS.plans, tight]))
    await change_plan(rt, org.id, "team", actor="test")
    series = await create(rt, org, sandbox)
    await materialize_due_occurrences(rt)
    clock.advance(24 * 3600)

    report = await materialize_due_occurrences(rt)

    assert (report.created, report.skipped) == (0, 1)
    assert [p.scheduled_at for p in await posts_of(rt, series)] == [WED_0900]
    stored = await rt.store.get_series(org.id, series.id)
    assert stored.skipped_count == 1 and stored.status is SeriesStatus.ACTIVE
    assert stored.last_skip_reason == (
        "2026-11-26: Your Team plan allows 1 scheduled posts a month and you have used 1.")
    [skipped] = [e for e in await rt.store.list_audit(org.id, subject_id=series.id)
                 if e.action == "recurring.occurrence_skipped"]
    assert skipped.data["local_date"] == "2026-11-26"
    assert "allows 1 scheduled posts a month" in str(skipped.data["reason"])


async def test_occurrences_passed_while_postflow_was_down_are_missed_not_published(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock) -> None:
    series = await create(rt, org, sandbox)
    clock.advance(3 * 24 * 3600)  # Saturday: Wednesday's and Thursday's times passed unseen

    report = await materialize_due_occurrences(rt)

    assert (report.created, report.missed) == (0, 2)
    assert await posts_of(rt, series) == []
    stored = await rt.store.get_series(org.id, series.id)
    assert stored.next_on == date(2026, 12, 2)


async def test_count_ends_the_series_after_its_last_occurrence(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    series = await create(rt, org, sandbox, count=1)

    await materialize_due_occurrences(rt)

    stored = await rt.store.get_series(org.id, series.id)
    assert (stored.status, stored.next_at, stored.created_count) == (SeriesStatus.ENDED, None, 1)
    assert "recurring.ended" in await actions(rt, series)


async def test_09_00_new_york_stays_09_00_when_the_clocks_change(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock) -> None:
    clock.set(datetime(2027, 3, 5, 12, 0, tzinfo=UTC))  # Friday; clocks jump forward 03-14
    series = await create(rt, org, sandbox, weekdays=[0])
    for day in (datetime(2027, 3, 7, 15, 0, tzinfo=UTC), datetime(2027, 3, 14, 15, 0, tzinfo=UTC)):
        clock.set(day)
        await materialize_due_occurrences(rt)

    posts = await posts_of(rt, series)

    assert [p.scheduled_at for p in posts] == [datetime(2027, 3, 8, 14, 0, tzinfo=UTC),
                                               datetime(2027, 3, 15, 13, 0, tzinfo=UTC)]
    local = [in_zone(p.scheduled_at, NEW_YORK).strftime("%H:%M %Z")
             for p in posts if p.scheduled_at]
    assert local == ["09:00 EST", "09:00 EDT"]
    assert all(p.time_note == "" for p in posts)


async def test_02_30_on_the_spring_forward_day_is_posted_at_03_30_with_a_note(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock) -> None:
    clock.set(datetime(2027, 3, 13, 12, 0, tzinfo=UTC))  # Saturday before the jump
    series = await create(rt, org, sandbox, weekdays=[6], at="02:30")

    await materialize_due_occurrences(rt)

    [post] = await posts_of(rt, series)
    assert post.scheduled_at == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)  # 03:30 EDT
    assert "does not exist" in post.time_note


# -- only the due occurrence fires ---------------------------------------------------------------

async def test_only_the_occurrence_whose_time_came_is_dispatched(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock) -> None:
    series = await create(rt, org, sandbox)
    queue = RecordingQueue()
    scheduler = Scheduler(rt, queue, LocalLeader())

    first = await scheduler.tick()
    clock.set(WED_0900 - timedelta(seconds=1))
    early = await scheduler.tick()
    clock.set(WED_0900)
    due = await scheduler.tick()

    assert (first.materialized, first.dispatched, early.dispatched) == (1, 0, 0)
    assert due.dispatched == 1
    assert queue.post_ids == [occurrence_post_id(series.id, date(2026, 11, 25))]


async def test_series_created_together_publish_each_at_its_own_time(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock) -> None:
    times = ["09:00", "09:30", "10:00"]
    created = [await create(rt, org, sandbox, at=at, weekdays=[2]) for at in times]
    queue = RecordingQueue()
    scheduler = Scheduler(rt, queue, LocalLeader())

    assert (await scheduler.tick()).dispatched == 0
    sent: list[list[str]] = []
    for minutes in (0, 30, 60):
        clock.set(WED_0900 + timedelta(minutes=minutes))
        await scheduler.tick()
        # Dispatches only: with no worker here, the reconciler resends what stays Queued.
        sent.append([post_id for _, post_id, _, trigger in queue.published
                     if trigger == "scheduler"])

    ids = [occurrence_post_id(s.id, date(2026, 11, 25)) for s in created]
    assert sent == [ids[:1], ids[:2], ids]


# -- pause, resume, cancel -----------------------------------------------------------------------

async def test_canceling_a_series_cancels_its_waiting_posts_and_creates_no_more(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock) -> None:
    series = await create(rt, org, sandbox)
    await materialize_due_occurrences(rt)

    done = await cancel_series(rt, org.id, series.id, actor="cli")
    clock.advance(7 * 24 * 3600)
    report = await materialize_due_occurrences(rt)

    assert done.series.status is SeriesStatus.CANCELED and done.series.next_at is None
    assert [p.id for p in done.canceled] == [occurrence_post_id(series.id, date(2026, 11, 25))]
    assert report.created == 0
    assert [p.status for p in await posts_of(rt, series)] == [PostStatus.CANCELED]
    with pytest.raises(InvalidTransition):
        await cancel_series(rt, org.id, series.id, actor="cli")


async def test_a_materializer_racing_a_cancel_withdraws_the_post_it_created(
        rt: Runtime, org: Organization, sandbox: Connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    series = await create(rt, org, sandbox)
    stale = await rt.store.get_series(org.id, series.id)
    await cancel_series(rt, org.id, series.id, actor="cli")

    async def stale_read(before: datetime, limit: int) -> list[RecurringSeries]:
        return [stale]  # read just before the cancel was written

    monkeypatch.setattr(rt.store, "find_due_series", stale_read)
    await materialize_due_occurrences(rt)

    assert [p.status for p in await posts_of(rt, series)] == [PostStatus.CANCELED]


async def test_pausing_keeps_created_posts_and_resuming_skips_what_passed(
        rt: Runtime, org: Organization, sandbox: Connection, clock: ManualClock) -> None:
    series = await create(rt, org, sandbox)
    await materialize_due_occurrences(rt)  # Wednesday's post

    await pause_series(rt, org.id, series.id, actor="cli")
    clock.advance(2 * 24 * 3600)  # Friday: Thursday passed while paused
    assert (await materialize_due_occurrences(rt)).created == 0
    resumed = await resume_series(rt, org.id, series.id, actor="cli")

    assert [p.status for p in await posts_of(rt, series)] == [PostStatus.SCHEDULED]
    assert (resumed.status, resumed.next_on, resumed.skipped_count) == (
        SeriesStatus.ACTIVE, date(2026, 12, 2), 1)
    assert "recurring.paused" in await actions(rt, series)
