"""A clock tests move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postflow.clock import to_millis


class ManualClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._now = to_millis(start or datetime(2026, 11, 25, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now = to_millis(self._now + timedelta(seconds=seconds))
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = to_millis(moment)
