"""Sending a recorded email once: claim it, call the transport, record what happened.

- Sent once: the email is claimed in the store before the transport is called, so a
  redelivered queue message finds it sent (or held by another worker) and does nothing.
- A transient failure releases the claim and asks for a retry (the ``email`` queue's backoff);
  after :data:`MAX_ATTEMPTS` claims it is given up (FAILED).
- A permanent refusal marks the email REFUSED and the address failing: nothing is mailed to it
  again (a suppressed address is refused before any call).
- Recorded but never sent (the queue message was lost): :func:`resend_unsent_emails`, run by
  the scheduler, hands it to the queue again.

A worker that dies after the transport accepted the email but before the store said so leaves
a claim that lapses: that one email may go out twice. Nothing else does.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from postflow.clock import Clock
from postflow.email.message import EmailStatus, EmailSuppression, SuppressionReason
from postflow.email.transport import (
    EmailQueue,
    EmailRefusedError,
    EmailTransport,
    TransientEmailError,
)
from postflow.errors import NotFound
from postflow.store.port import Store

log = logging.getLogger(__name__)

#: How long a worker holds an email it is sending: longer than any send may take (the
#: ``email`` actor's time limit is shorter), so a live send is never taken over.
CLAIM_FOR = timedelta(minutes=5)
#: Claims before an email that keeps failing for passing reasons is given up.
MAX_ATTEMPTS = 8
#: A pending email nobody holds this long after it was recorded is handed out again.
RESEND_AFTER = timedelta(minutes=10)
RESEND_BATCH = 200


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    #: Sent, refused or given up before, or another worker holds it: nothing done.
    NOTHING_TO_DO = "nothing_to_do"
    REFUSED = "refused"
    #: A transient failure: try again later.
    RETRY = "retry"
    GAVE_UP = "gave_up"


async def deliver_email(store: Store, transport: EmailTransport, clock: Clock,
                        email_id: str) -> DeliveryOutcome:
    """Send the recorded email ``email_id`` if it is still to be sent."""
    now = clock.now()
    try:
        email = await store.claim_outgoing_email(email_id, now, now + CLAIM_FOR)
    except NotFound:
        email = None
    if email is None:
        return DeliveryOutcome.NOTHING_TO_DO
    if await store.find_email_suppression(email.to) is not None:
        await store.finish_outgoing_email(email.id, EmailStatus.REFUSED, clock.now(),
                                          error="suppressed")
        return DeliveryOutcome.REFUSED
    try:
        transport_id = await transport.send(email)
    except EmailRefusedError as err:
        log.warning("%s refused email %s (%s): %s; the address is no longer mailed",
                    transport.name, email.id, email.kind, err.code)
        await store.finish_outgoing_email(email.id, EmailStatus.REFUSED, clock.now(),
                                          error=err.code)
        await store.suppress_email_address(EmailSuppression(
            address=email.to, reason=SuppressionReason.REFUSED, at=clock.now(),
            detail=f"{transport.name}: {err.code}"))
        return DeliveryOutcome.REFUSED
    except Exception as err:
        code = err.code if isinstance(err, TransientEmailError) else type(err).__name__
        if not isinstance(err, TransientEmailError):
            log.warning("%s failed unexpectedly on email %s", transport.name, email.id,
                        exc_info=True)
        if email.attempts >= MAX_ATTEMPTS:
            log.warning("giving up email %s (%s) after %d attempts: %s", email.id, email.kind,
                        email.attempts, code)
            await store.finish_outgoing_email(email.id, EmailStatus.FAILED, clock.now(),
                                              error=code)
            return DeliveryOutcome.GAVE_UP
        log.info("%s could not send email %s (attempt %d): %s; trying again later",
                 transport.name, email.id, email.attempts, code)
        await store.release_outgoing_email(email.id, code)
        return DeliveryOutcome.RETRY
    await store.finish_outgoing_email(email.id, EmailStatus.SENT, clock.now(),
                                      transport_id=transport_id)
    return DeliveryOutcome.SENT


async def resend_unsent_emails(store: Store, queue: EmailQueue, clock: Clock) -> int:
    """Hand every email recorded over :data:`RESEND_AFTER` ago and still pending (and held by
    nobody) to the queue again; how many."""
    now = clock.now()
    unsent = await store.find_unsent_emails(now - RESEND_AFTER, now, RESEND_BATCH)
    for email in unsent:
        await queue.enqueue(email.id)
    if unsent:
        log.info("handed %d unsent emails to the email queue again", len(unsent))
    return len(unsent)

