"""Billing notices by email: each of the four goes to the Owners who want billing mail, in the
mail's own words, with a one-click unsubscribe from billing mail."""

from __future__ import annotations

from datetime import UTC, datetime

from postflow.email.message import OutgoingEmail
from postflow.email.preferences import DigestFrequency, EmailKind, EmailPreferences
from postflow.mailing.notice_sink import EmailNoticeSink
from postflow.notices.events import (
    BILLING_NOTICES,
    BillingNotice,
    GraceEnding,
    PaymentFailed,
    PlanChanged,
    TrialEnding,
)
from postflow.organizations import Role
from tests.postflow.mailing.conftest import Mailing

DAY = datetime(2026, 12, 8, 14, 30, tzinfo=UTC)


def each_notice(org_id: str) -> list[BillingNotice]:
    return [
        PaymentFailed(org_id, "Pro", grace_until=DAY),
        TrialEnding(org_id, "Pro", trial_end=DAY),
        PlanChanged(org_id, "Free", old_plan_name="Pro", reason="the subscription ended",
                    paused=("@acme on mastodon",), held_posts=4),
        GraceEnding(org_id, "Pro", grace_until=DAY),
    ]


async def mailed(mailing: Mailing) -> list[OutgoingEmail]:
    return await mailing.rt.store.list_outgoing_emails(mailing.org.id, 50)


def test_the_sink_mails_every_billing_notice(mailing: Mailing) -> None:
    sink = EmailNoticeSink(mailing.outbox)

    assert [type(n) for n in each_notice(mailing.org.id) if sink.wants(n)] == \
        list(BILLING_NOTICES)


async def test_each_billing_notice_mails_the_owner_once(mailing: Mailing) -> None:
    owner = await mailing.member(Role.OWNER, name="owner")
    sink = EmailNoticeSink(mailing.outbox)

    for notice in each_notice(mailing.org.id):
        await sink.deliver(notice)

    emails = await mailed(mailing)
    assert len(emails) == 4
    assert {(e.to, e.member_id, e.kind) for e in emails} == {
        ("owner@example.test", owner.id, "billing")}


async def test_billing_mail_skips_admins_even_when_they_ask_for_it(mailing: Mailing) -> None:
    await mailing.member(Role.OWNER, name="owner")
    await mailing.member(Role.ADMIN, name="admin", email_preferences=EmailPreferences(
        immediate=(EmailKind.BILLING,)))
    await mailing.member(Role.MEMBER, name="mo")

    await EmailNoticeSink(mailing.outbox).deliver(each_notice(mailing.org.id)[0])

    assert [e.to for e in await mailed(mailing)] == ["owner@example.test"]


async def test_an_owner_who_turned_billing_mail_off_gets_none(mailing: Mailing) -> None:
    await mailing.member(Role.OWNER, email_preferences=EmailPreferences(
        immediate=(EmailKind.FAILURES,), digest=DigestFrequency.NONE))

    for notice in each_notice(mailing.org.id):
        await EmailNoticeSink(mailing.outbox).deliver(notice)

    assert await mailed(mailing) == []


async def test_billing_mail_carries_the_one_click_unsubscribe_from_billing(
        mailing: Mailing) -> None:
    await mailing.member(Role.OWNER)

    await EmailNoticeSink(mailing.outbox).deliver(each_notice(mailing.org.id)[1])

    [email] = await mailed(mailing)
    assert email.headers["List-Unsubscribe"].startswith(
        "<https://postflow.test/email/unsubscribe?token=")
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Stop mail about billing: https://postflow.test/email/unsubscribe" in email.text
    assert "you are an Owner" in email.text


async def test_a_failed_payment_says_until_when_the_plan_holds_and_what_to_do(
        mailing: Mailing) -> None:
    await mailing.member(Role.OWNER)

    await EmailNoticeSink(mailing.outbox).deliver(each_notice(mailing.org.id)[0])

    [email] = await mailed(mailing)
    assert mailing.org.name in email.subject and "payment" in email.subject.lower()
    assert "2026-12-08" in email.text and "/postflow billing" in email.text


async def test_a_trial_ending_and_a_grace_ending_say_when(mailing: Mailing) -> None:
    await mailing.member(Role.OWNER)
    sink = EmailNoticeSink(mailing.outbox)

    await sink.deliver(each_notice(mailing.org.id)[1])
    await sink.deliver(each_notice(mailing.org.id)[3])

    trial, grace = sorted(await mailed(mailing), key=lambda e: "grace" in e.subject.lower())
    assert "trial" in trial.subject.lower() and "2026-12-08" in trial.text
    assert "grace" in grace.subject.lower() and "2026-12-08 14:30 UTC" in grace.text


async def test_a_plan_change_names_the_plans_and_the_paused_accounts(mailing: Mailing) -> None:
    await mailing.member(Role.OWNER)

    await EmailNoticeSink(mailing.outbox).deliver(each_notice(mailing.org.id)[2])

    [email] = await mailed(mailing)
    assert "Free" in email.subject
    assert "from the Pro plan to the Free plan" in email.text
    assert "@acme on mastodon" in email.text and "4 scheduled posts" in email.text
