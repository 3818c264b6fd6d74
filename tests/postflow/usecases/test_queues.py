"""Per-connection queues through the use cases: settings, add to queue, freed slots, share next."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from postflow.connections import Connection
from postflow.errors import BadInput, NotFound
from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox, set_connection_timezone
from postflow.usecases.organizations import create_organization
from postflow.usecases.post_actions import cancel_post, reschedule_post
from postflow.usecases.queues import queue_settings_for, set_queue_settings, upcoming_queue
from postflow.usecases.submit_post import PostRequest, submit_post

#: Every day at 13:00, 15:00 and 17:00 (the test clock reads Wednesday 2026-11-25 12:00 UTC).
EVERY_DAY = [(d, at) for d in range(7) for at in ("13:00", "15:00", "17:00")]


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="cli", timezone="Asia/Kolkata")


@pytest.fixture
async def conn(rt: Runtime, org: Organization) -> Connection:
    return await connect_sandbox(rt, org.id, "main", actor="cli")


@pytest.fixture
async def other(rt: Runtime, org: Organization) -> Connection:
    return await connect_sandbox(rt, org.id, "other", actor="cli")


async def configure(rt: Runtime, org: Organization, conn: Connection, **fields: Any) -> None:
    values: dict[str, Any] = {"slots": EVERY_DAY, "timezone": "UTC", "max_per_day": None,
                              "max_per_week": None}
    await set_queue_settings(rt, org.id, conn.id, actor="cli", **(values | fields))


async def submit(rt: Runtime, org: Organization, *targets: Connection, **fields: Any) -> Post:
    request = PostRequest(**({"text": "Hello", "targets": [t.id for t in targets]} | fields))
    return await submit_post(rt, org.id, request, source=PostSource(kind="cli"), actor="cli",
                             review_required=False)


async def times(rt: Runtime, org: Organization, conn: Connection) -> list[datetime | None]:
    return [p.scheduled_at for p in await upcoming_queue(rt, org.id, conn.id)]


# -- settings ------------------------------------------------------------------------------------

async def test_a_connection_without_settings_uses_the_defaults_in_the_org_zone(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    settings = await queue_settings_for(rt, org.id, conn.id)

    assert (settings.timezone, len(settings.slots), settings.updated_at) == (
        "Asia/Kolkata", 15, None)


async def test_default_slots_follow_the_connections_own_zone(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    await set_connection_timezone(rt, org.id, conn.id, "America/New_York", actor="cli")

    settings = await queue_settings_for(rt, org.id, conn.id)
    post = await submit(rt, org, conn, queue=True)

    assert (settings.timezone, settings.updated_at) == ("America/New_York", None)
    assert post.scheduled_at == utc(25, 14)  # Wednesday 09:00 in New York


async def test_a_zone_named_by_the_request_wins_over_the_connections_for_default_slots(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    await set_connection_timezone(rt, org.id, conn.id, "America/New_York", actor="cli")

    post = await submit(rt, org, conn, queue=True, timezone="UTC")

    assert post.scheduled_at == utc(25, 13)


async def test_saving_slots_without_a_zone_keeps_the_connections_own(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    await set_connection_timezone(rt, org.id, conn.id, "Europe/Paris", actor="cli")

    saved = await set_queue_settings(rt, org.id, conn.id, slots=[(0, "09:00")], timezone=None,
                                     max_per_day=None, max_per_week=None, actor="cli")

    assert saved.timezone == "Europe/Paris"


async def test_a_queue_with_its_own_zone_keeps_it_when_the_connection_gets_one(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    await configure(rt, org, conn, timezone="Asia/Tokyo")

    await set_connection_timezone(rt, org.id, conn.id, "Europe/Paris", actor="cli")

    assert (await queue_settings_for(rt, org.id, conn.id)).timezone == "Asia/Tokyo"


async def test_settings_are_stored_audited_and_keep_the_zone_when_none_is_given(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    await configure(rt, org, conn, timezone="America/New_York")

    saved = await set_queue_settings(rt, org.id, conn.id, slots=[(0, "09:00")], timezone=None,
                                     max_per_day=2, max_per_week=None, actor="cli")

    assert await queue_settings_for(rt, org.id, conn.id) == saved
    assert (saved.timezone, saved.slots, saved.max_per_day) == (
        "America/New_York", [(0, "09:00")], 2)
    events = await rt.store.list_audit(org.id, subject_id=conn.id)
    assert events[-1].action == "queue.updated"
    assert events[-1].data["slots"] == "mon 09:00"


async def test_settings_of_an_unknown_connection_are_not_found(rt: Runtime,
                                                               org: Organization) -> None:
    with pytest.raises(NotFound):
        await set_queue_settings(rt, org.id, "conn_nope", slots=[(0, "09:00")], timezone=None,
                                 max_per_day=None, max_per_week=None, actor="cli")


# -- add to queue --------------------------------------------------------------------------------

async def test_a_queued_post_takes_the_connections_own_slot_and_zone(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    await configure(rt, org, conn, slots=[(2, "09:00")], timezone="America/New_York")

    post = await submit(rt, org, conn, queue=True)

    assert (post.scheduled_at, post.from_queue) == (utc(25, 14), True)


async def test_queued_posts_fill_the_slots_in_order(rt: Runtime, org: Organization,
                                                    conn: Connection) -> None:
    await configure(rt, org, conn)

    for _ in range(4):
        await submit(rt, org, conn, queue=True)

    assert await times(rt, org, conn) == [utc(25, 13), utc(25, 15), utc(25, 17), utc(26, 13)]


async def test_the_day_cap_sends_the_next_post_to_the_next_day(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    await configure(rt, org, conn, max_per_day=2)

    for _ in range(3):
        await submit(rt, org, conn, queue=True)

    assert await times(rt, org, conn) == [utc(25, 13), utc(25, 15), utc(26, 13)]


async def test_the_week_cap_sends_the_next_post_to_next_week(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    await configure(rt, org, conn, max_per_week=2)

    for _ in range(3):
        await submit(rt, org, conn, queue=True)

    # Monday 2026-11-30 starts the next ISO week.
    assert await times(rt, org, conn) == [utc(25, 13), utc(25, 15), utc(30, 13)]


async def test_a_post_to_two_connections_takes_a_slot_free_on_both(
        rt: Runtime, org: Organization, conn: Connection, other: Connection) -> None:
    await configure(rt, org, conn)
    await configure(rt, org, other)
    await submit(rt, org, other, queue=True)  # other's 13:00

    post = await submit(rt, org, conn, other, queue=True)

    assert post.scheduled_at == utc(25, 15)


# -- freed slots ---------------------------------------------------------------------------------

async def test_canceling_a_queued_post_frees_its_slot(rt: Runtime, org: Organization,
                                                      conn: Connection) -> None:
    await configure(rt, org, conn)
    first = await submit(rt, org, conn, queue=True)
    await cancel_post(rt, org.id, first.id, actor="cli")

    again = await submit(rt, org, conn, queue=True)

    assert again.scheduled_at == utc(25, 13)


async def test_rescheduling_a_queued_post_away_frees_its_slot(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    await configure(rt, org, conn)
    first = await submit(rt, org, conn, queue=True)
    await reschedule_post(rt, org.id, first.id, utc(28, 8), actor="cli")

    again = await submit(rt, org, conn, queue=True)

    assert again.scheduled_at == utc(25, 13)


async def test_a_published_post_still_counts_against_the_day_cap(
        rt: Runtime, org: Organization, conn: Connection, clock: Any) -> None:
    await configure(rt, org, conn, max_per_day=1)
    first = await submit(rt, org, conn, queue=True)
    await rt.store.replace_post(first.model_copy(update={
        "status": PostStatus.PUBLISHED, "version": first.version + 1}),
        expected_version=first.version)
    clock.advance(2 * 3600)  # 14:00: the first post's 13:00 is behind us

    post = await submit(rt, org, conn, queue=True)

    assert post.scheduled_at == utc(26, 13)


# -- share next ----------------------------------------------------------------------------------

async def test_share_next_takes_the_first_slot_and_pushes_the_queue_back(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    await configure(rt, org, conn)
    queued = [await submit(rt, org, conn, queue=True) for _ in range(3)]

    urgent = await submit(rt, org, conn, share_next=True)

    upcoming = await upcoming_queue(rt, org.id, conn.id)
    assert [p.id for p in upcoming] == [urgent.id, *(p.id for p in queued)]
    assert [p.scheduled_at for p in upcoming] == [
        utc(25, 13), utc(25, 15), utc(25, 17), utc(26, 13)]
    assert all(p.due_at == p.scheduled_at for p in upcoming)
    assert urgent.from_queue


async def test_share_next_stops_pushing_at_the_first_gap(rt: Runtime, org: Organization,
                                                         conn: Connection) -> None:
    await configure(rt, org, conn)
    first, second, third = [await submit(rt, org, conn, queue=True) for _ in range(3)]
    await cancel_post(rt, org.id, second.id, actor="cli")  # 15:00 is free now

    urgent = await submit(rt, org, conn, share_next=True)

    upcoming = await upcoming_queue(rt, org.id, conn.id)
    assert [(p.id, p.scheduled_at) for p in upcoming if p.status is not PostStatus.CANCELED] == [
        (urgent.id, utc(25, 13)), (first.id, utc(25, 15)), (third.id, utc(25, 17))]


async def test_share_next_on_an_empty_queue_is_the_first_slot(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    await configure(rt, org, conn)

    urgent = await submit(rt, org, conn, share_next=True)

    assert urgent.scheduled_at == utc(25, 13)


async def test_share_next_keeps_pushed_posts_within_caps(rt: Runtime, org: Organization,
                                                         conn: Connection) -> None:
    await configure(rt, org, conn, max_per_day=2)
    queued = [await submit(rt, org, conn, queue=True) for _ in range(2)]  # 13:00, 15:00

    await submit(rt, org, conn, share_next=True)

    moved = [await rt.store.get_post(org.id, p.id) for p in queued]
    assert [p.scheduled_at for p in moved] == [utc(25, 15), utc(26, 13)]


async def test_share_next_moves_a_post_its_day_no_longer_has_room_for(
        rt: Runtime, org: Organization, conn: Connection) -> None:
    await configure(rt, org, conn, max_per_day=2)
    # Wednesday 13:00 and 15:00, Thursday 13:00 and 15:00.
    queued = [await submit(rt, org, conn, queue=True) for _ in range(4)]

    await submit(rt, org, conn, share_next=True)

    moved = [(await rt.store.get_post(org.id, p.id)).scheduled_at for p in queued]
    assert moved == [utc(25, 15), utc(26, 13), utc(26, 15), utc(27, 13)]


async def test_share_next_pushes_a_shared_post_past_the_other_connections_slots(
        rt: Runtime, org: Organization, conn: Connection, other: Connection) -> None:
    await configure(rt, org, conn)
    await configure(rt, org, other)
    both = await submit(rt, org, conn, other, queue=True)    # 13:00 on both
    only_other = await submit(rt, org, other, queue=True)    # 15:00 on other

    await submit(rt, org, conn, share_next=True)

    assert (await rt.store.get_post(org.id, both.id)).scheduled_at == utc(25, 17)
    assert (await rt.store.get_post(org.id, only_other.id)).scheduled_at == utc(25, 15)
    for connection in (conn, other):
        slots = await times(rt, org, connection)
        assert len(slots) == len(set(slots))


async def test_share_next_with_a_time_is_bad_input(rt: Runtime, org: Organization,
                                                   conn: Connection) -> None:
    with pytest.raises(BadInput, match="not both"):
        await submit(rt, org, conn, share_next=True, schedule_at=utc(28, 9))


async def test_share_next_audits_each_pushed_post(rt: Runtime, org: Organization,
                                                  conn: Connection) -> None:
    await configure(rt, org, conn)
    queued = await submit(rt, org, conn, queue=True)

    await submit(rt, org, conn, share_next=True)

    events = await rt.store.list_audit(org.id, subject_id=queued.id)
    assert events[-1].action == "post.queue_shifted"
    assert events[-1].data["scheduled_at"] == utc(25, 15).isoformat()
