"""When a digest is due: 08:00 in the member's zone, every day or every Monday, and the period
it reports on (from the 08:00 before). Computed from local dates, so a day of 23 or 25 hours (a
DST change) still has exactly one 08:00."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postflow.email.preferences import DigestFrequency

#: The local time digests are due at.
DIGEST_TIME = time(8, 0)


@dataclass(frozen=True)
class DigestPeriod:
    frequency: DigestFrequency
    #: ``2026-03-29`` (daily) or ``2026-W13`` (weekly): names the period in its dedupe key.
    label: str
    #: The 08:00 local (as UTC) the digest is due at; the period it reports ends here.
    due_at: datetime
    #: The 08:00 local (as UTC) a day or a week before: where the reported period starts.
    since: datetime


@lru_cache(maxsize=1024)
def digest_zone(name: str) -> ZoneInfo:
    """The zone ``name``, or UTC when it is not one (zones are validated when set)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_digest_time(day: date, zone: ZoneInfo) -> datetime:
    """08:00 of ``day`` in ``zone``, as aware UTC."""
    return datetime.combine(day, DIGEST_TIME, tzinfo=zone).astimezone(UTC)


def latest_period(frequency: DigestFrequency, zone: ZoneInfo, now: datetime) -> DigestPeriod:
    """The last period whose 08:00 has come by ``now`` (``frequency`` daily or weekly)."""
    today = now.astimezone(zone).date()
    if frequency is DigestFrequency.DAILY:
        step = timedelta(days=1)
        day = today
    elif frequency is DigestFrequency.WEEKLY:
        step = timedelta(days=7)
        day = today - timedelta(days=today.weekday())
    else:
        raise ValueError("no digest period without a frequency")
    if local_digest_time(day, zone) > now:
        day -= step
    if frequency is DigestFrequency.DAILY:
        label = day.isoformat()
    else:
        year, week, _ = day.isocalendar()
        label = f"{year}-W{week:02d}"
    return DigestPeriod(frequency=frequency, label=label, due_at=local_digest_time(day, zone),
                        since=local_digest_time(day - step, zone))


def digest_key(member_id: str, period: DigestPeriod) -> str:
    """The outbox's dedupe key: one digest per member and period."""
    return f"digest:{member_id}:{period.label}"
