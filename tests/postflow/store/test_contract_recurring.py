"""Store contract: recurring series — round trips, org scoping, compare-and-swap writes, the
materializer's due query, and the posts of a source."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from postflow.errors import Conflict, NotFound
from postflow.ids import new_id
from postflow.posts import MediaRef, PostSource
from postflow.recurrence import Frequency, RecurringSeries, SeriesStatus, build_rule
from postflow.store.port import Store
from tests.postflow.store.factories import T0, at, make_post


def make_series(org_id: str, **fields: Any) -> RecurringSeries:
    rule = build_rule(frequency=Frequency.WEEKLY, weekdays=[0, 2], at="09:00",
                      timezone="America/New_York", starts_on=date(2025, 3, 14),
                      until=date(2025, 12, 31))
    values: dict[str, Any] = {
        "id": new_id("rec"), "org_id": org_id, "text": "Weekly hello", "targets": ["conn_a"],
        "rule": rule, "created_by": "cli", "created_at": T0, "updated_at": T0,
        "next_number": 1, "next_on": date(2025, 3, 17), "next_at": at(60)}
    return RecurringSeries(**(values | fields))


def bumped(series: RecurringSeries, **changes: object) -> RecurringSeries:
    return series.model_copy(update={"version": series.version + 1, **changes})


async def test_series_round_trip_keeps_every_field(store: Store) -> None:
    series = make_series(
        "org_a", variants={"bluesky": "Hi, sky"},
        media=[MediaRef(url="https://cdn.example/a.png", content_type="image/png")],
        rule=build_rule(frequency=Frequency.MONTHLY, day_of_month=31, at="02:30",
                        timezone="Europe/Paris", starts_on=date(2025, 1, 1), count=12),
        status=SeriesStatus.PAUSED, status_reason="paused by cli", next_number=4,
        last_on=date(2025, 3, 10), last_at=at(-5), created_count=2, skipped_count=1,
        last_skip_reason="2025-02-28: limit", version=6, updated_at=at(3))
    await store.insert_series(series)

    assert await store.get_series("org_a", series.id) == series


async def test_inserting_a_series_id_twice_raises_conflict(store: Store) -> None:
    series = make_series("org_a")
    await store.insert_series(series)

    with pytest.raises(Conflict):
        await store.insert_series(series)


async def test_get_series_of_another_organization_raises_not_found(store: Store) -> None:
    series = make_series("org_a")
    await store.insert_series(series)

    with pytest.raises(NotFound):
        await store.get_series("org_b", series.id)


async def test_list_series_is_oldest_first_scoped_and_filtered(store: Store) -> None:
    older = make_series("org_a", created_at=at(0))
    newer = make_series("org_a", created_at=at(5), status=SeriesStatus.CANCELED)
    for series in (newer, older, make_series("org_b", created_at=at(1))):
        await store.insert_series(series)

    assert await store.list_series("org_a") == [older, newer]
    assert await store.list_series("org_a", [SeriesStatus.CANCELED]) == [newer]


async def test_replace_series_writes_the_expected_version(store: Store) -> None:
    series = make_series("org_a")
    await store.insert_series(series)
    paused = bumped(series, status=SeriesStatus.PAUSED, next_at=None, next_on=None)

    await store.replace_series(paused, expected_version=series.version)

    assert await store.get_series("org_a", series.id) == paused


async def test_replace_series_with_a_stale_version_raises_conflict(store: Store) -> None:
    series = make_series("org_a")
    await store.insert_series(series)
    await store.replace_series(bumped(series), expected_version=series.version)

    with pytest.raises(Conflict):
        await store.replace_series(bumped(series, text="late"), expected_version=series.version)


async def test_replace_series_that_does_not_exist_raises_not_found(store: Store) -> None:
    series = make_series("org_a")
    await store.insert_series(series)

    with pytest.raises(NotFound):
        await store.replace_series(bumped(series, org_id="org_b"),
                                   expected_version=series.version)


async def test_find_due_series_returns_active_series_due_earliest_first(store: Store) -> None:
    later = make_series("org_b", next_at=at(20))
    sooner = make_series("org_a", next_at=at(10))
    for series in (later, sooner,
                   make_series("org_a", next_at=at(30)),
                   make_series("org_a", next_at=at(5), status=SeriesStatus.PAUSED),
                   make_series("org_a", next_at=None, next_on=None, status=SeriesStatus.ENDED)):
        await store.insert_series(series)

    assert await store.find_due_series(at(25), limit=10) == [sooner, later]
    assert await store.find_due_series(at(25), limit=1) == [sooner]


async def test_a_replaced_series_is_due_by_its_new_time(store: Store) -> None:
    series = make_series("org_a", next_at=at(10))
    await store.insert_series(series)
    await store.replace_series(bumped(series, next_at=at(50)), expected_version=series.version)

    assert await store.find_due_series(at(25), limit=10) == []
    assert [s.id for s in await store.find_due_series(at(50), limit=10)] == [series.id]


async def test_list_posts_by_source_is_latest_scheduled_first_and_scoped(store: Store) -> None:
    source = PostSource(kind="recurring", ref="rec_1")
    first = make_post("org_a", source=source, scheduled_at=at(10))
    second = make_post("org_a", source=source, scheduled_at=at(20))
    for post in (first, second,
                 make_post("org_a", source=PostSource(kind="recurring", ref="rec_2"),
                           scheduled_at=at(15)),
                 make_post("org_a", source=PostSource(kind="hook", ref="rec_1"),
                           scheduled_at=at(15)),
                 make_post("org_b", source=source, scheduled_at=at(15))):
        await store.insert_post(post)

    assert await store.list_posts_by_source("org_a", "recurring", "rec_1") == [second, first]
    assert await store.list_posts_by_source("org_a", "recurring", "rec_1", limit=1) == [second]
