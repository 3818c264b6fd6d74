"""Store contract: emails recorded before they are sent, claimed by one worker at a time, and
addresses no longer mailed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from postflow.email.message import (
    EmailStatus,
    EmailSuppression,
    OutgoingEmail,
    SuppressionReason,
)
from postflow.email.preferences import EmailKind, EmailPreferences, MemberEmail
from postflow.errors import Conflict, NotFound
from postflow.ids import new_id
from postflow.store.port import Store
from tests.postflow.store.factories import at, make_member, make_org


def make_email(**fields: Any) -> OutgoingEmail:
    values: dict[str, Any] = {"id": new_id("mail"), "org_id": "org_1", "member_id": "mem_1",
                              "kind": "failures", "to": "ada@example.test",
                              "subject": "A post failed", "text": "Hello", "html": "<p>Hi</p>",
                              "headers": {"List-Unsubscribe": "<https://x.test/u>"},
                              "created_at": at(0)}
    return OutgoingEmail(**(values | fields))


async def test_a_recorded_email_reads_back_pending(store: Store) -> None:
    email = make_email()
    await store.insert_outgoing_email(email)

    got = await store.get_outgoing_email(email.id)

    assert got == email
    assert got.status is EmailStatus.PENDING and got.dedupe_key == email.id


async def test_a_second_email_with_the_same_dedupe_key_is_refused(store: Store) -> None:
    await store.insert_outgoing_email(make_email(dedupe_key="digest:mem_1:2025-W11"))

    with pytest.raises(Conflict):
        await store.insert_outgoing_email(make_email(dedupe_key="digest:mem_1:2025-W11"))


async def test_an_unknown_email_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.get_outgoing_email("mail_nope")


async def test_a_claim_holds_the_email_and_counts_an_attempt(store: Store) -> None:
    email = make_email()
    await store.insert_outgoing_email(email)

    claimed = await store.claim_outgoing_email(email.id, at(0), at(5))

    assert claimed is not None
    assert claimed.attempts == 1 and claimed.claimed_until == at(5)
    assert await store.claim_outgoing_email(email.id, at(1), at(6)) is None


async def test_an_expired_claim_can_be_taken_again(store: Store) -> None:
    email = make_email()
    await store.insert_outgoing_email(email)
    await store.claim_outgoing_email(email.id, at(0), at(5))

    again = await store.claim_outgoing_email(email.id, at(5), at(10))

    assert again is not None and again.attempts == 2


async def test_concurrent_claims_let_exactly_one_through(store: Store) -> None:
    email = make_email()
    await store.insert_outgoing_email(email)

    results = await asyncio.gather(*(store.claim_outgoing_email(email.id, at(0), at(5))
                                     for _ in range(10)))

    assert sum(r is not None for r in results) == 1


async def test_a_sent_email_is_never_claimed_again(store: Store) -> None:
    email = make_email()
    await store.insert_outgoing_email(email)
    await store.claim_outgoing_email(email.id, at(0), at(5))

    await store.finish_outgoing_email(email.id, EmailStatus.SENT, at(1), transport_id="ses-1")

    sent = await store.get_outgoing_email(email.id)
    assert (sent.status, sent.sent_at, sent.claimed_until, sent.transport_id) == (
        EmailStatus.SENT, at(1), None, "ses-1")
    assert await store.claim_outgoing_email(email.id, at(10), at(15)) is None


async def test_a_released_email_can_be_claimed_at_once(store: Store) -> None:
    email = make_email()
    await store.insert_outgoing_email(email)
    await store.claim_outgoing_email(email.id, at(0), at(5))

    await store.release_outgoing_email(email.id, "SMTPConnectError")

    released = await store.get_outgoing_email(email.id)
    assert released.claimed_until is None and released.error == "SMTPConnectError"
    assert await store.claim_outgoing_email(email.id, at(1), at(6)) is not None


async def test_finishing_an_unknown_email_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.finish_outgoing_email("mail_nope", EmailStatus.SENT, at(0))


async def test_unsent_emails_are_the_old_pending_ones_nobody_holds(store: Store) -> None:
    old, held, sent, new = (make_email(created_at=at(0)), make_email(created_at=at(1)),
                            make_email(created_at=at(2)), make_email(created_at=at(20)))
    for email in (old, held, sent, new):
        await store.insert_outgoing_email(email)
    await store.claim_outgoing_email(held.id, at(3), at(30))
    await store.finish_outgoing_email(sent.id, EmailStatus.SENT, at(3))

    unsent = await store.find_unsent_emails(at(10), at(11), 10)

    assert [e.id for e in unsent] == [old.id]


async def test_organization_emails_are_listed_newest_first(store: Store) -> None:
    first, second = make_email(created_at=at(0)), make_email(created_at=at(1))
    await store.insert_outgoing_email(first)
    await store.insert_outgoing_email(second)
    await store.insert_outgoing_email(make_email(org_id="org_2"))

    assert [e.id for e in await store.list_outgoing_emails("org_1", 10)] == [second.id,
                                                                             first.id]


async def test_a_suppressed_address_is_found_whatever_its_case(store: Store) -> None:
    await store.suppress_email_address(EmailSuppression(
        address="Ada@Example.test", reason=SuppressionReason.BOUNCE, at=at(0), detail="5.1.1"))

    found = await store.find_email_suppression(" ada@example.TEST")

    assert found is not None and found.reason is SuppressionReason.BOUNCE
    assert await store.find_email_suppression("bob@example.test") is None


async def test_suppressing_again_replaces_the_reason(store: Store) -> None:
    for reason in (SuppressionReason.BOUNCE, SuppressionReason.COMPLAINT):
        await store.suppress_email_address(EmailSuppression(
            address="ada@example.test", reason=reason, at=at(0)))

    found = await store.find_email_suppression("ada@example.test")
    assert found is not None and found.reason is SuppressionReason.COMPLAINT


async def test_a_member_keeps_their_address_and_preferences(store: Store) -> None:
    org = make_org()
    await store.insert_organization(org)
    member = make_member(org.id, email=MemberEmail(address="ada@example.test",
                                                   confirmed_at=at(1)),
                         email_preferences=EmailPreferences(
                             immediate=(EmailKind.FAILURES,)))
    await store.insert_member(member)

    [got] = await store.list_members(org.id)

    assert got == member


async def test_a_lifted_suppression_is_gone(store: Store) -> None:
    await store.suppress_email_address(EmailSuppression(
        address="ada@example.test", reason=SuppressionReason.BOUNCE, at=at(0)))

    assert await store.lift_email_suppression("ADA@example.test") is True
    assert await store.find_email_suppression("ada@example.test") is None
    assert await store.lift_email_suppression("ada@example.test") is False
