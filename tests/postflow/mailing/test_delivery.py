"""Sending a recorded email once: claimed before the transport is called, retried for passing
failures, refused for good (and the address suppressed) on a permanent refusal, and handed out
again by the sweep when its queue message was lost."""

from __future__ import annotations

from postflow.email.content import EmailContent
from postflow.email.message import EmailStatus, EmailSuppression, SuppressionReason
from postflow.email.transport import EmailRefusedError, TransientEmailError
from postflow.mailing.delivery import (
    MAX_ATTEMPTS,
    RESEND_AFTER,
    DeliveryOutcome,
    deliver_email,
    resend_unsent_emails,
)
from tests.postflow.mailing.conftest import Mailing

CONTENT = EmailContent(subject="Hello", headline="Hello there.")


async def record(mailing: Mailing) -> str:
    email = await mailing.outbox.to_address("ada@example.test", CONTENT, kind="test")
    assert email is not None
    return email.id


async def deliver(mailing: Mailing, email_id: str) -> DeliveryOutcome:
    return await deliver_email(mailing.rt.store, mailing.transport, mailing.clock, email_id)


async def test_a_recorded_email_is_sent_and_marked_sent(mailing: Mailing) -> None:
    email_id = await record(mailing)

    assert await deliver(mailing, email_id) is DeliveryOutcome.SENT

    stored = await mailing.rt.store.get_outgoing_email(email_id)
    assert stored.status is EmailStatus.SENT and stored.transport_id == "scripted-1"
    assert [e.id for e in mailing.transport.sent] == [email_id]


async def test_a_redelivered_message_does_not_send_it_twice(mailing: Mailing) -> None:
    email_id = await record(mailing)
    await deliver(mailing, email_id)

    assert await deliver(mailing, email_id) is DeliveryOutcome.NOTHING_TO_DO
    assert mailing.transport.calls == 1


async def test_a_transient_failure_asks_for_a_retry_and_the_retry_sends(
        mailing: Mailing) -> None:
    email_id = await record(mailing)
    mailing.transport.failures.append(TransientEmailError("smtp_451"))

    assert await deliver(mailing, email_id) is DeliveryOutcome.RETRY
    pending = await mailing.rt.store.get_outgoing_email(email_id)
    assert (pending.status, pending.error, pending.claimed_until) == (
        EmailStatus.PENDING, "smtp_451", None)

    assert await deliver(mailing, email_id) is DeliveryOutcome.SENT


async def test_an_email_that_keeps_failing_is_given_up(mailing: Mailing) -> None:
    email_id = await record(mailing)
    mailing.transport.failures.extend(TransientEmailError("smtp_421")
                                      for _ in range(MAX_ATTEMPTS))

    outcomes = [await deliver(mailing, email_id) for _ in range(MAX_ATTEMPTS)]

    assert outcomes[-1] is DeliveryOutcome.GAVE_UP
    assert set(outcomes[:-1]) == {DeliveryOutcome.RETRY}
    assert (await mailing.rt.store.get_outgoing_email(email_id)).status is EmailStatus.FAILED


async def test_a_permanent_refusal_suppresses_the_address(mailing: Mailing) -> None:
    first, second = await record(mailing), await record(mailing)
    mailing.transport.failures.append(EmailRefusedError("smtp_550"))

    assert await deliver(mailing, first) is DeliveryOutcome.REFUSED
    assert await deliver(mailing, second) is DeliveryOutcome.REFUSED

    assert mailing.transport.calls == 1  # the second was refused before any call
    suppression = await mailing.rt.store.find_email_suppression("ada@example.test")
    assert suppression is not None and suppression.reason is SuppressionReason.REFUSED
    assert (await mailing.rt.store.get_outgoing_email(first)).status is EmailStatus.REFUSED


async def test_nothing_new_is_recorded_for_a_suppressed_address(mailing: Mailing) -> None:
    await mailing.rt.store.suppress_email_address(EmailSuppression(
        address="ADA@example.test", reason=SuppressionReason.COMPLAINT, at=mailing.clock.now()))

    assert await mailing.outbox.to_address("ada@example.test", CONTENT, kind="test") is None
    assert mailing.queue.enqueued == []


async def test_an_email_whose_queue_message_was_lost_is_handed_out_again(
        mailing: Mailing) -> None:
    mailing.queue.broken = True
    email_id = await record(mailing)  # recorded, but the broker refused the message
    mailing.queue.broken = False

    assert await resend_unsent_emails(mailing.rt.store, mailing.queue, mailing.clock) == 0
    mailing.clock.advance(RESEND_AFTER.total_seconds())
    assert await resend_unsent_emails(mailing.rt.store, mailing.queue, mailing.clock) == 1

    assert mailing.queue.enqueued == [email_id]


async def test_the_sweep_leaves_an_email_a_worker_is_sending(mailing: Mailing) -> None:
    email_id = await record(mailing)
    mailing.clock.advance(RESEND_AFTER.total_seconds())
    await mailing.rt.store.claim_outgoing_email(email_id, mailing.clock.now(),
                                                mailing.clock.now() + RESEND_AFTER)

    assert await resend_unsent_emails(mailing.rt.store, mailing.queue, mailing.clock) == 0


async def test_a_second_email_with_the_same_dedupe_key_is_neither_recorded_nor_queued(
        mailing: Mailing) -> None:
    import pytest

    from postflow.errors import Conflict

    first = await mailing.outbox.to_address("ada@example.test", CONTENT, kind="digest",
                                            dedupe_key="digest:mem_1:2026-W48")
    with pytest.raises(Conflict):
        await mailing.outbox.to_address("ada@example.test", CONTENT, kind="digest",
                                        dedupe_key="digest:mem_1:2026-W48")

    assert first is not None and mailing.queue.enqueued == [first.id]
