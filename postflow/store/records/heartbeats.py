"""Heartbeats of the worker canary."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class HeartbeatRecords(Protocol):
    async def set_heartbeat(self, name: str, at: datetime) -> None: ...

    async def get_heartbeat(self, name: str) -> datetime | None: ...
