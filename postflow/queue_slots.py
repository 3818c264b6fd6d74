"""Queue slots: weekly wall-clock times at which queued posts go out, in a queue's time zone.

A connection without stored settings uses the default slots (weekdays 09:00, 13:00 and 17:00).
A wall-clock time that does not exist on a day (a spring-forward gap) is skipped.

A post to several connections takes a slot by one rule: candidates are the slots of its *first*
target's queue, and the first candidate that is free and within the caps on *every* target's
queue wins. The other targets' queues then hold that instant as taken and count it against
their caps, even when it is not one of their own slots.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from postflow.clock import as_utc
from postflow.queues import QueueSettings
from postflow.timezones import zone

#: (weekday 0=Monday, local time)
DEFAULT_SLOTS: tuple[tuple[int, time], ...] = tuple(
    (day, at) for day in range(5) for at in (time(9), time(13), time(17)))

SEARCH_DAYS = 370


def _local_instant(day: date, at: time, tz_name: str) -> datetime | None:
    tz = zone(tz_name)
    local = datetime.combine(day, at, tzinfo=tz)
    as_utc = local.astimezone(UTC)
    if as_utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None  # the time does not exist that day
    return as_utc


def next_free_slot(after: datetime, taken: Iterable[datetime], tz_name: str,
                   slots: tuple[tuple[int, time], ...] = DEFAULT_SLOTS) -> datetime | None:
    """The first slot strictly after ``after`` (aware UTC) that is not in ``taken``."""
    # as_utc, not astimezone: a naive value means UTC, never the process TZ.
    after = as_utc(after)
    busy = {as_utc(t) for t in taken}
    start = after.astimezone(zone(tz_name)).date()
    for offset in range(SEARCH_DAYS):
        day = start + timedelta(days=offset)
        for weekday, at in sorted(slots, key=lambda s: s[1]):
            if weekday != day.weekday():
                continue
            instant = _local_instant(day, at, tz_name)
            if instant is not None and instant > after and instant not in busy:
                return instant
    return None


def upcoming_slots(after: datetime, tz_name: str,
                   slots: tuple[tuple[int, time], ...]) -> Iterator[datetime]:
    """Every slot instant strictly after ``after``, in order, for ``SEARCH_DAYS`` days."""
    after = as_utc(after)
    start = after.astimezone(zone(tz_name)).date()
    ordered = sorted(slots, key=lambda s: s[1])
    for offset in range(SEARCH_DAYS):
        day = start + timedelta(days=offset)
        for weekday, at in ordered:
            if weekday != day.weekday():
                continue
            instant = _local_instant(day, at, tz_name)
            if instant is not None and instant > after:
                yield instant


@dataclass(frozen=True)
class QueueState:
    """One connection's queue: its settings and the instants queued posts hold on it.

    ``taken`` should reach back at least a week before now, so the caps count the posts of the
    current day and week that already went out.
    """

    settings: QueueSettings
    taken: Sequence[datetime]

    def accepts(self, instant: datetime) -> bool:
        """``instant`` is free here and one more post that day and week stays within the caps."""
        busy = [as_utc(t) for t in self.taken]
        if instant in busy:
            return False
        tz = zone(self.settings.timezone)
        local_day = instant.astimezone(tz).date()
        if self.settings.max_per_day is not None:
            same_day = sum(t.astimezone(tz).date() == local_day for t in busy)
            if same_day >= self.settings.max_per_day:
                return False
        if self.settings.max_per_week is not None:
            week = local_day.isocalendar()[:2]
            same_week = sum(t.astimezone(tz).date().isocalendar()[:2] == week for t in busy)
            if same_week >= self.settings.max_per_week:
                return False
        return True


def next_slot_for_all(after: datetime, queues: Sequence[QueueState]) -> datetime | None:
    """The first slot of ``queues[0]`` after ``after`` that every queue accepts (see the rule
    in the module docstring); None when there is none within ``SEARCH_DAYS``."""
    if not queues:
        return None
    first = queues[0].settings
    for instant in upcoming_slots(after, first.timezone, first.slot_times()):
        if all(queue.accepts(instant) for queue in queues):
            return instant
    return None
