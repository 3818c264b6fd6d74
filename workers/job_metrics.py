"""Counting every job the workers finish, by queue and outcome, as Dramatiq middleware: one
place for all actors (none of them counts itself)."""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from integrations.metrics.registry import JOBS


def job_outcome(exception: BaseException | None) -> str:
    """``done``; ``retry`` when the actor asked to run again later (a chat platform's 429);
    ``failed`` for any other exception (Dramatiq's Retries may still run it again)."""
    if exception is None:
        return "done"
    if isinstance(exception, dramatiq.Retry):
        return "retry"
    return "failed"


class JobMetrics(Middleware):
    def after_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy, *,
                              result: Any = None,
                              exception: BaseException | None = None) -> None:
        JOBS.labels(queue=message.queue_name, outcome=job_outcome(exception)).inc()

    def after_skip_message(self, broker: dramatiq.Broker,
                           message: dramatiq.MessageProxy) -> None:
        JOBS.labels(queue=message.queue_name, outcome="skipped").inc()
