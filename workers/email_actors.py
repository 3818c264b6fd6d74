"""The ``email`` queue: each message names a recorded email (postflow/email/message.py), which
a worker sends once (:func:`postflow.mailing.delivery.deliver_email`). A transient failure raises,
so Dramatiq retries it with backoff; a permanent refusal, or an email already sent, ends the
message. Mail has its own queue so that a slow mail server never holds up publishing or chat.

Import this module only after :func:`workers.broker.configure_broker`.
"""

from __future__ import annotations

import asyncio

import dramatiq

from integrations.metrics.recorder import record_email_delivery
from postflow.config import Settings
from postflow.mailing.delivery import MAX_ATTEMPTS, DeliveryOutcome, deliver_email
from workers.broker import EMAIL_QUEUE, configured_broker
from workers.worker_runtime import get_runtime

#: Shorter than the claim a sending worker holds (delivery.CLAIM_FOR).
SEND_TIME_LIMIT_MS = 120_000


class EmailNotSentYet(Exception):
    """The transport failed for a passing reason: Dramatiq tries the message again later."""


_configured = configured_broker()

#: ``postflow_email_deliveries_total``'s outcome label for each delivery that did something.
METRIC_OUTCOMES = {DeliveryOutcome.SENT: "sent", DeliveryOutcome.RETRY: "retry",
                   DeliveryOutcome.REFUSED: "refused", DeliveryOutcome.GAVE_UP: "failed"}


@dramatiq.actor(broker=_configured.broker, queue_name=EMAIL_QUEUE, max_retries=MAX_ATTEMPTS,
                min_backoff=5_000, max_backoff=600_000, time_limit=SEND_TIME_LIMIT_MS)
async def send_email(email_id: str) -> None:
    """Send the recorded email ``email_id`` unless it is sent, refused or held already."""
    rt = await get_runtime()
    if rt.mail is None:
        raise RuntimeError("This worker's runtime was built without email.")
    outcome = await deliver_email(rt.store, rt.mail.transport, rt.clock, email_id)
    if outcome is not DeliveryOutcome.NOTHING_TO_DO:
        record_email_delivery(METRIC_OUTCOMES[outcome])
    if outcome is DeliveryOutcome.RETRY:
        raise EmailNotSentYet(email_id)


class DramatiqEmailQueue:
    """Hands email ids to the ``email`` queue (in a thread: sending talks to Redis)."""

    async def enqueue(self, email_id: str) -> None:
        await asyncio.to_thread(send_email.send, email_id)


EMAIL_ACTORS = (send_email,)


def bind_email_actors(broker: dramatiq.Broker, settings: Settings) -> None:
    """Move the email actor to a newly configured broker (called by ``configure_broker``)."""
    for actor in EMAIL_ACTORS:
        actor.broker = broker
        broker.declare_actor(actor)
