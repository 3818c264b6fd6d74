"""Time source for the core: aware UTC always, injectable in tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Protocol

from pydantic import AfterValidator


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current instant as an aware UTC datetime."""
        ...


class SystemClock:
    """The real clock; never reads the process ``TZ``.

    Times are cut to whole milliseconds, the precision MongoDB keeps, so a value reads back
    from every store exactly as it was written.
    """

    def now(self) -> datetime:
        return to_millis(datetime.now(UTC))


def to_millis(moment: datetime) -> datetime:
    """Drop sub-millisecond precision."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; a naive value is taken to be UTC (that is how stores return it)."""
    zone = moment.tzinfo
    if zone is UTC:  # the common case, and astimezone is not free on a hot path
        return moment
    if zone is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


#: A model field type: any datetime read into a model comes out aware UTC (stores may hand back
#: naive UTC or another offset), so no caller has to normalize.
UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
