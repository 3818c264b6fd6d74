# ruff: noqa: DTZ001 - wall-clock times without an offset are what this module takes
"""The local-time rule: nonexistent times move forward, repeated ones take the first, and the
process's own TZ never matters."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from postflow.errors import BadInput
from postflow.local_time import in_zone, resolve_local_time


@pytest.fixture(params=["UTC", "Asia/Kolkata", None], ids=["TZ=UTC", "TZ=Asia/Kolkata", "TZ unset"])
def process_tz(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if request.param is None:
        monkeypatch.delenv("TZ", raising=False)
    else:
        monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("process_tz")
def test_an_ordinary_local_time_is_that_wall_clock_time() -> None:
    resolved = resolve_local_time(datetime(2026, 7, 1, 9, 0), "America/New_York")
    assert resolved.utc == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)
    assert resolved.local.isoformat() == "2026-07-01T09:00:00-04:00"
    assert (resolved.adjustment, resolved.note) == (None, "")


@pytest.mark.usefixtures("process_tz")
def test_a_time_in_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    resolved = resolve_local_time(datetime(2026, 3, 8, 2, 30), "America/New_York")
    assert resolved.utc == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert resolved.local.isoformat() == "2026-03-08T03:30:00-04:00"
    assert resolved.adjustment == "nonexistent"
    assert "02:30 does not exist on 2026-03-08" in resolved.note


@pytest.mark.usefixtures("process_tz")
def test_a_half_hour_gap_moves_forward_half_an_hour() -> None:
    resolved = resolve_local_time(datetime(2026, 10, 4, 2, 15), "Australia/Lord_Howe")
    assert resolved.local.isoformat() == "2026-10-04T02:45:00+11:00"
    assert resolved.adjustment == "nonexistent"


@pytest.mark.usefixtures("process_tz")
def test_a_time_repeated_at_fall_back_takes_the_first_occurrence() -> None:
    resolved = resolve_local_time(datetime(2026, 11, 1, 1, 30), "America/New_York")
    assert resolved.utc == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert resolved.local.isoformat() == "2026-11-01T01:30:00-04:00"
    assert resolved.adjustment == "ambiguous"
    assert "happens twice" in resolved.note


@pytest.mark.usefixtures("process_tz")
def test_the_same_wall_clock_time_in_another_zone_is_another_instant() -> None:
    paris = resolve_local_time(datetime(2026, 12, 1, 9, 0), "Europe/Paris")
    kolkata = resolve_local_time(datetime(2026, 12, 1, 9, 0), "Asia/Kolkata")
    assert paris.utc - kolkata.utc == timedelta(hours=4, minutes=30)


def test_an_aware_time_is_refused() -> None:
    with pytest.raises(ValueError, match="without an offset"):
        resolve_local_time(datetime(2026, 7, 1, 9, 0, tzinfo=UTC), "UTC")


def test_an_unknown_zone_is_bad_input() -> None:
    with pytest.raises(BadInput, match="IANA"):
        resolve_local_time(datetime(2026, 7, 1, 9, 0), "Mars/Olympus_Mons")


@pytest.mark.usefixtures("process_tz")
def test_in_zone_reads_an_instant_on_the_zones_wall_clock() -> None:
    assert in_zone(datetime(2026, 7, 1, 13, 0, tzinfo=UTC), "America/New_York").hour == 9
