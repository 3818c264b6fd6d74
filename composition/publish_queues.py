"""Where a one-off CLI command hands a post that is due now."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from postflow.config import Settings
from postflow.publish_queue import PublishQueue
from workers.broker import close_broker, configure_broker
from workers.dramatiq_queue import DramatiqPublishQueue


@contextmanager
def worker_queue(settings: Settings) -> Iterator[PublishQueue | None]:
    """The Dramatiq queue when Redis is configured, else None (leave it to the scheduler)."""
    if settings.redis_url is None:
        yield None
        return
    broker = configure_broker(settings)
    try:
        yield DramatiqPublishQueue()
    finally:
        close_broker(broker)
