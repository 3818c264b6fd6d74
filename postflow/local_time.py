"""Turning a wall-clock time in an IANA zone into an instant, by one documented rule.

PostFlow stores every time as aware UTC together with the zone it was chosen in. A local time
that does not exist (clocks jump forward: 02:30 on a spring-forward night) moves forward by the
length of the jump (to 03:30). A local time that exists twice (clocks fall back: 01:30 on a
fall-back night) means its first occurrence, the earlier instant. The process's own ``TZ`` is
never read: every conversion names its zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from postflow.timezones import zone


@dataclass(frozen=True)
class ResolvedTime:
    """An instant and how it reads in the zone it was chosen in."""

    utc: datetime
    local: datetime
    timezone: str
    #: Set when the rule had to choose: ``"nonexistent"`` or ``"ambiguous"``.
    adjustment: str | None = None
    #: A sentence for the person who chose the time, when the rule had to choose.
    note: str = ""


def resolve_local_time(wall_clock: datetime, tz_name: str) -> ResolvedTime:
    """Resolve a naive ``wall_clock`` time in ``tz_name`` (see the module's rule)."""
    if wall_clock.tzinfo is not None:
        raise ValueError("resolve_local_time takes a wall-clock time without an offset")
    tz = zone(tz_name)
    first = wall_clock.replace(tzinfo=tz, fold=0)
    utc = first.astimezone(UTC)
    local = utc.astimezone(tz)
    asked = wall_clock.strftime("%H:%M")
    day = wall_clock.date().isoformat()
    if local.replace(tzinfo=None) != wall_clock:
        return ResolvedTime(
            utc=utc, local=local, timezone=tz_name, adjustment="nonexistent",
            note=f"{asked} does not exist on {day} in {tz_name} (the clocks jump forward); "
                 f"it was moved to {local.strftime('%H:%M %Z')}.")
    if first.utcoffset() != wall_clock.replace(tzinfo=tz, fold=1).utcoffset():
        return ResolvedTime(
            utc=utc, local=local, timezone=tz_name, adjustment="ambiguous",
            note=f"{asked} happens twice on {day} in {tz_name} (the clocks fall back); "
                 f"the first one was used, {local.strftime('%H:%M %Z')}.")
    return ResolvedTime(utc=utc, local=local, timezone=tz_name)


def in_zone(instant: datetime, tz_name: str) -> datetime:
    """How ``instant`` reads on a wall clock in ``tz_name``."""
    return instant.astimezone(zone(tz_name))
