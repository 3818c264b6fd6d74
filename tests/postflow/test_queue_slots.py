"""Queue slots: the next free weekly wall-clock slot, in the organization's zone."""

from __future__ import annotations

import time as time_module
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from postflow.errors import BadInput
from postflow.queue_slots import next_free_slot

NEW_YORK = ZoneInfo("America/New_York")
#: A Wednesday.
WED_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(params=["Asia/Kolkata", "UTC"])
def process_tz(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test with the process TZ set to something else than the org's zone."""
    monkeypatch.setenv("TZ", request.param)
    time_module.tzset()
    try:
        yield request.param
    finally:
        monkeypatch.undo()
        time_module.tzset()


def test_the_next_slot_is_the_first_one_after_now() -> None:
    assert next_free_slot(WED_NOON, [], "UTC") == utc(2026, 11, 25, 13, 0)


def test_a_slot_exactly_at_now_is_not_free() -> None:
    assert next_free_slot(utc(2026, 11, 25, 13, 0), [], "UTC") == utc(2026, 11, 25, 17, 0)


def test_taken_slots_are_skipped() -> None:
    taken = [utc(2026, 11, 25, 13, 0), utc(2026, 11, 25, 17, 0)]

    assert next_free_slot(WED_NOON, taken, "UTC") == utc(2026, 11, 26, 9, 0)


def test_a_taken_slot_given_in_another_zone_is_still_taken() -> None:
    taken = [utc(2026, 11, 25, 13, 0).astimezone(NEW_YORK)]

    assert next_free_slot(WED_NOON, taken, "UTC") == utc(2026, 11, 25, 17, 0)


def test_the_weekend_has_no_default_slots() -> None:
    friday_evening = utc(2026, 11, 27, 18, 0)

    assert next_free_slot(friday_evening, [], "UTC") == utc(2026, 11, 30, 9, 0)


def test_slots_are_wall_clock_times_in_the_given_zone() -> None:
    # 12:00 UTC is 07:00 in New York (EST, UTC-5): the next slot is 09:00 there.
    assert next_free_slot(WED_NOON, [], "America/New_York") == utc(2026, 11, 25, 14, 0)


def test_the_same_instant_gives_different_slots_in_different_zones() -> None:
    assert next_free_slot(WED_NOON, [], "UTC") != next_free_slot(WED_NOON, [], "America/New_York")


def test_a_slot_in_summer_time_uses_the_summer_offset() -> None:
    # July: New York is on EDT (UTC-4).
    assert next_free_slot(utc(2026, 7, 1, 12, 0), [], "America/New_York") == utc(2026, 7, 1, 13, 0)


def test_a_wall_clock_time_skipped_by_spring_forward_is_skipped() -> None:
    sunday_0230 = ((6, time(2, 30)),)
    # 2026-03-08 02:30 does not exist in New York; the next Sunday's does (EDT, UTC-4).
    found = next_free_slot(utc(2026, 3, 7, 12, 0), [], "America/New_York", slots=sunday_0230)

    assert found == utc(2026, 3, 15, 6, 30)


def test_no_slots_at_all_gives_none() -> None:
    assert next_free_slot(WED_NOON, [], "UTC", slots=()) is None


def test_an_unknown_zone_is_bad_input() -> None:
    with pytest.raises(BadInput, match="Mars/Olympus"):
        next_free_slot(WED_NOON, [], "Mars/Olympus")


def test_the_slot_does_not_depend_on_the_process_tz(process_tz: str) -> None:
    found = next_free_slot(WED_NOON, [utc(2026, 11, 25, 14, 0)], "America/New_York")

    assert found == utc(2026, 11, 25, 18, 0)


def test_the_spring_forward_gap_does_not_depend_on_the_process_tz(process_tz: str) -> None:
    sunday_0230 = ((6, time(2, 30)),)

    found = next_free_slot(utc(2026, 3, 7, 12, 0), [], "America/New_York", slots=sunday_0230)

    assert found == utc(2026, 3, 15, 6, 30)


def test_naive_taken_times_are_read_as_utc_not_the_process_tz(process_tz: str) -> None:
    # Stores hand back naive datetimes meaning UTC (see postflow.clock.as_utc).
    taken = [datetime(2026, 11, 25, 13, 0)]  # noqa: DTZ001

    assert next_free_slot(WED_NOON, taken, "UTC") == utc(2026, 11, 25, 17, 0)


def test_a_naive_start_is_read_as_utc_not_the_process_tz(process_tz: str) -> None:
    naive_noon = WED_NOON.replace(tzinfo=None)

    assert next_free_slot(naive_noon, [], "UTC") == utc(2026, 11, 25, 13, 0)


def test_the_result_is_utc() -> None:
    found = next_free_slot(WED_NOON, [], "America/New_York")

    assert found is not None
    assert found.utcoffset() == timedelta(0)
