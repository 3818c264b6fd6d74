"""Recurrence rules: weekly and monthly occurrences at a local time, across DST, and their end."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import islice
from typing import Any

import pytest

from postflow.errors import BadInput
from postflow.local_time import in_zone
from postflow.recurrence import (
    Frequency,
    RecurrenceRule,
    build_rule,
    first_occurrence_after,
    monthly_date,
    next_after,
    occurrence_post_id,
    occurrences,
    parse_weekdays,
    upcoming,
)

NEW_YORK = "America/New_York"


def weekly(days: list[int], at: str = "09:00", tz: str = NEW_YORK,
           starts_on: date = date(2026, 1, 1), **fields: Any) -> RecurrenceRule:
    return build_rule(frequency=Frequency.WEEKLY, weekdays=days, at=at, timezone=tz,
                      starts_on=starts_on, **fields)


def monthly(day: int, at: str = "09:00", tz: str = NEW_YORK,
            starts_on: date = date(2026, 1, 1), **fields: Any) -> RecurrenceRule:
    return build_rule(frequency=Frequency.MONTHLY, day_of_month=day, at=at, timezone=tz,
                      starts_on=starts_on, **fields)


# -- weekly, and the DST changes ----------------------------------------------------------------

def test_weekly_falls_on_the_named_weekdays_in_order() -> None:
    rule = weekly([2, 0])  # wed, mon

    dates = [o.local_date for o in islice(occurrences(rule, from_date=date(2026, 6, 1)), 4)]

    assert dates == [date(2026, 6, 1), date(2026, 6, 3), date(2026, 6, 8), date(2026, 6, 10)]


def test_09_00_new_york_stays_09_00_across_spring_forward() -> None:
    rule = weekly([0])  # Mondays; the clocks jump forward on Sunday 2026-03-08

    before, after = islice(occurrences(rule, from_date=date(2026, 3, 2)), 2)

    assert (before.local_date, after.local_date) == (date(2026, 3, 2), date(2026, 3, 9))
    assert before.time.local.time() == after.time.local.time() == time(9, 0)
    assert before.utc == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert after.utc == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert not before.shifted and not after.shifted


def test_09_00_new_york_stays_09_00_across_fall_back() -> None:
    rule = weekly([0])  # the clocks fall back on Sunday 2026-11-01

    before, after = islice(occurrences(rule, from_date=date(2026, 10, 26)), 2)

    assert in_zone(before.utc, NEW_YORK).time() == in_zone(after.utc, NEW_YORK).time() == \
        time(9, 0)
    assert before.utc == datetime(2026, 10, 26, 13, 0, tzinfo=UTC)
    assert after.utc == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def test_02_30_on_the_spring_forward_day_moves_forward_by_the_jump() -> None:
    rule = weekly([6], at="02:30")  # Sundays

    week_before, gap_day, week_after = islice(occurrences(rule, from_date=date(2026, 3, 1)), 3)

    assert gap_day.local_date == date(2026, 3, 8)
    assert gap_day.shifted and gap_day.time.adjustment == "nonexistent"
    assert gap_day.time.local.strftime("%H:%M %Z") == "03:30 EDT"
    assert gap_day.utc == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert "does not exist" in gap_day.time.note
    # The weeks around it keep 02:30 local.
    assert not week_before.shifted and not week_after.shifted
    assert week_after.time.local.strftime("%H:%M") == "02:30"


def test_01_30_on_the_fall_back_day_means_the_first_one() -> None:
    rule = weekly([6], at="01:30")

    occurrence = next(occurrences(rule, from_date=date(2026, 11, 1)))

    assert occurrence.time.adjustment == "ambiguous"
    assert occurrence.utc == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT


# -- monthly -----------------------------------------------------------------------------------

def test_monthly_31st_falls_on_the_last_day_of_shorter_months() -> None:
    rule = monthly(31, starts_on=date(2026, 1, 1))

    dates = [o.local_date for o in islice(occurrences(rule), 6)]

    assert dates == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
                     date(2026, 5, 31), date(2026, 6, 30)]


def test_monthly_29th_in_a_leap_february() -> None:
    assert monthly_date(2028, 2, 29) == date(2028, 2, 29)
    assert monthly_date(2027, 2, 29) == date(2027, 2, 28)


def test_monthly_starts_at_the_first_matching_day_on_or_after_the_start() -> None:
    rule = monthly(15, starts_on=date(2026, 1, 20))

    assert next(occurrences(rule)).local_date == date(2026, 2, 15)


# -- where a series starts, and where it ends --------------------------------------------------

def test_first_occurrence_after_skips_todays_time_once_it_passed() -> None:
    rule = weekly([2], starts_on=date(2026, 11, 25))  # Wednesday 2026-11-25
    at_noon_utc = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 in New York

    first = first_occurrence_after(rule, at_noon_utc)

    assert first is not None
    assert (first.number, first.local_date) == (1, date(2026, 12, 2))


def test_count_ends_after_that_many_occurrences() -> None:
    rule = weekly([0, 3], count=3)

    listed = list(occurrences(rule))

    assert [o.number for o in listed] == [1, 2, 3]
    assert next_after(rule, listed[-1]) is None


def test_until_is_the_last_local_date_inclusive() -> None:
    rule = weekly([0], starts_on=date(2026, 6, 1), until=date(2026, 6, 15))

    assert [o.local_date for o in occurrences(rule)] == [
        date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15)]


def test_a_rule_whose_end_date_passed_has_no_first_occurrence() -> None:
    rule = weekly([0], starts_on=date(2026, 6, 1), until=date(2026, 6, 15))

    assert first_occurrence_after(rule, datetime(2026, 7, 1, tzinfo=UTC)) is None


def test_upcoming_continues_the_numbering_from_the_cursor() -> None:
    rule = weekly([0], count=10)
    start = next(occurrences(rule, from_date=date(2026, 2, 1), first_number=4))

    assert [o.number for o in upcoming(rule, start, 3)] == [4, 5, 6]


# -- input -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "message"), [
    ({"frequency": Frequency.WEEKLY, "weekdays": []}, "needs weekdays"),
    ({"frequency": Frequency.WEEKLY, "weekdays": [7]}, "out of range"),
    ({"frequency": Frequency.MONTHLY, "day_of_month": 32}, "1 to 31"),
    ({"frequency": Frequency.MONTHLY, "day_of_month": None}, "day of the month"),
    ({"frequency": Frequency.WEEKLY, "weekdays": [0], "at": "9am"}, "HH:MM"),
    ({"frequency": Frequency.WEEKLY, "weekdays": [0], "timezone": "Mars/Olympus"},
     "Mars/Olympus"),
    ({"frequency": Frequency.WEEKLY, "weekdays": [0], "count": 2, "until": date(2026, 2, 1)},
     "not both"),
    ({"frequency": Frequency.WEEKLY, "weekdays": [0], "count": 0}, "number of occurrences"),
    ({"frequency": Frequency.WEEKLY, "weekdays": [0], "until": date(2025, 1, 1)},
     "before the start"),
])
def test_bad_rules_are_refused_saying_why(fields: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"at": "09:00", "timezone": NEW_YORK,
                              "starts_on": date(2026, 1, 1)}
    with pytest.raises(BadInput) as caught:
        build_rule(**(values | fields))

    assert message in caught.value.message


def test_weekdays_read_names_full_names_and_numbers() -> None:
    assert parse_weekdays("mon, Wednesday,6") == [0, 2, 6]
    with pytest.raises(BadInput):
        parse_weekdays("mon,someday")


def test_occurrence_post_ids_are_deterministic_and_distinct_per_date() -> None:
    first = occurrence_post_id("rec_abc", date(2026, 12, 1))

    assert first == occurrence_post_id("rec_abc", date(2026, 12, 1)) == "post_abc_20261201"
    assert first != occurrence_post_id("rec_abc", date(2026, 12, 8))
    assert first != occurrence_post_id("rec_abd", date(2026, 12, 1))


@pytest.mark.parametrize("process_tz", ["UTC", "Asia/Kolkata", None])
def test_the_process_time_zone_changes_nothing(monkeypatch: pytest.MonkeyPatch,
                                               process_tz: str | None) -> None:
    if process_tz is None:
        monkeypatch.delenv("TZ", raising=False)
    else:
        monkeypatch.setenv("TZ", process_tz)

    occurrence = next(occurrences(weekly([0]), from_date=date(2026, 3, 9)))

    assert occurrence.utc == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
