"""Recurring posts: the recurrence rule, the arithmetic of its occurrences, and the series record.

A rule repeats at one wall-clock time in an IANA zone, either **weekly** on some weekdays or
**monthly** on one day of the month. A month without that day (the 29th to the 31st) uses its
last day instead: "monthly on the 31st" falls on 30 April and on 28 or 29 February, and is back
on the 31st in May. Each occurrence is turned into an instant by the one DST rule of
:mod:`postflow.local_time`: a time the clocks skip moves forward by the jump (02:30 becomes
03:30), a time they repeat means its first occurrence. So "09:00 New York" stays 09:00 on the
wall clock all year, and its UTC instant moves by an hour when the clocks change.

A rule starts on ``starts_on`` (a local date) and ends on ``until`` (a local date, inclusive)
or after ``count`` occurrences, or never. Occurrences are numbered from 1 on the calendar: an
occurrence that was skipped (the series was paused, the plan's limit was reached) still counts.

A :class:`RecurringSeries` is the stored record: the post template, the rule, and a cursor on
the next occurrence to create. Each occurrence becomes its own post, whose id is derived from
the series and the occurrence's local date (:func:`occurrence_post_id`), so it is created at
most once however many schedulers race.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from itertools import islice

from pydantic import BaseModel, ConfigDict, Field

from postflow.clock import UtcDatetime
from postflow.errors import BadInput
from postflow.local_time import ResolvedTime, in_zone, resolve_local_time
from postflow.posts import MediaRef
from postflow.queues import WEEKDAYS
from postflow.timezones import require_timezone

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: The most occurrences a ``count`` may ask for, and the furthest ``until`` may be.
MAX_COUNT = 1000
MAX_SPAN = timedelta(days=366 * 10)


class Frequency(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class RecurrenceRule(BaseModel):
    """When a series repeats; build one with :func:`build_rule`, which validates it."""

    model_config = ConfigDict(frozen=True)

    frequency: Frequency
    #: Weekly: weekdays 0 (Monday) .. 6 (Sunday), sorted, no repeats.
    weekdays: tuple[int, ...] = ()
    #: Monthly: 1..31; a month without that day uses its last day.
    day_of_month: int | None = None
    #: Local wall-clock time, ``HH:MM``.
    at: str
    #: IANA zone the date and time are read in.
    timezone: str
    #: The first local date an occurrence may fall on.
    starts_on: date
    #: The last local date an occurrence may fall on (inclusive); None: no end date.
    until: date | None = None
    #: How many occurrences in all; None: no limit.
    count: int | None = None

    @property
    def local_time(self) -> time:
        return time.fromisoformat(self.at)

    def describe(self) -> str:
        """``every mon, wed at 09:00 America/New_York, 10 times``."""
        if self.frequency is Frequency.WEEKLY:
            when = "every " + ", ".join(WEEKDAYS[d] for d in self.weekdays)
        else:
            when = f"monthly on day {self.day_of_month}"
        end = (f", until {self.until.isoformat()}" if self.until
               else f", {self.count} times" if self.count else "")
        return f"{when} at {self.at} {self.timezone}{end}"


def build_rule(*, frequency: Frequency, at: str, timezone: str, starts_on: date,
               weekdays: Sequence[int] = (), day_of_month: int | None = None,
               until: date | None = None, count: int | None = None) -> RecurrenceRule:
    """A validated rule; BadInput names the first problem."""
    require_timezone(timezone)
    if not _HHMM.match(at):
        raise BadInput(f"{at!r} is not a time as HH:MM (00:00 to 23:59).", details={"at": at})
    if frequency is Frequency.WEEKLY:
        if not weekdays or day_of_month is not None:
            raise BadInput("A weekly rule needs weekdays (such as mon,wed) and no day of month.")
        bad = [d for d in weekdays if not 0 <= d <= 6]
        if bad:
            raise BadInput(f"Weekday {bad[0]} is out of range: use 0 (Monday) to 6 (Sunday).",
                           details={"weekday": bad[0]})
        days = tuple(sorted(set(weekdays)))
    else:
        if day_of_month is None or weekdays:
            raise BadInput("A monthly rule needs a day of the month (1 to 31) and no weekdays.")
        if not 1 <= day_of_month <= 31:
            raise BadInput(f"Day {day_of_month} is not a day of the month: use 1 to 31 (a "
                           "month without that day uses its last day).",
                           details={"day_of_month": day_of_month})
        days = ()
    if until is not None and count is not None:
        raise BadInput("Give the series an end date or a number of occurrences, not both.")
    if count is not None and not 1 <= count <= MAX_COUNT:
        raise BadInput(f"The number of occurrences must be 1 to {MAX_COUNT}.",
                       details={"count": count})
    if until is not None:
        if until < starts_on:
            raise BadInput(f"The end date {until.isoformat()} is before the start "
                           f"{starts_on.isoformat()}.", details={"until": until.isoformat()})
        if until - starts_on > MAX_SPAN:
            raise BadInput("The end date is more than ten years after the start.",
                           details={"until": until.isoformat()})
    return RecurrenceRule(frequency=frequency, weekdays=days, day_of_month=day_of_month, at=at,
                          timezone=timezone, starts_on=starts_on, until=until, count=count)


def parse_weekdays(text: str) -> list[int]:
    """``"mon,wed"`` (short or full names, or 0-6 from Monday) as weekday numbers."""
    days: list[int] = []
    for part in (p.strip().lower() for p in text.split(",")):
        if part.isdigit() and int(part) <= 6:
            days.append(int(part))
        elif part in WEEKDAYS or part in _DAY_NAMES:
            days.append(WEEKDAYS.index(part[:3]))
        else:
            raise BadInput(f"{part!r} is not a weekday: use mon, tue, wed, thu, fri, sat or sun.",
                           details={"weekdays": text})
    return days


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a rule: its number (from 1), its local date and its resolved time."""

    number: int
    local_date: date
    time: ResolvedTime

    @property
    def utc(self) -> datetime:
        return self.time.utc

    @property
    def shifted(self) -> bool:
        """True when the DST rule had to move or choose the time (see ``time.note``)."""
        return self.time.adjustment is not None


def monthly_date(year: int, month: int, day_of_month: int) -> date:
    """``day_of_month`` in that month, or the month's last day when it is shorter."""
    return date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def _candidate_dates(rule: RecurrenceRule, from_date: date) -> Iterator[date]:
    """The rule's dates on or after ``from_date`` (and ``starts_on``), up to ``until``."""
    day = max(from_date, rule.starts_on)
    if rule.frequency is Frequency.WEEKLY:
        dates: Iterator[date] = (day + timedelta(days=i) for i in range(7 * 52 * 20))
        dates = (d for d in dates if d.weekday() in rule.weekdays)
    else:
        assert rule.day_of_month is not None
        dom = rule.day_of_month
        months = (divmod(day.year * 12 + day.month - 1 + i, 12) for i in range(12 * 20))
        dates = (d for d in (monthly_date(y, m + 1, dom) for y, m in months) if d >= day)
    for candidate in dates:
        if rule.until is not None and candidate > rule.until:
            return
        yield candidate


def occurrence_on(rule: RecurrenceRule, local_date: date, number: int) -> Occurrence:
    """The occurrence of ``rule`` on ``local_date``, resolved to an instant by the DST rule."""
    wall_clock = datetime.combine(local_date, rule.local_time)
    return Occurrence(number, local_date, resolve_local_time(wall_clock, rule.timezone))


def occurrences(rule: RecurrenceRule, *, from_date: date | None = None,
                first_number: int = 1) -> Iterator[Occurrence]:
    """The occurrences on or after ``from_date`` (default: the start), numbered from
    ``first_number``; ends at ``until`` or after occurrence number ``count``."""
    numbers = range(first_number, (rule.count or 10**9) + 1)
    for number, day in zip(numbers, _candidate_dates(rule, from_date or rule.starts_on),
                           strict=False):
        yield occurrence_on(rule, day, number)


def first_occurrence_after(rule: RecurrenceRule, instant: datetime) -> Occurrence | None:
    """The first occurrence later than ``instant``, numbered 1: where a series created at
    ``instant`` starts. None when the rule has none left (``until`` is past)."""
    today = in_zone(instant, rule.timezone).date()
    for day in _candidate_dates(rule, today):
        occurrence = occurrence_on(rule, day, 1)
        if occurrence.utc > instant:
            return occurrence
    return None


def next_after(rule: RecurrenceRule, occurrence: Occurrence) -> Occurrence | None:
    """The occurrence after ``occurrence``; None when the rule ends with it."""
    return next(occurrences(rule, from_date=occurrence.local_date + timedelta(days=1),
                            first_number=occurrence.number + 1), None)


def upcoming(rule: RecurrenceRule, start: Occurrence | None, limit: int) -> list[Occurrence]:
    """``start`` and the occurrences after it, ``limit`` in all."""
    if start is None:
        return []
    return list(islice(occurrences(rule, from_date=start.local_date,
                                   first_number=start.number), limit))


def occurrence_post_id(series_id: str, local_date: date) -> str:
    """The id of the post for the series' occurrence on ``local_date``.

    Deterministic, so the store's unique id makes creating it idempotent: two schedulers racing
    on one occurrence write one post. ``rec_3kq...`` on 2026-12-01 gives
    ``post_3kq..._20261201``: readable, and never equal to a random post id.
    """
    return f"post_{series_id.split('_', 1)[-1]}_{local_date.strftime('%Y%m%d')}"


class SeriesStatus(StrEnum):
    #: Creates its occurrences as they come within the horizon.
    ACTIVE = "active"
    #: Creates nothing until resumed; occurrences that pass meanwhile are skipped.
    PAUSED = "paused"
    #: Its last occurrence (``until`` or ``count``) was handled.
    ENDED = "ended"
    #: Stopped for good by a person; its occurrences not yet published were canceled.
    CANCELED = "canceled"


class RecurringSeries(BaseModel):
    """A recurring post: the template every occurrence is created from, its rule, and a cursor
    on the next occurrence to create."""

    id: str
    org_id: str
    text: str
    #: Per-network replacement text, keyed by network name.
    variants: dict[str, str] = Field(default_factory=dict)
    media: list[MediaRef] = Field(default_factory=list)
    #: Connection ids; each occurrence checks them again when it is created.
    targets: list[str]
    rule: RecurrenceRule
    status: SeriesStatus = SeriesStatus.ACTIVE
    status_reason: str = ""
    #: Who created the series; each occurrence's post is created in their name.
    created_by: str = ""
    created_at: UtcDatetime
    updated_at: UtcDatetime
    #: The next occurrence to handle: its number, local date and instant. None once ended.
    next_number: int = 1
    next_on: date | None = None
    next_at: UtcDatetime | None = None
    #: The last occurrence handled (its post created, or skipped).
    last_on: date | None = None
    last_at: UtcDatetime | None = None
    #: Occurrences that became posts, and those skipped (missed, paused, refused).
    created_count: int = 0
    skipped_count: int = 0
    #: Why the latest skipped occurrence was skipped, for showing back.
    last_skip_reason: str = ""
    #: Bumped by every write; the store refuses a write based on an older version.
    version: int = 1

    def next_occurrence(self) -> Occurrence | None:
        """The next occurrence to handle, from the cursor."""
        if self.next_on is None:
            return None
        return occurrence_on(self.rule, self.next_on, self.next_number)


def cursor_on(upcoming_occurrence: Occurrence | None) -> dict[str, object]:
    """The field changes that put the series' cursor on ``upcoming_occurrence`` (None: ended)."""
    if upcoming_occurrence is None:
        return {"next_on": None, "next_at": None}
    return {"next_number": upcoming_occurrence.number, "next_on": upcoming_occurrence.local_date,
            "next_at": upcoming_occurrence.utc}
