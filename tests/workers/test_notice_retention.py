"""The scheduler leader deletes notices past their retention, on its periodic sweep."""

from __future__ import annotations

from postflow.ids import new_id
from postflow.inbox import InboxEntry
from postflow.runtime import Runtime
from postflow.usecases.inbox import RUN_EVERY
from tests.fakes.clock import ManualClock
from tests.workers.scenario import RecordingQueue
from workers.leader import LocalLeader
from workers.scheduler import Scheduler

DAY = 24 * 3600.0


class NeverLeader:
    async def acquire_or_renew(self) -> bool:
        return False

    async def release(self) -> None:
        return None


async def an_old_notice(rt: Runtime) -> None:
    await rt.store.insert_inbox_entries([InboxEntry(
        id=new_id("ntc"), org_id="org_a", member_id="mem_a", kind="post.failed",
        subject_id="post_1", text="failed", created_at=rt.clock.now())])


async def test_the_leader_deletes_notices_past_their_retention(
        rt: Runtime, clock: ManualClock, queue: RecordingQueue) -> None:
    await an_old_notice(rt)
    scheduler = Scheduler(rt, queue, LocalLeader())
    assert (await scheduler.tick()).notices_deleted == 0

    clock.advance(90 * DAY + 1)
    report = await scheduler.tick()

    assert report.notices_deleted == 1
    assert await rt.store.list_inbox_entries("org_a", "mem_a") == []


async def test_the_sweep_runs_once_per_period_not_every_tick(
        rt: Runtime, clock: ManualClock, queue: RecordingQueue) -> None:
    await an_old_notice(rt)
    clock.advance(90 * DAY - RUN_EVERY.total_seconds() / 2)
    scheduler = Scheduler(rt, queue, LocalLeader())
    assert (await scheduler.tick()).notices_deleted == 0  # the sweep ran: nothing old yet

    clock.advance(RUN_EVERY.total_seconds() / 2 + 1)  # now past the retention, not the period
    assert (await scheduler.tick()).notices_deleted == 0

    clock.advance(RUN_EVERY.total_seconds() / 2)
    assert (await scheduler.tick()).notices_deleted == 1


async def test_a_scheduler_that_does_not_lead_deletes_nothing(
        rt: Runtime, clock: ManualClock, queue: RecordingQueue) -> None:
    await an_old_notice(rt)
    clock.advance(91 * DAY)

    report = await Scheduler(rt, queue, NeverLeader()).tick()  # type: ignore[arg-type]

    assert report.notices_deleted == 0
    assert len(await rt.store.list_inbox_entries("org_a", "mem_a")) == 1
