"""Queue slots: weekly wall-clock times at which queued posts go out, in the org's time zone.

Every connection uses the default slots until queues become editable (weekdays 09:00, 13:00
and 17:00). A wall-clock time that does not exist on a day (a spring-forward gap) is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from postflow.clock import as_utc
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
