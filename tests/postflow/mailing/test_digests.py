"""Digests: due at 08:00 in each member's zone (across DST changes), once per period whatever
restarts, never empty, only about the member's own organization."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from postflow.connections import ConnectionStatus
from postflow.email.preferences import DigestFrequency, EmailKind, EmailPreferences, MemberEmail
from postflow.mailing.digest_pass import send_due_digests
from postflow.organizations import Member, Role
from postflow.posts import PostStatus
from tests.postflow.mailing.conftest import Mailing
from tests.postflow.store.factories import make_connection, make_member, make_org, make_post

WEEKLY = EmailPreferences(digest=DigestFrequency.WEEKLY)
DAILY = EmailPreferences(digest=DigestFrequency.DAILY)


async def something_ahead(mailing: Mailing) -> None:
    """Something every digest of the test has to say: an account needing a reconnect."""
    await mailing.rt.store.insert_connection(make_connection(
        mailing.org.id, status=ConnectionStatus.NEEDS_RECONNECT))


async def digests_of(mailing: Mailing, member: Member) -> list[str]:
    emails = await mailing.rt.store.list_outgoing_emails(member.org_id, 1000)
    return sorted(e.dedupe_key for e in emails if e.member_id == member.id)


async def run_every(mailing: Mailing, start: datetime, end: datetime,
                    step: timedelta) -> list[tuple[str, datetime]]:
    """Passes from ``start`` to ``end``; the digests recorded, with when."""
    sent: list[tuple[str, datetime]] = []
    now, empty = start, set[str]()
    while now <= end:
        mailing.clock.set(now)
        before = len(mailing.queue.enqueued)
        await send_due_digests(mailing.rt, mailing.outbox, nothing_to_say=empty)
        for email_id in mailing.queue.enqueued[before:]:
            email = await mailing.rt.store.get_outgoing_email(email_id)
            sent.append((email.dedupe_key, now))
        now += step
    return sent


@pytest.mark.parametrize(("zone", "change"), [
    ("Europe/Paris", date(2026, 3, 29)), ("Europe/Paris", date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8)), ("America/New_York", date(2026, 11, 1)),
])
async def test_a_daily_digest_comes_once_at_eight_local_across_a_dst_change(
        mailing: Mailing, zone: str, change: date) -> None:
    tz = ZoneInfo(zone)
    member = await mailing.member(email_preferences=DAILY, timezone=zone)
    start = datetime.combine(change - timedelta(days=1), datetime.min.time(),
                             tzinfo=tz).astimezone(UTC) + timedelta(hours=9)
    mailing.clock.set(start)
    await something_ahead(mailing)
    await send_due_digests(mailing.rt, mailing.outbox)   # the day before's, caught up

    sent = await run_every(mailing, start + timedelta(minutes=15),
                           start + timedelta(days=3),
                           timedelta(minutes=15))

    days = [(change + timedelta(days=n)).isoformat() for n in (0, 1, 2)]
    assert [key for key, _ in sent] == [f"digest:{member.id}:{day}" for day in days]
    assert [when.astimezone(tz).strftime("%H:%M") for _, when in sent] == ["08:00"] * 3


async def test_a_member_without_a_zone_gets_it_at_eight_in_the_orgs_zone(
        mailing: Mailing) -> None:
    member = await mailing.member(email_preferences=DAILY)   # org: Europe/Paris
    mailing.clock.set(datetime(2026, 6, 1, 5, 0, tzinfo=UTC))
    await something_ahead(mailing)

    await send_due_digests(mailing.rt, mailing.outbox)   # yesterday's, caught up
    now = mailing.clock.now()
    sent = await run_every(mailing, now, now + timedelta(hours=2), timedelta(minutes=30))

    assert sent == [(f"digest:{member.id}:2026-06-01", datetime(2026, 6, 1, 6, 0, tzinfo=UTC))]


async def test_daily_comes_every_day_and_weekly_on_monday(mailing: Mailing) -> None:
    daily = await mailing.member(email_preferences=DAILY, name="dee", timezone="Asia/Tokyo")
    weekly = await mailing.member(email_preferences=WEEKLY, name="wes", timezone="Asia/Tokyo")
    start = datetime(2026, 6, 3, 0, 30, tzinfo=UTC)   # Wednesday 09:30 in Tokyo
    mailing.clock.set(start)
    await something_ahead(mailing)
    await send_due_digests(mailing.rt, mailing.outbox)  # this week's and today's, caught up

    await run_every(mailing, start, start + timedelta(days=7), timedelta(hours=1))

    assert len(await digests_of(mailing, daily)) == 8
    assert await digests_of(mailing, weekly) == [f"digest:{weekly.id}:2026-W23",
                                                 f"digest:{weekly.id}:2026-W24"]


async def test_a_digest_with_nothing_to_say_is_not_sent(mailing: Mailing) -> None:
    member = await mailing.member(email_preferences=DAILY)
    mailing.clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))

    report = await send_due_digests(mailing.rt, mailing.outbox)

    assert (report.sent, report.empty) == (0, 1)
    assert await digests_of(mailing, member) == []


async def test_a_restarted_scheduler_sends_no_period_twice(mailing: Mailing) -> None:
    member = await mailing.member(email_preferences=DAILY)
    mailing.clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    await something_ahead(mailing)

    first = await send_due_digests(mailing.rt, mailing.outbox)
    # A new scheduler remembers nothing: the store says the period was recorded.
    again = await send_due_digests(mailing.rt, mailing.outbox, nothing_to_say=set())

    assert (first.sent, again.sent) == (1, 0)
    assert await digests_of(mailing, member) == [f"digest:{member.id}:2026-06-01"]


async def test_a_member_who_unsubscribed_from_digests_gets_none(mailing: Mailing) -> None:
    member = await mailing.member(email_preferences=DAILY.with_kind(EmailKind.DIGEST, False))
    default_member = await mailing.member(Role.MEMBER, name="bob")   # no digest by default
    mailing.clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    await something_ahead(mailing)

    report = await send_due_digests(mailing.rt, mailing.outbox)

    assert report.sent == 0
    assert await digests_of(mailing, member) == await digests_of(mailing, default_member) == []


async def test_the_digest_counts_its_own_orgs_period_only(mailing: Mailing) -> None:
    store, org = mailing.rt.store, mailing.org
    other = make_org()
    await store.insert_organization(other)
    member = await mailing.member(Role.OWNER, email_preferences=DAILY, timezone="UTC")
    stranger = make_member(other.id, role=Role.OWNER, email_preferences=DAILY, timezone="UTC",
                           email=MemberEmail(address="eve@example.test",
                                             confirmed_at=datetime(2026, 1, 1, tzinfo=UTC)))
    await store.insert_member(stranger)
    since = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    now = since + timedelta(days=1, minutes=5)
    in_period, before = since + timedelta(hours=3), since - timedelta(minutes=1)
    for status, when, org_id in [
            (PostStatus.PUBLISHED, in_period, org.id), (PostStatus.PUBLISHED, in_period, org.id),
            (PostStatus.PUBLISHED, before, org.id), (PostStatus.FAILED, in_period, org.id),
            (PostStatus.PARTIAL, in_period, org.id),
            *[(PostStatus.PUBLISHED, in_period, other.id)] * 5]:
        await store.insert_post(make_post(org_id, status=status, updated_at=when))
    for days in (1, 2, 9):
        due = now + timedelta(days=days)
        await store.insert_post(make_post(org.id, status=PostStatus.SCHEDULED, scheduled_at=due,
                                          due_at=due, text=f"In {days} days"))
    await store.insert_connection(make_connection(org.id, display_name="@acme",
                                                  token_expires_at=now + timedelta(days=2)))
    await store.insert_connection(make_connection(org.id, display_name="@fine",
                                                  token_expires_at=now + timedelta(days=60)))
    await store.insert_connection(make_connection(org.id, display_name="@gone",
                                                  status=ConnectionStatus.NEEDS_RECONNECT))
    mailing.clock.set(now)

    await send_due_digests(mailing.rt, mailing.outbox)

    mails = {e.member_id: e for e in await store.list_outgoing_emails(org.id, 10)}
    text = mails[member.id].text
    assert "- Published: 2 (since" in text
    assert "- Failed: 2" in text
    assert "- Coming up in the next 7 days: 2 scheduled posts" in text
    assert "In 1 days" in text and "In 9 days" not in text
    assert "@acme (mastodon): stops working" in text and "@gone (mastodon): needs reconnecting" \
        in text and "@fine" not in text
    assert "Plan: connected accounts: 3 of" in text
    other_mail = await store.list_outgoing_emails(other.id, 10)
    assert [m.member_id for m in other_mail] == [stranger.id]
    assert "- Published: 5 (since" in other_mail[0].text and "Failed: 0" in other_mail[0].text
