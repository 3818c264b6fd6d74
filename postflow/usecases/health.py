"""Worker health as consumption: a canary job records when a worker last took work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from postflow.runtime import Runtime

CANARY = "worker_canary"


async def record_canary(rt: Runtime) -> None:
    await rt.store.set_heartbeat(CANARY, rt.clock.now())


@dataclass(frozen=True)
class WorkerHealth:
    last_consumed_at: datetime | None
    healthy: bool


async def worker_health(rt: Runtime) -> WorkerHealth:
    last = await rt.store.get_heartbeat(CANARY)
    window = timedelta(seconds=rt.settings.canary_window_seconds)
    return WorkerHealth(last_consumed_at=last,
                        healthy=last is not None and rt.clock.now() - last <= window)
