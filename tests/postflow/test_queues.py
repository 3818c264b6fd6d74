"""Queue settings: validation, slot parsing, and slot search with custom slots, zones and caps."""

from __future__ import annotations

import time as time_module
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from postflow.errors import BadInput
from postflow.queue_slots import QueueState, next_slot_for_all
from postflow.queues import QueueSettings, build_queue_settings, default_queue_settings, parse_slot

#: A Wednesday.
WED_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def settings(slots: list[tuple[int, str]], timezone: str = "UTC", *,
             max_per_day: int | None = None, max_per_week: int | None = None,
             connection_id: str = "conn_a") -> QueueSettings:
    return build_queue_settings(org_id="org_a", connection_id=connection_id, timezone=timezone,
                                slots=slots, max_per_day=max_per_day,
                                max_per_week=max_per_week, updated_at=WED_NOON)


@pytest.fixture(params=["Asia/Kolkata", "UTC", "America/New_York"], autouse=True)
def process_tz(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process TZ must never matter."""
    monkeypatch.setenv("TZ", request.param)
    time_module.tzset()
    try:
        yield request.param
    finally:
        monkeypatch.undo()
        time_module.tzset()


# -- validation ----------------------------------------------------------------------------------

def test_slots_are_kept_sorted_by_weekday_then_time() -> None:
    assert settings([(4, "13:00"), (0, "09:00"), (0, "08:30")]).slots == [
        (0, "08:30"), (0, "09:00"), (4, "13:00")]


@pytest.mark.parametrize(("slots", "message"), [
    ([], "at least one slot"),
    ([(7, "09:00")], "Weekday 7 is out of range"),
    ([(-1, "09:00")], "Weekday -1 is out of range"),
    ([(0, "9:00")], "not a time as HH:MM"),
    ([(0, "24:00")], "not a time as HH:MM"),
    ([(0, "09:60")], "not a time as HH:MM"),
    ([(0, "09:00"), (0, "09:00")], "mon 09:00 is given twice"),
])
def test_bad_slots_are_bad_input(slots: list[tuple[int, str]], message: str) -> None:
    with pytest.raises(BadInput, match=message):
        settings(slots)


@pytest.mark.parametrize("caps", [{"max_per_day": 0}, {"max_per_week": -2}])
def test_caps_below_one_are_bad_input(caps: dict[str, int]) -> None:
    with pytest.raises(BadInput, match="at least 1"):
        settings([(0, "09:00")], **caps)  # type: ignore[arg-type]


def test_an_unknown_zone_is_bad_input() -> None:
    with pytest.raises(BadInput, match="Mars/Olympus"):
        settings([(0, "09:00")], "Mars/Olympus")


def test_the_defaults_are_weekdays_at_nine_one_and_five() -> None:
    defaults = default_queue_settings("org_a", "conn_a", "Europe/Paris")

    assert len(defaults.slots) == 15
    assert defaults.slots[:3] == [(0, "09:00"), (0, "13:00"), (0, "17:00")]
    assert (defaults.timezone, defaults.max_per_day, defaults.updated_at) == (
        "Europe/Paris", None, None)


@pytest.mark.parametrize(("text", "slot"), [
    ("mon 09:00", (0, "09:00")), ("Wednesday 13:00", (2, "13:00")), ("6 07:15", (6, "07:15")),
])
def test_parse_slot_reads_a_weekday_and_a_time(text: str, slot: tuple[int, str]) -> None:
    assert parse_slot(text) == slot


@pytest.mark.parametrize("text", ["mon", "monx 09:00", "funday 09:00", "mon 09:00 extra"])
def test_parse_slot_refuses_what_is_not_a_slot(text: str) -> None:
    with pytest.raises(BadInput):
        parse_slot(text)


# -- the next slot -------------------------------------------------------------------------------

def test_custom_slots_are_read_in_the_queue_zone() -> None:
    new_york = QueueState(settings([(2, "09:00"), (4, "13:00")], "America/New_York"), [])

    # Wednesday 09:00 in New York is 14:00 UTC (EST, UTC-5).
    assert next_slot_for_all(WED_NOON, [new_york]) == utc(25, 14)


def test_the_same_slots_in_kolkata_are_other_instants() -> None:
    kolkata = QueueState(settings([(2, "09:00"), (4, "13:00")], "Asia/Kolkata"), [])

    # Wednesday 09:00 in Kolkata (03:30 UTC) has passed: Friday 13:00 IST is 07:30 UTC.
    assert next_slot_for_all(WED_NOON, [kolkata]) == utc(27, 7, 30)


def test_a_taken_custom_slot_is_skipped() -> None:
    queue = QueueState(settings([(2, "13:00"), (2, "15:00")]), [utc(25, 13)])

    assert next_slot_for_all(WED_NOON, [queue]) == utc(25, 15)


def test_a_full_day_moves_to_the_next_day() -> None:
    daily = [(d, "13:00") for d in range(7)] + [(d, "15:00") for d in range(7)]
    queue = QueueState(settings(daily, max_per_day=1), [utc(25, 9)])

    assert next_slot_for_all(WED_NOON, [queue]) == utc(26, 13)


def test_the_day_cap_counts_in_the_queue_zone() -> None:
    # 01:00 UTC Thursday is still Wednesday evening in New York: Wednesday is full there.
    daily = [(d, "10:00") for d in range(7)]
    queue = QueueState(settings(daily, "America/New_York", max_per_day=1), [utc(26, 1)])

    assert next_slot_for_all(WED_NOON, [queue]) == utc(26, 15)


def test_a_full_iso_week_moves_to_next_monday() -> None:
    daily = [(d, "13:00") for d in range(7)]
    queue = QueueState(settings(daily, max_per_week=2), [utc(23, 13), utc(24, 13)])

    assert next_slot_for_all(WED_NOON, [queue]) == utc(30, 13)


def test_several_targets_take_the_first_targets_slot_free_on_all() -> None:
    first = QueueState(settings([(2, "13:00"), (2, "15:00"), (2, "17:00")]), [])
    second = QueueState(settings([(0, "09:00")], connection_id="conn_b"), [utc(25, 13)])

    assert next_slot_for_all(WED_NOON, [first, second]) == utc(25, 15)


def test_several_targets_respect_each_targets_caps() -> None:
    first = QueueState(settings([(2, "13:00"), (3, "13:00")]), [])
    second = QueueState(settings([(0, "09:00")], connection_id="conn_b", max_per_day=1),
                        [utc(25, 8)])

    assert next_slot_for_all(WED_NOON, [first, second]) == utc(26, 13)
