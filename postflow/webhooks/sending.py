"""The ports deliveries go through: the HTTP sender and the ``webhooks`` queue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

#: A delivered attempt is a 2xx within this many seconds.
DELIVERY_TIMEOUT_SECONDS = 10.0
#: How much of an answer's body the log keeps.
ANSWER_EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class WebhookAnswer:
    """What one POST to an endpoint got: a status (and the answer's first kilobyte), or an
    ``error`` saying why there was none."""

    status_code: int | None
    answer: str = ""
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender(Protocol):
    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> WebhookAnswer:
        """POST ``body`` to ``url``; never raises for what the endpoint does (no answer, a
        refused address, a timeout): that is an answer with an ``error``."""
        ...


#: A queued delivery not attempted this long is queued again by the sweep (a lost message).
REQUEUE_AFTER = timedelta(minutes=2)


class WebhookQueue(Protocol):
    @property
    def requeue_after(self) -> timedelta:
        """When the sweep queues a delivery handed here again, had its message been lost."""
        ...

    async def enqueue_delivery(self, org_id: str, delivery_id: str, version: int) -> None:
        """Hand one delivery to a worker. May raise (broker down): the delivery is recorded
        first and the scheduler's sweep sends it again, so nothing is lost."""
        ...


class SweptLater:
    """The queue of a process with no worker to hand to (a one-off CLI command): nothing is
    sent now; the scheduler's sweep picks the recorded delivery up at its next pass."""

    requeue_after = timedelta(0)

    async def enqueue_delivery(self, org_id: str, delivery_id: str, version: int) -> None:
        return None
