"""Queue settings: a connection's weekly slots, in its own time zone, and optional caps.

A connection with no stored settings uses the default slots (weekdays 09:00, 13:00 and 17:00)
in the zone a request names, else the connection's own zone, else the organization's.
``build_queue_settings`` is the one place input becomes settings; it raises BadInput saying
what to fix.
"""

from __future__ import annotations

import re
from datetime import datetime, time

from pydantic import BaseModel

from postflow.clock import UtcDatetime
from postflow.errors import BadInput
from postflow.timezones import require_timezone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: (weekday 0=Monday, "HH:MM") pairs, weekdays 09:00, 13:00 and 17:00.
DEFAULT_SLOT_TEXTS: tuple[tuple[int, str], ...] = tuple(
    (day, at) for day in range(5) for at in ("09:00", "13:00", "17:00"))

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class QueueSettings(BaseModel):
    connection_id: str
    org_id: str
    #: IANA zone the slots are read in.
    timezone: str
    #: (weekday 0=Monday .. 6=Sunday, "HH:MM"), sorted by weekday then time.
    slots: list[tuple[int, str]]
    max_per_day: int | None = None
    max_per_week: int | None = None
    #: None for defaults that were never stored.
    updated_at: UtcDatetime | None = None

    def slot_times(self) -> tuple[tuple[int, time], ...]:
        """The slots as (weekday, local time)."""
        return tuple((day, time.fromisoformat(at)) for day, at in self.slots)


def default_queue_settings(org_id: str, connection_id: str, timezone: str) -> QueueSettings:
    """What a connection with no stored settings uses."""
    return QueueSettings(connection_id=connection_id, org_id=org_id, timezone=timezone,
                         slots=list(DEFAULT_SLOT_TEXTS))


def build_queue_settings(*, org_id: str, connection_id: str, timezone: str,
                         slots: list[tuple[int, str]], max_per_day: int | None,
                         max_per_week: int | None, updated_at: datetime) -> QueueSettings:
    """Validated settings; BadInput names the first problem."""
    require_timezone(timezone)
    if not slots:
        raise BadInput("A queue needs at least one slot, such as \"mon 09:00\".")
    seen: set[tuple[int, str]] = set()
    for day, at in slots:
        if not 0 <= day <= 6:
            raise BadInput(f"Weekday {day} is out of range: use 0 (Monday) to 6 (Sunday).",
                           details={"weekday": day})
        if not _HHMM.match(at):
            raise BadInput(f"{at!r} is not a time as HH:MM (00:00 to 23:59).",
                           details={"time": at})
        if (day, at) in seen:
            raise BadInput(f"The slot {slot_label((day, at))} is given twice.",
                           details={"slot": slot_label((day, at))})
        seen.add((day, at))
    for name, cap in (("max_per_day", max_per_day), ("max_per_week", max_per_week)):
        if cap is not None and cap < 1:
            raise BadInput(f"`{name}` must be at least 1 (leave it out for no cap).",
                           details={name: cap})
    return QueueSettings(connection_id=connection_id, org_id=org_id, timezone=timezone,
                         slots=sorted(seen), max_per_day=max_per_day,
                         max_per_week=max_per_week, updated_at=updated_at)


def parse_slot(text: str) -> tuple[int, str]:
    """Read ``"mon 09:00"`` (a weekday name, or 0-6, then HH:MM); BadInput when it is not."""
    parts = text.strip().lower().split()
    if len(parts) != 2:
        raise BadInput(f"{text!r} is not a slot: write a weekday and a time, such as "
                       "\"mon 09:00\".", details={"slot": text})
    day_text, at = parts
    if day_text.isdigit():
        day = int(day_text)
    elif day_text in WEEKDAYS or day_text in _DAY_NAMES:
        day = WEEKDAYS.index(day_text[:3])
    else:
        raise BadInput(f"{day_text!r} is not a weekday: use mon, tue, wed, thu, fri, sat or "
                       "sun.", details={"slot": text})
    return day, at


def slot_label(slot: tuple[int, str]) -> str:
    """``"mon 09:00"``."""
    day, at = slot
    return f"{WEEKDAYS[day]} {at}" if 0 <= day <= 6 else f"{day} {at}"
